"""Forms of the inspection procedure: the phone-friendly 检查记录 and the steps that follow it."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import contains_eager
from wtforms import (
    BooleanField,
    FileField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.validators import NumberRange, Regexp

from webapp.cases import leads as hazard_leads
from webapp.cases import special_campaigns
from webapp.forms.checkin import CheckinFields
from webapp.forms.common import (
    CheckboxList,
    ChineseForm,
    DecisionMixin,
    max_length,
    not_before,
    not_in_future,
    optional,
    phone_number,
    required,
    today,
)
from webapp.forms.registry import register_form
from webapp.forms.sanitise import SafeForm
from webapp.forms.special_campaigns import CampaignChoice, campaign_field
from webapp.forms.task_data import EvidencePhotosField
from webapp.forms.widgets import CnDateField, EntryList
from webapp.models import Unit, User
from webapp.models.campaigns import CampaignItem
from webapp.procedures.inspection import deadlines, records
from webapp.procedures.inspection.models import ITEM_RESULTS
from webapp.procedures.inspection.plans import inspectors_for
from webapp.procedures.inspection.setup import checklist_for, receiver_label, receivers
from webapp.web.converters import db_int
from webapp.web.responses import runtime

PHOTO_HINT = "可拍照或选择多张图片"
# An entry's answers kept when the form reloads its items (a file input cannot be refilled: photos go).
KEPT_ON_RELOAD = ("result", "description", "location", "corrected_on_spot")


def units_in_scope(session: Any, user: User) -> list[Unit]:
    from webapp.models import GridNode

    # each unit's grid comes from the join (the choices show its display path): one statement, not one more per
    # grid of the scope
    stmt = (select(Unit).join(GridNode).where(GridNode.path.startswith(user.scope.path))
            .options(contains_eager(Unit.grid)).order_by(GridNode.path, Unit.name))
    return list(session.scalars(stmt))


def lead_item_name(lead: Any) -> str:
    """How an open lead reads as an item of the inspection record."""
    return f"{lead.source}线索：{lead.category}（{lead.reported_at:%m-%d} {lead.reporter_name}）"


def campaign_item_note(item: CampaignItem) -> str:
    """What the inspector reads under a campaign's own item: whose item it is, and the basis a failure cites."""
    return "专项行动检查内容" + (f"；依据：{item.legal_basis}" if item.legal_basis else "")


def _file_required(form: Form, field: Any) -> None:
    if not getattr(field.data, "filename", None):
        raise ValidationError("请上传扫描件或照片。")


class ChecklistEntryForm(SafeForm):
    item_id = HiddenField()
    item_name = HiddenField()
    # Set on the entries that check an open lead (隐患线索, e.g. from a patrol) instead of a checklist item.
    lead_id = HiddenField()
    # Set on the entries that check an item of the 专项行动's own list (its name), after the place type's.
    campaign_item = HiddenField()
    result = RadioField("检查结果", choices=list(ITEM_RESULTS.items()),
                        validators=[required("请选择检查结果。")])
    # No Optional(): it would stop the chain before the "required when hazard" checks below.
    description = TextAreaField("问题描述", validators=[max_length(500)], render_kw={"rows": 2})
    location = StringField("具体位置", validators=[max_length(100)])
    photos = EvidencePhotosField("现场照片", render_kw={"accept": "image/*", "capture": "environment"})
    corrected_on_spot = BooleanField("已当场改正")

    def legend(self) -> str:
        return self.item_name.data or "检查项目"

    def note(self) -> str:
        """The item's 检查要点 (set when the checklist is loaded; not posted back)."""
        return getattr(self, "guidance", "")

    def validate_description(self, field: Any) -> None:
        if self.result.data == "hazard" and not (field.data or "").strip():
            raise ValidationError("存在隐患时请描述问题。")

    def validate_location(self, field: Any) -> None:
        if self.result.data == "hazard" and not (field.data or "").strip():
            raise ValidationError("存在隐患时请填写具体位置。")


