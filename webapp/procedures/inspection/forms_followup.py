"""Forms of the follow-up of a notice: the unit's application (复查 or 延期 with a 整改计划), the leader's
decision on the plan, and the 约谈 (scheduled, then recorded with a new deadline per hazard)."""

from __future__ import annotations

from typing import Any

from flask import request
from wtforms import FormField, HiddenField, RadioField, StringField, TextAreaField, ValidationError
from wtforms.validators import Regexp

from webapp.forms.common import ChineseForm, max_length, not_before, not_in_future, optional, required, today
from webapp.forms.registry import register_form
from webapp.forms.sanitise import SafeForm
from webapp.forms.widgets import CnDateField, EntryList
from webapp.models import User
from webapp.procedures.inspection import interviews, records

APPLICATIONS = {"reinspection": "申请复查（已整改完毕）", "extension": "申请延期（提交整改计划）"}
VERDICTS = {"approve": "同意延期", "refuse": "不予延期"}
TIME = Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message="时间格式应为“09:30”。")


def _hazard_text(hazard: Any) -> str:
    due = hazard.due_on or hazard.deadline
    return f"{hazard.description}（{hazard.location}）" + (f"，现期限 {due.isoformat()}" if due else "")


class HazardDateForm(SafeForm):
    """One hazard with a new date: the date asked for (延期) or set in the 约谈."""

    hazard_id = HiddenField()
    hazard_text = HiddenField()
    due_on = CnDateField("新的整改期限", validators=[optional()])

    def legend(self) -> str:
        return self.hazard_text.data or "隐患"


def _fill_hazards(field: EntryList, hazards: dict[str, Any]) -> None:
    """One row per hazard the step is about, fresh on every visit (the case's data may still hold the rows
    of an earlier round of the same step); a posted row naming another hazard reads as empty."""
    if request.method == "GET" or not field.entries:
        field.entries, field.last_index = [], -1
        for key, hazard in hazards.items():
            field.append_entry({"hazard_id": key, "hazard_text": _hazard_text(hazard)})
    for entry in field.entries:
        hazard = hazards.get(entry.form.hazard_id.data)
        entry.form.hazard_text.data = _hazard_text(hazard) if hazard else ""
        entry.form.hazard = hazard


def _check_dates(field: EntryList, earliest: Any, what: str, *, all_required: bool) -> None:
    """Each new date later than the hazard's current one and than `earliest`; the problems beside each."""
    if any(not e.form.hazard_text.data for e in field.entries):
        raise ValidationError("隐患清单已变化，请刷新页面后重新填写。")
    failed = False
    for entry in field.entries:
        due, hazard = entry.form.due_on, entry.form.hazard
        current = hazard.due_on or hazard.deadline
        problem = None
        if all_required and not due.data:
            problem = "请填写新的整改期限。"
        elif due.data and current and due.data <= current:
            problem = f"应晚于现整改期限（{current.isoformat()}）。"
        elif due.data and earliest and due.data <= earliest:
            problem = f"应晚于{what}（{earliest.isoformat()}）。"
        if problem:
            due.errors, failed = [*due.errors, problem], True
    if failed:
        raise ValidationError("请修改标出的整改期限。")
    if not any(e.form.due_on.data for e in field.entries):
        raise ValidationError("请至少为一项隐患填写新的整改期限。")


@register_form("inspection_application")
class ApplicationForm(ChineseForm):
    """What the unit asks while it rectifies, recorded by the inspector from the case page."""

    application = RadioField("申请事项", choices=list(APPLICATIONS.items()), default="reinspection",
                             validators=[required("请选择申请事项。")])
    applied_on = CnDateField("申请日期", validators=[required("请填写申请日期。"), not_in_future])
    applicant = StringField("申请人", validators=[required("请填写申请人。"), max_length(50)])
    note = TextAreaField("整改情况说明", validators=[optional(), max_length(500)])
    # No Optional() on these: it would stop the chain before the "required for an extension" checks below.
    reason = TextAreaField("延期理由（申请延期时填写）", validators=[max_length(500)])
    measures = TextAreaField("整改计划：措施、责任人、进度（申请延期时填写）", validators=[max_length(2000)])
    interim_measures = TextAreaField("整改期间的安全防范措施（申请延期时填写）", validators=[max_length(1000)])
    plan_items = EntryList(FormField(HazardDateForm), label="申请延期的隐患（不延期的留空）")

    def setup(self, session: Any, user: User, instance: Any) -> None:
        inspection = records.inspection_of(session, instance)
        self.fill_hazards(inspection)
        if self.applied_on.data is None and request.method == "GET":
            self.applied_on.data = today()
        self._served_on = inspection.served_on

    def fill_hazards(self, inspection: Any) -> None:
        _fill_hazards(self.plan_items, {str(h.id): h for h in inspection.hazards if h.status == "open"})

    def asks_extension(self) -> bool:
        return self.application.data == "extension"

    def applied_day(self) -> Any:
        return self.applied_on.data

    def validate_applied_on(self, field: Any) -> None:
        not_before(field, self._served_on, "整改通知书送达日期")

    def validate_measures(self, field: Any) -> None:
        if self.asks_extension() and not (field.data or "").strip():
            raise ValidationError("申请延期时请填写整改计划。")

    def validate_reason(self, field: Any) -> None:
        if self.asks_extension() and not (field.data or "").strip():
            raise ValidationError("申请延期时请填写延期理由。")

    def validate_interim_measures(self, field: Any) -> None:
        if self.asks_extension() and not (field.data or "").strip():
            raise ValidationError("申请延期时请填写整改期间的安全防范措施。")

    def validate_plan_items(self, field: Any) -> None:
        if self.asks_extension():
            _check_dates(field, self.applied_day(), "申请日期", all_required=False)

    def new_dates(self) -> list[dict]:
        """The hazards given a later date, as the case's data holds them."""
        return [{"hazard_id": e.form.hazard_id.data, "due_on": e.form.due_on.data.isoformat()}
                for e in self.plan_items.entries if e.form.due_on.data]


