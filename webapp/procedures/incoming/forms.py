"""Forms of the 收文 procedure: 签收登记 (the start form), 拟办, 批办, 承办, 传阅 (已阅), 办结."""

from __future__ import annotations

from typing import Any

from wtforms import FileField, SelectField, StringField, TextAreaField, ValidationError

from webapp.forms.common import CheckboxList, ChineseForm, max_length, not_in_future, optional, required
from webapp.forms.registry import register_form
from webapp.forms.widgets import CnDateField
from webapp.procedures.incoming import incoming
from webapp.procedures.incoming.models import SECRECY_LEVELS, URGENCY_LEVELS

FILE_HINT = f"只接受 PDF 或 DOCX。{incoming.OFD_HINT}"


def _received_file(form: Any, field: Any) -> None:
    name = getattr(field.data, "filename", None)
    if not name:
        raise ValidationError("请上传来文文件。")
    suffix = name.lower().rsplit(".", 1)[-1]
    if suffix == "ofd":
        raise ValidationError(f"暂不支持直接上传 OFD 文件。{incoming.OFD_HINT}")
    if suffix not in ("pdf", "docx"):
        raise ValidationError(f"来文文件{FILE_HINT}")


@register_form("incoming_register")
class IncomingRegisterForm(ChineseForm):
    sender = StringField("来文机关", validators=[required("请填写来文机关。"), max_length(100)],
                         description="如：示例县消防安全委员会办公室")
    sender_number = StringField("来文字号", validators=[optional(), max_length(60)],
                                description="如：示消安办〔2026〕12号；无字号的来文可不填")
    title = StringField("标题", validators=[required("请填写来文标题。"), max_length(200)])
    secrecy = SelectField("密级", choices=[(level, level) for level in SECRECY_LEVELS], default="无",
                          validators=[required("请选择密级。")])
    urgency = SelectField("紧急程度", choices=[(level, level) for level in URGENCY_LEVELS], default="普通",
                          validators=[required("请选择紧急程度。")])
    received_on = CnDateField("收文日期", validators=[required("请填写收文日期。"), not_in_future])
    received_file = FileField("来文文件", validators=[_received_file], description=FILE_HINT,
                              render_kw={"accept": ".pdf,.docx,application/pdf"})


@register_form("incoming_propose")
class IncomingProposeForm(ChineseForm):
    proposal = TextAreaField("拟办意见", validators=[required("请填写拟办意见。"), max_length(1000)],
                             description="如：请王镇长阅示，建议由安监办承办。")


@register_form("incoming_assign")
class IncomingAssignForm(ChineseForm):
    instruction = TextAreaField("批办意见", validators=[required("请填写批办意见。"), max_length(1000)])
    handler = SelectField("承办人", choices=[], validate_choice=False, validators=[required("请选择承办人。")])
    readers = CheckboxList("传阅人（可多选）", choices=[], validate_choice=False,
                           description="所选领导各自收到一项传阅待办，阅后标记“已阅”")

    def setup(self, session: Any, user: Any, instance: Any) -> None:
        self.handler.choices = [("", "请选择")] + [(u.username, u.choice_label)
                                                  for u in incoming.candidates(session, instance, "clerk")]
        self.readers.choices = [(u.username, u.choice_label) for u in incoming.candidates(session, instance, "leader")]

    def validate_handler(self, field: Any) -> None:
        if field.data not in {value for value, _ in self.handler.choices if value}:
            raise ValidationError("请从列表中选择承办人。")

    def validate_readers(self, field: Any) -> None:
        allowed = {value for value, _ in self.readers.choices}
        if any(name not in allowed for name in field.data or []):
            raise ValidationError("传阅人不在可选范围内。")


@register_form("incoming_handle")
class IncomingHandleForm(ChineseForm):
    handling = TextAreaField("办理情况", validators=[required("请填写办理情况。"), max_length(2000)],
                             description="做了什么、结果如何；如已另行发文或开展专项行动，请注明")


@register_form("incoming_read")
class IncomingReadForm(ChineseForm):
    read_remark = StringField("阅示意见（可不填）", validators=[optional(), max_length(200)])


@register_form("incoming_close")
class IncomingCloseForm(ChineseForm):
    closing_note = StringField("办结说明（可不填）", validators=[optional(), max_length(200)],
                               description="提交后生成收文处理单，与来文一并归档")