@register_form("inspection_record_form")
class InspectionRecordForm(CampaignChoice, CheckinFields, ChineseForm):
    unit_id = SelectField("被检查单位", coerce=int, validate_choice=False)
    unit_name = HiddenField()
    inspected_on = CnDateField("检查日期", validators=[required("请填写检查日期。"), not_in_future])
    inspected_time = StringField("检查时间", default="09:00", validators=[
        required("请填写检查时间。"), Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message="时间格式应为“09:30”。")])
    special_campaign_id = campaign_field()
    inspector_ids = SelectMultipleField("检查人员（不少于2人）", coerce=int, validate_choice=False,
                                        widget=widgets.ListWidget(prefix_label=False),
                                        option_widget=widgets.CheckboxInput())
    items = EntryList(FormField(ChecklistEntryForm), label="检查项目")
    major_hazard = BooleanField("认定为重大火灾隐患")
    measures = TextAreaField("处理措施（可不填，系统按检查结果生成）", validators=[optional(), max_length(500)])
    unit_representative = StringField("被检查单位代表", validators=[optional(), max_length(50)])

    def setup(self, session: Any, user: User, instance: Any) -> None:
        units = units_in_scope(session, user)
        self.unit_id.choices = [(0, "请选择单位")] + [(u.id, f"{u.name}（{u.grid.display_path()}）") for u in units]
        self.inspector_ids.choices = [(u.id, u.display_name) for u in inspectors_for(session, user)]
        if self.inspected_on.data is None and request.method == "GET":
            self.inspected_on.data = today()
        if not self.unit_id.data and request.args.get("unit_id", type=db_int):
            self.unit_id.data = request.args.get("unit_id", type=db_int)
        unit = next((u for u in units if u.id == self.unit_id.data), None)
        self.unit_name.data = unit.name if unit else ""
        self.setup_campaigns(session, user, self.inspected_on.data or today(), unit)
        self._just_loaded = unit is not None and self._load_checklist(session, unit)

    def _load_checklist(self, session: Any, unit: Unit) -> bool:
        """(Re)load the unit category's items, the chosen campaign's own items and the unit's open leads unless
        the posted entries already match them. A lead comes pre-filled as a hazard for the inspector to confirm
        (or mark 合格: gone)."""
        items = {str(i.id): i for i in checklist_for(session, unit.grid, unit.category)}
        offered = {value for value, _label in self.special_campaign_id.choices}
        chosen = self.special_campaign_id.data if self.special_campaign_id.data in offered else None
        campaign = {i.name: i for i in special_campaigns.items_of(session, chosen)}
        leads = {str(lead.id): lead for lead in hazard_leads.open_leads(session, unit.id)}
        entries = [e.form for e in self.items.entries]
        posted = [e.item_id.data for e in entries if not (e.lead_id.data or e.campaign_item.data)]
        posted_campaign = [e.campaign_item.data for e in entries if e.campaign_item.data]
        posted_leads = [e.lead_id.data for e in entries if e.lead_id.data]
        matching = (sorted(posted) == sorted(items) and sorted(posted_campaign) == sorted(campaign)
                    and sorted(posted_leads) == sorted(leads))
        reload = bool(items or campaign or leads) and not (entries and matching)
        if reload:
            # what was filled in for an entry that stays (e.g. when only the campaign changed) is kept
            kept = {(e.item_id.data or "", e.campaign_item.data or "", e.lead_id.data or ""):
                    {key: e.data[key] for key in KEPT_ON_RELOAD if e.data.get(key)} for e in entries}
            fresh = [{"item_id": str(item.id), "item_name": item.name, "result": "passed"} for item in items.values()]
            fresh += [{"item_id": "", "campaign_item": name, "item_name": name, "result": "passed"}
                      for name in campaign]
            fresh += [{"item_id": "", "lead_id": str(lead.id), "item_name": lead_item_name(lead), "result": "hazard",
                       "description": lead.description} for lead in leads.values()]
            self.items.entries, self.items.last_index = [], -1
            for entry in fresh:
                key = (entry["item_id"], entry.get("campaign_item", ""), entry.get("lead_id", ""))
                self.items.append_entry({**entry, **kept.get(key, {})})
        for entry in (e.form for e in self.items.entries):
            if entry.lead_id.data:
                entry.item_name.data, entry.guidance = lead_item_name(leads[entry.lead_id.data]), ""
            elif entry.campaign_item.data:
                item = campaign[entry.campaign_item.data]
                entry.item_name.data, entry.guidance = item.name, campaign_item_note(item)
            else:
                item = items[entry.item_id.data]
                entry.item_name.data, entry.guidance = item.name, item.guidance
        return reload

    def validate_unit_id(self, field: Any) -> None:
        if field.data not in {value for value, _label in field.choices if value}:
            raise ValidationError("请选择被检查单位。")

    def validate_inspector_ids(self, field: Any) -> None:
        allowed, chosen = {value for value, _label in field.choices}, set(field.data or [])
        if chosen - allowed:
            raise ValidationError("只能选择本辖区的检查人员。")
        if len(chosen) < 2:
            raise ValidationError("检查人员不少于2人，请至少勾选2名检查人员。")

    def validate_items(self, field: Any) -> None:
        if getattr(self, "_just_loaded", False):
            raise ValidationError("已按单位类别（及所选专项行动）载入检查项目，请逐项填写后再提交。")

    def validate_major_hazard(self, field: Any) -> None:
        if field.data and not any(e.form.result.data == "hazard" for e in self.items.entries):
            raise ValidationError("认定重大火灾隐患时，请至少在一个检查项目中填写隐患。")


