"""Procedure "meeting" (会议 → 会议纪要): schedule (drafts the 会议通知) → notice issued (文号) → record →
sign (签发) → 纪要 第N期 issued → distribute.

BPMN (workflows/meeting.bpmn) decides the order; this module decides the content of each step.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from webapp.cases import actions as cases
from webapp.cases.registry import Basis, DemoContext, FollowUp, NumberUse, Procedure, StepContext
from webapp.cases.runtime import CaseRuntime
from webapp.clock import TZ
from webapp.models import CommitteeMember, GridNode, ProcessInstance, User
from webapp.procedures.meeting import decisions, meetings, notice
from webapp.procedures.meeting.meetings import split_lines
from webapp.services.errors import DomainError, InvalidInput

log = logging.getLogger(__name__)

NO_NUMBER_YET = "　"  # the preview shows "第　期": the serial is allocated only when the leader signs


def _after_schedule(context: StepContext) -> list[int]:
    """The meeting row; its 会议通知 is a draft in the case data until 会议通知印发 (no number yet)."""
    notice.check_prefix(context.session, context.instance, context.data)
    meetings.schedule(context.session, context.instance, context.data)
    return []


def _after_notice(context: StepContext) -> list[int]:
    """会议通知印发: numbered, rendered and stored in this step's transaction, or nothing at all."""
    try:
        issued = notice.issue_notice(context.session, context.services.documents, instance=context.instance,
                                     data=context.data, user=context.user, now=context.now)
    except DomainError:
        raise
    except Exception as error:
        log.exception("issuing the meeting notice of case %s failed", context.instance.id)
        raise InvalidInput("会议通知生成失败，本次印发未生效，文号未被占用。请稍后重试或联系管理员。") from error
    return [issued.id]


def _parse_attendance(context: StepContext) -> list[int]:
    """Before 记录 completes: the typed lines become the lists the 纪要 prints; rows become decisions."""
    context.data.update(_parsed(context))
    return []


def _parsed(context: StepContext) -> dict:
    data = context.data
    return {
        "attendee_list": split_lines(data.get("attendees")),
        "absentee_list": [_absentee(line) for line in split_lines(data.get("absentees"))],
        "observer_list": split_lines(data.get("observers")),
        "agenda_items": split_lines(data.get("agenda")),
        "attachment_names": split_lines(data.get("attachments")),
        "decision_items": [_decision_item(context, row) for row in data.get("decisions") or []
                           if (row.get("title") or "").strip()],
    }


def _absentee(line: str) -> str:
    unit, name, *reason = line.split()
    return f"{unit} {name}（{''.join(reason)}）"


def _decision_item(context: StepContext, row: dict) -> dict:
    kind, _, ident = str(row["owner"]).partition(":")
    model = CommitteeMember if kind == "member" else GridNode
    owner = context.session.get(model, int(ident))
    owner_name = owner.organ if kind == "member" else owner.name
    return {"title": row["title"].strip(), "text": row["text"].strip(), "owner": row["owner"],
            "owner_name": owner_name, "deadline": row["deadline"].strip()}


def _after_record(context: StepContext) -> list[int]:
    meetings.record(context.session, context.instance, context.data)
    return []


def _after_sign(context: StepContext) -> list[int]:
    issued = meetings.issue_minutes(context.session, context.services.documents, instance=context.instance,
                                    data=context.data, user=context.user, now=context.now)
    return [issued.document.id]


def _after_distribute(context: StepContext) -> list[int]:
    meetings.distribute(context.session, context.instance, list(context.data.get("recipients") or []), context.now)
    return []


def _preview(context: StepContext, template_key: str) -> dict:
    if template_key == notice.TEMPLATE:  # the 会议通知 as scheduled (or as being typed at 安排会议)
        town = meetings.town_of(context.instance.grid)
        return notice.notice_context(context.session, town, context.data, today=context.now.date())
    meeting = meetings.meeting_of(context.session, context.instance)
    if meeting is None:
        return {}
    # From the typed lines (the 拟稿 form as filled, or the recorded data at 签发): a draft previews as typed.
    data = {**context.data, **_parsed(context)}
    preview = meetings.minutes_context(context.session, meeting, data, context.now.date())
    return {**preview, "attendees": data["attendee_list"], "absentees": data["absentee_list"],
            "observers": data["observer_list"], "issue_no": NO_NUMBER_YET}


def _case_title(data: dict) -> str:
    names = {key: name for key, name, *_ in meetings.DEFAULT_SERIES}
    return f"{names.get(str(data.get('series_key')), '会议')}（{str(data.get('held_on'))[:10]}）"


def _start_from_basis(session: Session, runtime: CaseRuntime, user: User, grid: GridNode, basis: Basis,
                      now: datetime) -> ProcessInstance:
    """承办 of a 收文 → 召开会议: the town's first meeting series a week ahead, with the received document's
    study as the first agenda line; the clerk changes either at 安排会议."""
    series = meetings.series_of_town(session, meetings.town_of(grid))
    if not series:
        raise InvalidInput("本镇尚未设置会议类型，请管理员先在会议设置中添加。")
    data = {"series_key": series[0].key, "held_on": (now.astimezone(TZ) + timedelta(days=7)).date().isoformat(),
            "agenda": f"传达学习{basis.label}精神，研究部署贯彻落实工作", "basis": basis.label}
    return cases.start_case(session, runtime, procedure_key="meeting", user=user, grid=grid, title=_case_title(data),
                            data=data, now=now)


def _play_demo_history(context: DemoContext) -> None:
    from webapp.procedures.meeting import demo

    demo.play(context)


PROCEDURE = Procedure(
    ensure_defaults=meetings.ensure_town_series,
    key="meeting", title="会议与纪要", start_roles=("clerk",), start_form="meeting_start",
    before_complete={"record": _parse_attendance},
    after_complete={"schedule": _after_schedule, "notice": _after_notice, "record": _after_record, "sign": _after_sign,
                    "distribute": _after_distribute},
    case_title=_case_title, preview_context=_preview, play_demo_history=_play_demo_history, demo_order=40,
    number_prefixes=(
        *(NumberUse(prefix_key, f"{name}纪要", "qi", organ="committee", suggested=mark)
          for _key, name, _interval, prefix_key, mark in meetings.DEFAULT_SERIES),
        # 会议通知 are issued under the convening organ's 代字 (the committee's is shared with its other 通知)
        NumberUse("committee_notice", "消安委通知、通报", "wenhao", organ="committee", suggested="{short}消安委发"),
        NumberUse("office_notice", "党政办公室通知（会议通知等）", "wenhao", organ="office",
                  suggested="{short}党政办发"),
    ),
    retention={"minutes": "D30", notice.TEMPLATE: "D30"}, binder_section="会议纪要",
    case_panel="procedures/meeting/context.html",
    town_figures=meetings.town_figures, measures=meetings.MEASURES,
    due_items=decisions.due_items,
    follow_up=FollowUp("召开会议", ("clerk",), _start_from_basis),
)
