"""Forms of referrals (移交) to receiving departments, villages' reports up and the unit's own link."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange

from webapp.forms.common import (
    CheckboxList,
    ChineseForm,
    max_length,
    not_in_future,
    optional,
    phone_number,
    required,
    today,
)
from webapp.forms.widgets import CnDateField

IMAGE_OR_PDF = {"accept": "image/*,application/pdf"}


class BundleReferralForm(ChineseForm):
    """合并移交: queued items, one or several departments (联合处置), one letter."""

    report_ids = CheckboxList("移交事项", coerce=int, validators=[required("请至少选择一项要移交的隐患。")])
    receiver_ids = CheckboxList("接收部门", coerce=int, validators=[required("请至少选择一个接收部门。")],
                                description="选择多个部门即联合处置：一份移交函主送各部门，各部门分别反馈")
    actions_taken = TextAreaField("已采取的措施", validators=[required("请填写已采取的措施。"), max_length(1000)])
    requested_action = TextAreaField("请求事项", validators=[optional(), max_length(500)])
    feedback_days = IntegerField("反馈期限（日）", default=15, validators=[
        required("请填写反馈期限。"), NumberRange(min=1, max=90, message="反馈期限应为1至90日。")])
    contact_name = StringField("联系人", validators=[required("请填写联系人。"), max_length(50)])
    contact_phone = StringField("联系电话", validators=[required("请填写联系电话。"), phone_number])


class AcceptanceForm(ChineseForm):
    accepted_on = CnDateField("接收日期", default=today, validators=[required("请填写接收日期。"), not_in_future])
    accepted_by = StringField("接收人", validators=[required("请填写接收人。"), max_length(50)])


class ResultForm(ChineseForm):
    feedback_on = CnDateField("反馈日期", default=today, validators=[required("请填写反馈日期。"), not_in_future])
    measures = TextAreaField("采取的措施", validators=[required("请填写采取的措施。"), max_length(1000)])
    result = TextAreaField("处理结果", validators=[required("请填写处理结果。"), max_length(1000)])
    files = MultipleFileField("附件（处理文书、照片）", render_kw=IMAGE_OR_PDF | {"multiple": True})
    # the state the page showed: an answer recorded by someone else since then wins (referrals.record_result)
    seen_status = HiddenField()


class ReportUpForm(ChineseForm):
    note = TextAreaField("上报说明", validators=[required("请填写上报说明。"), max_length(1000)],
                         description="为什么需要镇（街道）移交：如单位拒不整改、需要执法部门处理")


class ReceiverAccountForm(ChineseForm):
    receiver_id = SelectField("接收部门", coerce=int, validators=[required("请选择接收部门。")])
    user_id = SelectField("登录账号", coerce=int, validators=[required("请选择账号。")],
                          description="先在“用户”中新建角色为“接收部门”的账号，再在此处指定它代表哪个部门")


class UnitLinkForm(ChineseForm):
    applicant = StringField("提交人", validators=[required("请填写提交人。"), max_length(50)])
    note = TextAreaField("整改情况说明", validators=[optional(), max_length(500)])
    files = MultipleFileField("整改照片或PDF", render_kw=IMAGE_OR_PDF | {"multiple": True},
                              description="只接受图片（JPG、PNG、WEBP）和PDF")
    apply = BooleanField("整改已完成，申请复查")