class NoticeHazardForm(SafeForm):
    hazard_id = HiddenField()
    description = TextAreaField("隐患描述", validators=[required("请填写隐患描述。"), max_length(500)],
                                render_kw={"rows": 2})
    location = StringField("具体位置", validators=[required("请填写具体位置。"), max_length(100)])
    legal_basis = StringField("法律依据", validators=[required("请填写法律依据。"), max_length(200)])
    deadline = CnDateField("本项整改期限（不填则按下方整改期限）", validators=[optional()])

    def legend(self) -> str:
        return (self.description.data or "隐患")[:20]


def _open_hazards(session: Any, instance: Any) -> list:
    return [h for h in records.inspection_of(session, instance).hazards if h.status == "open"]


@register_form("inspection_notice_draft")
class NoticeDraftForm(ChineseForm):
    notice_hazards = EntryList(FormField(NoticeHazardForm), label="整改通知书所列隐患")
    severity = SelectField("隐患程度（用于建议整改期限）", choices=list(records.SEVERITIES.items()), default="general")
    deadline = CnDateField("整改期限（默认按隐患程度以工作日计算，可修改）", validators=[optional()])
    # The deadline proposed when the page was shown: a deadline still equal to it was not chosen by the
    # user, so it follows the severity chosen with it (also without the page's script).
    proposed_deadline = HiddenField()
    note = StringField("附注", validators=[optional(), max_length(200)])

    def setup(self, session: Any, user: User, instance: Any) -> None:
        inspection = records.inspection_of(session, instance)
        self._inspected_on = inspection.inspected_at.date()
        if not self.notice_hazards.entries:
            for hazard in _open_hazards(session, instance):
                self.notice_hazards.append_entry({"hazard_id": str(hazard.id), "description": hazard.description,
                                                  "location": hazard.location, "legal_basis": hazard.legal_basis})
        for entry in self.notice_hazards.entries:  # a draft sent back comes with each row's date as ISO text
            own = entry.form.deadline
            if isinstance(own.data, str):
                own.data = date.fromisoformat(own.data[:10]) if own.data else None
        self._follow_severity(session)

    def _follow_severity(self, session: Any) -> None:
        calendar = runtime().calendar(session)
        proposals = {key: records.proposed_deadline(calendar, self._inspected_on, key).isoformat()
                     for key in records.SEVERITIES}
        proposal = proposals.get(self.severity.data, proposals["general"])
        self.deadline.render_kw = {"data-by-severity": json.dumps(proposals)}
        untouched = self.deadline.data is None or self.deadline.data.isoformat() == self.proposed_deadline.data
        if untouched and not self.deadline.process_errors:
            self.deadline.data = date.fromisoformat(proposal)
        self.proposed_deadline.data = proposal

    def validate_deadline(self, field: Any) -> None:
        if field.data and field.data <= self._inspected_on:
            raise ValidationError("整改期限应晚于检查日期。")

    def validate_notice_hazards(self, field: Any) -> None:
        for entry in field.entries:
            own = entry.form.deadline
            if own.data and own.data <= self._inspected_on:
                own.errors = [*own.errors, "整改期限应晚于检查日期。"]
                raise ValidationError("请修改标出的整改期限。")


@register_form("inspection_sign")
class SignForm(DecisionMixin, ChineseForm):
    """签发: the leader reads the preview, then approves (issue) or sends back with a reason."""


class _AfterInspection:
    """A step whose date cannot precede the inspection (送达, 反馈)."""

    def setup(self, session: Any, user: User, instance: Any) -> None:
        self._inspected_on = records.inspection_of(session, instance).inspected_at.date()


@register_form("inspection_service")
class ServiceForm(_AfterInspection, ChineseForm):
    served_on = CnDateField("送达日期", validators=[required("请填写送达日期。"), not_in_future])
    receiver_name = StringField("签收人", validators=[required("请填写签收人。"), max_length(50)])
    receipt_scan = FileField("签收回执扫描件", validators=[_file_required],
                             render_kw={"accept": "image/*,application/pdf"})

    def validate_served_on(self, field: Any) -> None:
        not_before(field, self._inspected_on, "检查日期")


class ReinspectionCheckForm(SafeForm):
    hazard_id = HiddenField()
    hazard_text = HiddenField()
    rectified = RadioField("整改情况", choices=list(deadlines.CHECK_ANSWERS.items()),
                           validators=[required("请选择是否已整改。")])
    remark = StringField("说明", validators=[optional(), max_length(200)])
    photos = EvidencePhotosField("复查照片", render_kw={"accept": "image/*", "capture": "environment"})

    def legend(self) -> str:
        return self.hazard_text.data or "隐患"


