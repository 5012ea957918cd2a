"""Forms of the meeting procedure (会议 → 纪要) and of the decision follow-up (议定事项完成情况)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf.file import FileField
from markupsafe import Markup, escape
from wtforms import DateField, FieldList, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from webapp.forms.common import (
    CheckboxList,
    ChineseForm,
    DecisionMixin,
    max_length,
    optional,
    phone_number,
    required,
    today,
)
from webapp.forms.registry import register_form
from webapp.forms.sanitise import SafeForm
from webapp.procedures.meeting import decisions as meeting_decisions
from webapp.procedures.meeting import meetings
from webapp.procedures.meeting.meetings import split_lines
from webapp.procedures.meeting.notice import DEFAULT_REQUIREMENTS

ROWS_OF_DECISIONS = 6
MAX_DECISIONS = 50  # a 纪要 with more 议定事项 is not one meeting: the rest of a larger post is dropped


def _check_lines(field: Any, parts: int, example: str) -> None:
    bad = [line for line in split_lines(field.data) if len(line.split()) < parts]
    if bad:
        raise ValidationError(f"“{bad[0]}”格式不对，每行应为“{example}”。")


class DecisionEntry(SafeForm):
    """One 议定事项 row; a row left blank is ignored, a started row must be complete."""

    title = StringField("标题", validators=[optional(), max_length(100)])
    text = TextAreaField("内容", validators=[optional(), max_length(1000)])
    owner = SelectField("责任单位", choices=[("", "请选择")], validate_choice=False)
    deadline = StringField("完成时限", render_kw={"type": "date"})

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in (self.title, self.text, self.owner, self.deadline))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.is_blank():
            return ok
        for f, message in ((self.title, "请填写标题。"), (self.text, "请填写内容。"), (self.owner, "请选择责任单位。")):
            if not (f.data or "").strip():
                f.errors = [*f.errors, message]
                ok = False
        return self._check_deadline() and ok

    def _check_deadline(self) -> bool:
        try:
            date.fromisoformat((self.deadline.data or "").strip())
        except ValueError:
            self.deadline.errors = [*self.deadline.errors, "请填写完成时限（日期）。"]
            return False
        if self.owner.data and self.owner.data not in {value for value, _ in self.owner.choices}:
            self.owner.errors = [*self.owner.errors, "责任单位不在可选范围内。"]
            return False
        return True


def decision_table(field: FieldList, **kwargs: Any) -> Markup:
    """The decision rows as one table, each cell with its own error."""
    head = "".join(f"<th>{escape(f.label.text)}</th>" for f in field.entries[0].form) if field.entries else ""
    rows = []
    for entry in field.entries:
        cells = []
        for f in entry.form:
            errors = "".join(f'<p class="error" role="alert">{escape(e)}</p>' for e in f.errors)
            cells.append(f"<td>{f(**{'aria-label': f.label.text})}{errors}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return Markup(f'<div class="table-wrap"><table id="{field.id}"><thead><tr>{head}</tr></thead>'
                  f"<tbody>{''.join(rows)}</tbody></table></div>")


class DecisionList(FieldList):
    """Shows one summary error above the table (the cells carry the details)."""

    widget = staticmethod(decision_table)

    def validate(self, form: Any, extra_validators: Any = ()) -> bool:
        super().validate(form, extra_validators)
        if self.errors:
            self.errors = ["请修改下表中标出的议定事项。"]
        elif all(entry.form.is_blank() for entry in self.entries):
            self.errors = ["请至少填写一项议定事项。"]
        return not self.errors


def _series_choices(session: Any, user: Any) -> list[tuple[str, str]]:
    town = meetings.town_of(user.scope)
    return [(s.key, f"{s.name}（{meetings.INTERVALS.get(s.interval_months, '')}）")
            for s in meetings.series_of_town(session, town)]


def _clock_time(form: Any, field: Any) -> None:
    hour, _, minute = (field.data or "").strip().partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60 and len(minute) == 2):
        raise ValidationError("请按“09:00”的格式填写开始时间。")


@register_form("meeting_start")
class MeetingStartForm(ChineseForm):
    series_key = SelectField("会议类型", validators=[required("请选择会议类型。")])
    held_on = DateField("会议日期", validators=[required("请填写会议日期。")])

    def setup(self, session: Any, user: Any, instance: Any) -> None:
        self.series_key.choices = _series_choices(session, user)


@register_form("meeting_schedule")
class MeetingScheduleForm(MeetingStartForm):
    place = StringField("会议地点", validators=[required("请填写会议地点。"), max_length(200)])
    chair = StringField("主持人", validators=[required("请填写主持人。"), max_length(50)])
    recorder = StringField("记录人", validators=[required("请填写记录人。"), max_length(50)])
    start_time = StringField("开始时间", validators=[required("请填写开始时间。"), _clock_time],
                             render_kw={"type": "time"})
    extra_series = CheckboxList("同时计入的会议系列（本次会议同时作为这些系列的会议，年度计划中分别计为已召开）",
                                validators=[optional()])
    invited = CheckboxList("参会成员单位（会议通知的主送单位）", validators=[required("请至少选择一个参会成员单位。")])
    # The 会议通知 drafted from this step: the clerk previews it here and issues it at the next step.
    agenda = TextAreaField("会议议程（每行一项）", validators=[required("请填写会议议程。"), max_length(2000)])
    requirements = TextAreaField("会议要求（含请假规定，每行一段）",
                                 validators=[required("请填写会议要求。"), max_length(2000)])
    contact = StringField("会议联系人", validators=[required("请填写会议联系人。"), max_length(50)])
    contact_phone = StringField("联系电话", validators=[required("请填写联系电话。"), max_length(30), phone_number])

    def setup(self, session: Any, user: Any, instance: Any) -> None:
        super().setup(session, user, instance)
        town = meetings.town_of(instance.grid if instance else user.scope)
        self.invited.choices = [(m.organ, m.organ) for m in meetings.members(session, town)]
        self.extra_series.choices = [(s.key, s.name) for s in meetings.series_of_town(session, town)]
        if not self.is_submitted():
            self._prefill(user)
        series_keys = {value for value, _ in self.series_key.choices}
        key = self.series_key.data if self.series_key.data in series_keys else None
        self.open_items = meeting_decisions.open_of_series(session, meetings.series_by_key(session, town, key).id) \
            if key else []

    def _prefill(self, user: Any) -> None:
        """A first schedule: every member unit invited, the usual requirements, the clerk as contact."""
        if not self.invited.data:
            self.invited.data = [value for value, _ in self.invited.choices]
        self.requirements.data = self.requirements.data or DEFAULT_REQUIREMENTS
        self.contact.data = self.contact.data or user.display_name
        self.contact_phone.data = self.contact_phone.data or user.phone

    def validate_extra_series(self, field: Any) -> None:
        if self.series_key.data in (field.data or []):
            raise ValidationError("同时计入的系列不必包含本次会议自身的会议类型。")


@register_form("meeting_notice")
class MeetingNoticeForm(DecisionMixin, ChineseForm):
    """会议通知印发: the clerk reads the drafted notice (preview) and issues it, or sends it back to 安排会议."""

    cc = StringField("抄送（可不填，多个单位以顿号分隔）", validators=[optional(), max_length(300)])


@register_form("meeting_record")
class MeetingRecordForm(ChineseForm):
    attendees = TextAreaField("出席（每行：单位 姓名）",
                              validators=[required("请填写出席单位和人员。"), max_length(2000)])
    absentees = TextAreaField("请假（每行：单位 姓名 原因）", validators=[optional(), max_length(2000)])
    observers = TextAreaField("列席（每行：单位 姓名）", validators=[optional(), max_length(2000)])
    agenda = TextAreaField("会议议题（每行一项）", validators=[required("请填写会议议题。"), max_length(2000)])
    summary = TextAreaField("会议概述", validators=[required("请填写会议概述。"), max_length(2000)])
    attachments = TextAreaField("附件（会议材料名称，每行一项，可不填）", validators=[optional(), max_length(1000)])
    decisions = DecisionList(FormField(DecisionEntry), label="议定事项（每项须有责任单位和完成时限）",
                             min_entries=ROWS_OF_DECISIONS, max_entries=MAX_DECISIONS)

    def validate_attendees(self, field: Any) -> None:
        _check_lines(field, 2, "单位 姓名")

    def validate_summary(self, field: Any) -> None:
        if self._held_on and today() < self._held_on:
            raise ValidationError(f"会议定于{self._held_on.isoformat()}召开，会后才能记录纪要。")

    def validate_absentees(self, field: Any) -> None:
        _check_lines(field, 3, "单位 姓名 请假原因")

    def validate_observers(self, field: Any) -> None:
        _check_lines(field, 2, "单位 姓名")

    def setup(self, session: Any, user: Any, instance: Any) -> None:
        meeting = meetings.meeting_of(session, instance)
        town = meetings.town_of(instance.grid)
        choices = [("", "请选择"), *[(f"member:{m.id}", m.organ) for m in meetings.members(session, town)],
                   *[(f"village:{v.id}", v.name) for v in meetings.villages(town)]]
        for entry in self.decisions:
            entry.form.owner.choices = choices
        self._held_on = meeting.held_on if meeting else None
        if meeting and not self.is_submitted() and not self.attendees.data:
            contacts = {m.organ: m.contact_person for m in meetings.members(session, town)}
            self.attendees.data = "\n".join(f"{organ} {contacts.get(organ, '')}".strip() for organ in meeting.invited)


@register_form("meeting_sign")
class MeetingSignForm(DecisionMixin, ChineseForm):
    def setup(self, session: Any, user: Any, instance: Any) -> None:
        meeting = meetings.meeting_of(session, instance)
        self._held_on = meeting.held_on if meeting else None

    def validate_decision(self, field: Any) -> None:
        if field.data == "approve" and self._held_on and today() < self._held_on:
            raise ValidationError(f"会议定于{self._held_on.isoformat()}召开，纪要不能在会议之前签发。")


@register_form("meeting_distribute")
class MeetingDistributeForm(ChineseForm):
    recipients = CheckboxList("分送单位（出席单位）", validators=[required("请至少选择一个分送单位。")])

    def setup(self, session: Any, user: Any, instance: Any) -> None:
        meeting = meetings.meeting_of(session, instance)
        units = meetings.attending_units(meeting) if meeting else []
        self.recipients.choices = [(name, name) for name in units]
        if not self.is_submitted() and not self.recipients.data:
            self.recipients.data = units


class CompletionReportForm(ChineseForm):
    """报告完成情况 of one decision (not a workflow step)."""

    text = TextAreaField("完成情况", validators=[required("请填写完成情况。"), max_length(2000)])
    attachment = FileField("附件（可选：照片、PDF、DOCX）")


class SeriesForm(ChineseForm):
    """A meeting series as the admin keeps it (设置 → 会议系列)."""

    name = StringField("会议名称", validators=[required("请填写会议名称。"), max_length(100)])
    interval_months = SelectField("召开周期", coerce=int, choices=list(meetings.INTERVALS.items()))
    notice_prefix_key = SelectField("会议通知发文机关", choices=list(meetings.NOTICE_ORGANS.items()))
    issuer = StringField("纪要编发机关", validators=[required("请填写纪要的编发机关。"), max_length(100)])
