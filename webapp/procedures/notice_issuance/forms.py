"""Forms of the 发文 procedure: start, 拟稿, 核稿, 会签, 签发, 印发登记."""

from __future__ import annotations

from typing import Any

from wtforms import (
    DateField,
    Field,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, ValidationError

from webapp.forms.common import (
    CheckboxList,
    ChineseForm,
    DecisionMixin,
    max_length,
    not_in_future,
    optional,
    required,
    today,
)
from webapp.forms.registry import register_form
from webapp.forms.widgets import CnDateField
from webapp.procedures.notice_issuance import delivery, notices
from webapp.services.grid import town_of

BODY_HINT = ("每段一行。以“一、”开头的行为一级标题（黑体），以“（一）”开头的为二级标题（楷体），"
             "以“1.”开头的为三级标题；序号由版式自动生成，其余各行为正文段落。")
KIND_CHOICES = [(kind, kind) for kind in notices.KINDS]


@register_form("notice_start")
class NoticeStartForm(ChineseForm):
    kind = SelectField("文种", choices=KIND_CHOICES, validators=[required("请选择文种。")])
    title = StringField("标题", validators=[required("请输入标题。"), max_length(100)],
                        description="如：关于开展冬春火灾防控工作的通知")


@register_form("notice_draft")
class NoticeDraftForm(ChineseForm):
    kind = SelectField("文种", choices=KIND_CHOICES, validators=[required("请选择文种。")])
    issuing_body = RadioField("发文机关", choices=list(notices.ISSUING_BODIES.items()), default="town",
                              validators=[required("请选择发文机关。")])
    joint_organs = CheckboxList("联合发文机关（联合行文时勾选）", choices=[], validate_choice=False,
                                description="所选发文机关为主办机关、排在首位；版头各机关名称上下排列，“文件”二字居右")
    direction = RadioField("行文方向", choices=[("down", "下行文（通知、通报、意见、函）"),
                                            ("up", "上行文（报告、请示，版头标注签发人）")],
                           default="down", validators=[required("请选择行文方向。")])
    title = StringField("标题", validators=[required("请输入标题。"), max_length(100)],
                        description="标题较长需要回行时，可用“|”标出回行位置；不标则按词语自动排成梯形或菱形")
    addressees = CheckboxList("主送机关", choices=[], validate_choice=False)
    addressees_other = StringField("其他主送机关", validators=[optional(), max_length(300)],
                                   description="不在上面列表中的机关，多个用顿号或逗号分隔")
    body = TextAreaField("正文", validators=[required("请输入正文。"), max_length(20000)], description=BODY_HINT,
                         render_kw={"rows": 16, "placeholder": BODY_HINT})
    new_attachments = MultipleFileField("附件（上传文件，文件名即附件名称）",
                                        description="可一次选择多个文件；已上传的附件保留在下面的列表中")
    kept_attachments = CheckboxList("已上传的附件（取消勾选即删除）", choices=[], validate_choice=False)
    cc = StringField("抄送", validators=[optional(), max_length(300)], description="多个机关用顿号或逗号分隔")
    note = StringField("附注", validators=[optional(), max_length(200)], description="如：联系人及电话；不含括号")
    copies = IntegerField("印发份数", default=10, validators=[
        InputRequired("请填写印发份数。"), NumberRange(min=1, max=999, message="份数应在1到999之间。")])
    printer = StringField("印发机关",
                          validators=[required("请填写印发机关。"), max_length(50)])
    co_signers = CheckboxList("会签领导（需要其他部门会签时勾选）", choices=[], validate_choice=False)

    def setup(self, session: Any, user: Any, instance: Any) -> None:
        if not self.printer.data:
            self.printer.data = notices.default_printer(town_of(instance.grid), self.issuing_body.data or "town")
        self.addressees.choices = [(name, name) for name in notices.addressee_choices(session, instance.grid)]
        self.joint_organs.choices = [(name, name) for name in notices.joint_organ_choices(session, instance.grid)]
        self.co_signers.choices = [(u.username, u.choice_label)
                                   for u in notices.co_signer_choices(session, instance.grid)]
        kept = self.kept_attachments.data or []  # "sha256:file name", see notices.kept_value
        self.kept_attachments.choices = [(value, value.partition(":")[2]) for value in kept]

    def validate_direction(self, field: Field) -> None:
        if self.kind.data in notices.UPWARD_KINDS and field.data != "up":
            raise ValidationError("报告、请示属于上行文，请选择“上行文”。")
        if self.kind.data not in notices.UPWARD_KINDS and field.data == "up":
            raise ValidationError(f"{self.kind.data}一般为下行文；上行文请选择文种“报告”或“请示”。")

    def validate_addressees(self, field: Field) -> None:
        if not field.data and not (self.addressees_other.data or "").strip():
            raise ValidationError("请至少选择或填写一个主送机关。")
        allowed = {value for value, _ in self.addressees.choices}
        if any(name not in allowed for name in field.data or []):
            raise ValidationError("主送机关不在可选列表中，请在“其他主送机关”中填写。")

    def validate_joint_organs(self, field: Field) -> None:
        allowed = {value for value, _ in self.joint_organs.choices}
        if any(name not in allowed for name in field.data or []):
            raise ValidationError("联合发文机关不在本镇的发文机关中。")

    def validate_co_signers(self, field: Field) -> None:
        allowed = {value for value, _ in self.co_signers.choices}
        if any(name not in allowed for name in field.data or []):
            raise ValidationError("会签人不在可选范围内。")


@register_form("notice_review")
class NoticeReviewForm(DecisionMixin, ChineseForm):
    """核稿: 同意 (with the reviewer's edits of title and text, kept as a version with 痕迹), or 退回 with a reason."""

    title = StringField("标题", validators=[optional(), max_length(100)],
                        description="核稿可直接修改标题和正文；修改保存为新的稿本，拟稿人和签发人可查看修改痕迹")
    body = TextAreaField("正文", validators=[optional(), max_length(20000)], description=BODY_HINT,
                         render_kw={"rows": 16})


@register_form("notice_countersign")
class NoticeCountersignForm(DecisionMixin, ChineseForm):
    """会签: 同意, or 退回 (any one co-signer sends the draft back)."""


@register_form("notice_sign_off")
class NoticeSignOffForm(DecisionMixin, ChineseForm):
    """签发: 同意 issues the document with the next number; 退回 returns it."""


@register_form("notice_distribution")
class NoticeDistributionForm(ChineseForm):
    printed_on = DateField("印发日期", validators=[required("请填写印发日期。"), not_in_future])
    copies = IntegerField("印发份数", validators=[
        InputRequired("请填写印发份数。"), NumberRange(min=1, max=999, message="份数应在1到999之间。")])
    recipients = TextAreaField("分送单位", validators=[required("请填写分送单位。"), max_length(2000)],
                               description="多个单位用顿号或逗号分隔")
    deliver_to = CheckboxList("送达（需签收）", choices=[], validate_choice=False, default=None,
                              description="所选村（社区）、小网格的文书和负责人，以及所选部门的接收部门账号，在“收到的公文”中"
                                          "收到本文并签收；按主送预选。未开通账号的部门和各单位（单位没有账号）仍按纸质分送")
    reply_due = CnDateField("要求反馈落实情况的期限（可不填）", validators=[optional()],
                            description="填写后，收文单位须在此日期前填写落实情况")

    def setup(self, session: Any, user: Any, instance: Any) -> None:
        recipients = delivery.choices(session, instance)
        self.deliver_to.choices = [(r.value, r.name + ("（部门）" if r.kind == "department" else ""))
                                   for r in recipients]
        if self.deliver_to.data is None:  # first display: preselect what 主送 names
            self.deliver_to.data = delivery.default_recipients(session, instance, recipients)

    def validate_reply_due(self, field: Field) -> None:
        if field.data and field.data < today():
            raise ValidationError("反馈期限不能早于今天。")
        if field.data and not self.deliver_to.data:
            raise ValidationError("请先勾选送达单位，再要求反馈落实情况。")

    def validate_deliver_to(self, field: Field) -> None:
        allowed = {value for value, _ in self.deliver_to.choices}
        if any(value not in allowed for value in field.data or []):
            raise ValidationError("送达单位不在可选范围内。")
