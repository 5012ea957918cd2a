from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import EqualTo

from webapp.forms.common import ChineseForm, max_length, required


class LoginForm(ChineseForm):
    username = StringField("用户名", validators=[required("请输入用户名。"), max_length(50)])
    password = PasswordField("密码", validators=[required("请输入密码。"), max_length(200)])
    remember = BooleanField("保持登录")


class ChangePasswordForm(ChineseForm):
    old_password = PasswordField("原密码", validators=[required("请输入原密码。"), max_length(200)])
    new_password = PasswordField("新密码（至少8位，不能是常见密码或包含用户名）",
                                 validators=[required("请输入新密码。"), max_length(200)])
    confirm = PasswordField("再次输入新密码", validators=[required("请再次输入新密码。"),
                                                   EqualTo("new_password", message="两次输入的新密码不一致。")])
