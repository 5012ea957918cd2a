from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange

from webapp.forms.common import ChineseForm, max_length, optional, required
from webapp.models import MailSettings, NumberPrefix, RobotSettings, SmsSettings
from webapp.models.deliveries import MAIL_SECURITY, SMS_METHODS
from webapp.models.grid import COMMITTEE_ROLES


class CalendarDayForm(ChineseForm):
    day = DateField("日期", validators=[required("请选择日期。")])
    is_workday = RadioField("类型", choices=[("0", "放假"), ("1", "调休上班")], default="0",
                            validators=[required("请选择放假或调休上班。")])
    note = StringField("说明（如：春节）", validators=[optional(), max_length(100)])


class NumberPrefixForm(ChineseForm):
    model = NumberPrefix
    organ = StringField("发文机关", validators=[required("请输入发文机关。"), max_length(100)])
    prefix = StringField("机关代字（或纪要系列名称）", validators=[required("请输入机关代字。"), max_length(50)])
    grammar = SelectField("编号格式", choices=[("wenhao", "〔2026〕7号"), ("di", "〔2026〕第0007号"),
                                           ("qi", "第7期")])


class CommitteeMemberForm(ChineseForm):
    organ = StringField("成员单位", validators=[required("请填写成员单位名称。"), max_length(100)])
    committee_role = SelectField("职务", choices=list(COMMITTEE_ROLES.items()), default="member")
    contact_person = StringField("联系人", validators=[optional(), max_length(50)])
    phone = StringField("联系电话", validators=[optional(), max_length(30)])
    sort_order = IntegerField("排序", default=0, validators=[optional()])


class UnitCardSettingsForm(ChineseForm):
    report_phone = StringField("举报电话（空则不显示）", validators=[optional(), max_length(30)])
    show_responsible_phone = BooleanField("公开卡片显示消防安全责任人电话")
    checkin_far_metres = IntegerField(
        "签到距离提醒（米）：检查、巡查签到位置距单位登记位置超过此距离时标注“距离过远”", default=300,
        validators=[required("请填写签到距离提醒。"),
                    NumberRange(min=50, max=50_000, message="签到距离提醒应在50到50000米之间。")])


class ReminderSettingsForm(ChineseForm):
    # InputRequired, not required(): 0 (announce on the due date itself) is a valid answer.
    due_soon_workdays = IntegerField("到期前几个工作日提醒（0为到期当天）",
                                     validators=[InputRequired("请填写工作日数。")])
    reminder_interval_hours = IntegerField("同一事项两次催办至少间隔（小时）",
                                           validators=[InputRequired("请填写催办间隔。")])
    supervise_after_workdays = IntegerField("逾期几个工作日后提交分管领导督办（0为不督办）",
                                           validators=[InputRequired("请填写督办的工作日数。")])
    quiet_from = IntegerField("免打扰开始（时）", validators=[InputRequired("请填写免打扰开始的整点。")],
                              description="如22：22:00后产生的提醒，邮件、短信和群消息顺延发送")
    quiet_until = IntegerField("免打扰结束（时）", validators=[InputRequired("请填写免打扰结束的整点。")],
                               description="如7：顺延到7:00发送；开始与结束相同则不设免打扰")


class MailSettingsForm(ChineseForm):
    """The town's SMTP server for e-mail 消息提醒 (the service checks the rest, beside each field)."""

    model = MailSettings
    enabled = BooleanField("启用邮件提醒")
    host = StringField("SMTP服务器地址", validators=[optional()], description="如 smtp.example.com")
    port = IntegerField("端口", default=587, validators=[InputRequired("请填写端口。")])
    security = SelectField("加密方式", choices=list(MAIL_SECURITY.items()), default="starttls")
    username = StringField("登录用户名", validators=[optional()], description="服务器无需登录时留空")
    # Never rendered back (PasswordField hides its value); empty keeps the saved password.
    password = PasswordField("登录密码（或授权码）", validators=[optional(), max_length(200)])
    clear_password = BooleanField("清除已保存的密码", description="服务器改为无需登录时勾选")
    sender = StringField("发件地址", validators=[optional()], description="如 xiaofang@example.com")


class SmsSettingsForm(ChineseForm):
    """The town's SMS gateway for 消息提醒: one HTTP request per message, built from the templates."""

    model = SmsSettings
    enabled = BooleanField("启用短信提醒")
    method = SelectField("请求方式", choices=list(SMS_METHODS.items()), default="POST")
    url = StringField("网关地址", validators=[optional()], description="如 https://sms.example.com/api/send")
    template = TextAreaField(
        "请求参数模板", validators=[optional(), max_length(2000)],
        description="{phone} 手机号码，{text} 短信内容，{sign} 短信签名，{key} API密钥。POST 可写 JSON，"
                    "如 {\"mobile\":\"{phone}\",\"content\":\"{text}\",\"sign\":\"{sign}\"}，"
                    "或表单 mobile={phone}&content={text}；GET 写 mobile={phone}&content={text}")
    headers = TextAreaField("请求头（可选）", validators=[optional(), max_length(2000)],
                            description="每行一个，如 Authorization: Bearer {key}")
    signature = StringField("短信签名", validators=[optional()], description="不加【】，如：某某镇消防办")
    # Never rendered back (PasswordField hides its value); empty keeps the saved key.
    api_key = PasswordField("API密钥（可选）", validators=[optional(), max_length(300)],
                            description="在模板或请求头中以 {key} 引用")
    clear_api_key = BooleanField("清除已保存的API密钥")
    success_text = StringField("成功标志（可选）", validators=[optional()],
                               description="除HTTP 2xx外，应答中还须含有这段文字才算发送成功，如 \"code\":0")


class RobotSettingsForm(ChineseForm):
    """The town's 企业微信 and 钉钉 group robots. The Webhook addresses carry the robot's key: never shown back."""

    model = RobotSettings
    wecom_enabled = BooleanField("启用企业微信群机器人")
    wecom_url = PasswordField("企业微信Webhook地址", validators=[optional(), max_length(500)],
                              description="如 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…")
    dingtalk_enabled = BooleanField("启用钉钉群机器人")
    dingtalk_url = PasswordField("钉钉Webhook地址", validators=[optional(), max_length(500)],
                                 description="如 https://oapi.dingtalk.com/robot/send?access_token=…")
    dingtalk_secret = PasswordField("钉钉加签密钥（可选）", validators=[optional(), max_length(200)],
                                    description="机器人安全设置选“加签”时填写，以 SEC 开头")
    clear_dingtalk_secret = BooleanField("清除已保存的加签密钥", description="机器人安全设置不再用“加签”时勾选")


class WarningSignTextForm(ChineseForm):
    """The wording of one category's 消防安全警示牌 (the service checks the lengths that fit one page)."""

    hazard = TextAreaField("场所火灾危险性", validators=[required("请填写场所火灾危险性。"), max_length(300)])
    precautions = TextAreaField("消防安全事项（每行一条）",
                                validators=[required("请填写消防安全事项。"), max_length(1000)])


class OpinionPhraseForm(ChineseForm):
    """One 常用意见 (public on the admin's page, personal on the user's)."""

    text = StringField("常用意见", validators=[required("请填写常用意见。"), max_length(200)])