class UnitExtensionForm(ApplicationForm):
    """申请延期 through the unit's own link: the fields and checks of the application the inspector records,
    dated the day it is sent (the unit chooses no date and no other kind of application)."""

    application = applied_on = note = None

    def asks_extension(self) -> bool:
        return True

    def applied_day(self) -> Any:
        return today()

    def setup_for(self, inspection: Any) -> None:
        self.fill_hazards(inspection)
        for field in (self.reason, self.measures, self.interim_measures):
            field.label.text = field.label.text.replace("（申请延期时填写）", "")


@register_form("inspection_extension_review")
class ExtensionReviewForm(ChineseForm):
    """The leader reads the plan (preview) and approves the new dates or refuses them."""

    verdict = RadioField("审批结论", choices=list(VERDICTS.items()), validators=[required("请选择是否同意延期。")])
    # Not `opinion`: that one goes to the step's history only, while this one prints on the plan.
    review_opinion = TextAreaField("审批意见", validators=[max_length(1000)])  # required to refuse: see below

    def validate_review_opinion(self, field: Any) -> None:
        if self.verdict.data == "refuse" and not (field.data or "").strip():
            raise ValidationError("不予延期时请写明理由。")


@register_form("inspection_interview_schedule")
class InterviewScheduleForm(ChineseForm):
    scheduled_on = CnDateField("约谈日期", validators=[required("请填写约谈日期。")])
    scheduled_time = StringField("约谈时间", default="09:00", validators=[required("请填写约谈时间。"), TIME])
    place = StringField("约谈地点", validators=[required("请填写约谈地点。"), max_length(100)])
    interviewee = StringField("约谈对象（单位消防安全责任人）",
                              validators=[required("请填写约谈对象。"), max_length(50)])
    interviewers = StringField("约谈人", validators=[required("请填写约谈人。"), max_length(200)])

    def setup(self, session: Any, user: User, instance: Any) -> None:
        if request.method == "GET":
            self.interviewee.data = self.interviewee.data or instance.unit.responsible_person
            self.interviewers.data = self.interviewers.data or user.display_name

    def validate_scheduled_on(self, field: Any) -> None:
        if field.data and field.data < today():
            raise ValidationError(f"约谈日期不能早于今天（{today().isoformat()}）。")


@register_form("inspection_interview_record")
class InterviewRecordForm(ChineseForm):
    held_on = CnDateField("约谈日期", validators=[required("请填写约谈日期。"), not_in_future])
    attendees = StringField("单位到场人员", validators=[required("请填写单位到场人员。"), max_length(200)])
    interviewers = StringField("约谈人", validators=[required("请填写约谈人。"), max_length(200)])
    content = TextAreaField("约谈内容", validators=[required("请填写约谈内容。"), max_length(2000)])
    commitment = TextAreaField("单位整改承诺", validators=[required("请填写单位整改承诺。"), max_length(1000)])
    interview_items = EntryList(FormField(HazardDateForm), label="约谈后的整改期限（逾期仍未整改的将移交）")

    def setup(self, session: Any, user: User, instance: Any) -> None:
        interview = interviews.current(session, instance)
        by_id = {h.id: h for h in interview.inspection.hazards}
        _fill_hazards(self.interview_items, {str(i["hazard_id"]): by_id[i["hazard_id"]] for i in interview.items})
        if request.method == "GET":
            self.held_on.data = self.held_on.data or min(interview.scheduled_at.date(), today())
            self.attendees.data = self.attendees.data or interview.interviewee
            self.interviewers.data = self.interviewers.data or interview.interviewers

    def validate_interview_items(self, field: Any) -> None:
        _check_dates(field, self.held_on.data, "约谈日期", all_required=True)