@register_form("inspection_reinspection")
class ReinspectionForm(ChineseForm):
    reinspected_on = CnDateField("复查日期", validators=[required("请填写复查日期。"), not_in_future])
    checks = EntryList(FormField(ReinspectionCheckForm), label="逐项复查")

    def setup(self, session: Any, user: User, instance: Any) -> None:
        hazards = {str(h.id): h for h in _open_hazards(session, instance)}
        # fresh rows on every visit: the case's data may still hold the answers of an earlier re-inspection
        if request.method == "GET" or not self.checks.entries:
            self.checks.entries, self.checks.last_index = [], -1
            for key, hazard in hazards.items():
                self.checks.append_entry({"hazard_id": key, "hazard_text": _check_text(hazard)})
        for entry in self.checks.entries:
            hazard = hazards.get(entry.form.hazard_id.data)
            entry.form.hazard_text.data = _check_text(hazard) if hazard else ""
        if self.reinspected_on.data is None and request.method == "GET":
            self.reinspected_on.data = today()
        self._served_on = records.inspection_of(session, instance).served_on
        self._hazards = hazards

    def validate_reinspected_on(self, field: Any) -> None:
        not_before(field, self._served_on, "整改通知书送达日期")

    def validate_checks(self, field: Any) -> None:
        if not field.entries or any(not e.form.hazard_text.data for e in field.entries):
            raise ValidationError("复查项目与整改通知书不一致，请刷新页面后重新填写。")
        day, failed = self.reinspected_on.data or today(), False
        for entry in field.entries:
            answer = entry.form.rectified
            problem = deadlines.check_problem(self._hazards[entry.form.hazard_id.data], answer.data, day)
            if problem:
                answer.errors, failed = [*answer.errors, problem], True
        if failed:
            raise ValidationError("请修改标出的复查结果。")
        if all(e.form.rectified.data == "pending" for e in field.entries):
            raise ValidationError("没有到期的隐患可复查：请至少对一项隐患作出复查结论。")


def _check_text(hazard: Any) -> str:
    due = hazard.due_on or hazard.deadline
    return f"{hazard.description}（{hazard.location}）" + (f"，期限 {due.isoformat()}" if due else "")


class ReceiverChoice(CheckboxList):
    """The receivers of a letter; a draft saved when a letter had one receiver holds its kind as text."""

    def process_data(self, value: Any) -> None:
        super().process_data([value] if isinstance(value, str) else value)


@register_form("inspection_referral_draft")
class ReferralDraftForm(ChineseForm):
    # One or several (联合处置): one letter 主送 each, each department answers on its own.
    receiver_kind = ReceiverChoice("移交对象", validators=[required("请至少选择一个移交对象。")],
                                 description="可多选：选择多个部门即联合处置，一份移交函主送各部门，各部门分别反馈")
    actions_taken = TextAreaField("已采取的措施", validators=[required("请填写已采取的措施。"), max_length(1000)])
    requested_action = TextAreaField("请求事项", validators=[optional(), max_length(500)],
                                     description="可不填；函中已写明“请于收到本函之日起N日内将处理情况书面反馈”")
    feedback_days = IntegerField("反馈期限（日）", validators=[
        required("请填写反馈期限。"), NumberRange(min=1, max=90, message="反馈期限应为1至90日。")])
    contact_name = StringField("联系人", validators=[required("请填写联系人。"), max_length(50)])
    contact_phone = StringField("联系电话", validators=[required("请填写联系电话。"), phone_number])

    def setup(self, session: Any, user: User, instance: Any) -> None:
        found = receivers(session, instance.grid)
        self.receiver_kind.choices = [(k, f"{receiver_label(r)}：{r.name}") for k, r in found.items()]
        if request.method != "GET":
            return
        from webapp.procedures.inspection.followup import actions_taken

        inspection = records.inspection_of(session, instance)
        self.receiver_kind.data = self.receiver_kind.data or ["police"]
        self.feedback_days.data = self.feedback_days.data or found["police"].feedback_days
        self.actions_taken.data = self.actions_taken.data or actions_taken(session, inspection)
        self.contact_name.data = self.contact_name.data or user.display_name
        self.contact_phone.data = self.contact_phone.data or user.phone


@register_form("inspection_feedback")
class FeedbackForm(_AfterInspection, ChineseForm):
    feedback_on = CnDateField("反馈日期", validators=[required("请填写反馈日期。"), not_in_future])
    measures = TextAreaField("采取的措施", validators=[required("请填写接收单位采取的措施。"), max_length(1000)],
                             description="接收部门在“移交”中自行反馈的，反馈齐全后本步骤自动办结；"
                                         "此处登记的是尚未反馈的部门的情况")
    result = TextAreaField("处理结果", validators=[required("请填写处理结果。"), max_length(1000)])
    feedback_scan = FileField("反馈函扫描件", validators=[_file_required],
                              render_kw={"accept": "image/*,application/pdf"})

    def validate_feedback_on(self, field: Any) -> None:
        not_before(field, self._inspected_on, "检查日期")
