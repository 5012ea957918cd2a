from wtforms import BooleanField, PasswordField, SelectField, StringField

from webapp.forms.common import CheckboxList, ChineseForm, max_length, optional, phone_number, required
from webapp.models import User
from webapp.models.users import ROLES


class UserForm(ChineseForm):
    model = User
    username = StringField("用户名", validators=[required("请输入用户名。"), max_length(50)])
    display_name = StringField("姓名", validators=[required("请输入姓名。"), max_length(50)])
    phone = StringField("电话", validators=[optional(), phone_number])
    roles = CheckboxList("角色", choices=list(ROLES.items()), validators=[required("请至少选择一个角色。")])
    scope_id = SelectField("管辖范围", coerce=int, validators=[required("请选择管辖范围。")])
    enabled = BooleanField("启用", default=True)
    password = PasswordField("初始密码（至少8位）", validators=[optional()])


class ResetPasswordForm(ChineseForm):
    password = PasswordField("新密码（至少8位）", validators=[required("请输入新密码。")])
