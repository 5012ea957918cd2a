from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField

from webapp.forms.common import (
    CheckboxList,
    ChineseForm,
    email_address,
    max_length,
    optional,
    phone_number,
    required,
)
from webapp.forms.widgets import CnDateField
from webapp.models import User
from webapp.models.audit import AUDIT_ACTIONS
from webapp.models.users import ROLES

PASSWORD_HINT = "留空则随机生成，保存后只显示一次；用户首次登录时须修改"


class UserForm(ChineseForm):
    model = User
    username = StringField("用户名", validators=[required("请输入用户名。"), max_length(50)])
    display_name = StringField("姓名", validators=[required("请输入姓名。"), max_length(50)])
    phone = StringField("电话", validators=[optional(), phone_number])
    email = StringField("电子邮箱", validators=[optional(), email_address])
    email_alerts = BooleanField("接收邮件提醒", description="需本镇已启用邮件提醒（设置 → 邮件提醒）")
    sms_alerts = BooleanField("接收短信提醒", description="发到上面的手机号码，需本镇已启用短信提醒（设置 → 短信提醒）")
    roles = CheckboxList("角色", choices=list(ROLES.items()), validators=[required("请至少选择一个角色。")])
    scope_id = SelectField("管辖范围", coerce=int, validators=[required("请选择管辖范围。")])
    enabled = BooleanField("启用", default=True)
    password = PasswordField("初始密码（至少8位）", validators=[optional(), max_length(200)], description=PASSWORD_HINT)


class AlertChannelsForm(ChineseForm):
    """A user's own choice of 消息提醒 channels: e-mail and SMS."""

    model = User
    email = StringField("电子邮箱", validators=[optional(), email_address])
    email_alerts = BooleanField("接收邮件提醒", description="每条新的消息提醒另发一封邮件（需本镇已启用邮件提醒）")
    phone = StringField("手机号码", validators=[optional(), phone_number])
    sms_alerts = BooleanField("接收短信提醒", description="每条新的消息提醒另发一条短信（需本镇已启用短信提醒）")


class ResetPasswordForm(ChineseForm):
    password = PasswordField("新密码（至少8位）", validators=[optional(), max_length(200)], description=PASSWORD_HINT)


class AuditFilterForm(ChineseForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    username = StringField("用户名", validators=[optional(), max_length(50)])
    action = SelectField("操作", choices=[("", "全部"), *AUDIT_ACTIONS.items()], validators=[optional()])
    date_from = CnDateField("日期自", validators=[optional()])
    date_to = CnDateField("至", validators=[optional()])


class SupervisionForm(ChineseForm):
    """督办: the leader's opinion and the deadline by which the overdue step must be done (the service checks
    both, so an empty opinion and a past deadline are reported together)."""

    opinion = TextAreaField("督办意见", validators=[optional()],
                            description="写明要求，如：请于本周内完成核稿，报分管领导签发。")
    deadline = CnDateField("督办期限", validators=[optional()], description="承办人须在此日期前办结")
