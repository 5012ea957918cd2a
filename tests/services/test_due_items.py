"""Due items that are no workflow step (a meeting's 议定事项): the reminder sweep tells the users who report
them 即将到期 and then 已逾期, once each, and nothing once the item is reported done."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tests.services.test_alerts import at, notices
from webapp.cases import actions as cases
from webapp.cases import alerts
from webapp.procedures.meeting import decisions, meetings
from webapp.procedures.meeting.models import Meeting, MeetingDecision


def _decision(app, session, small_town, grid, deadline: date) -> MeetingDecision:
    town = small_town.town
    series = meetings.ensure_default_series(session, town)[0]
    instance = cases.start_case(session, app.extensions["firegrid.runtime"], procedure_key="meeting",
                                user=small_town.users["clerk"], grid=town, title="联席会议",
                                data={"series_key": series.key, "held_on": "2026-09-25"}, now=at("2026-09-21T09:00"))
    meeting = Meeting(series=series, instance=instance, held_on=date(2026, 9, 25))
    decision = MeetingDecision(meeting=meeting, seq=1, title="清理楼道堆物", owner_name=grid.name, grid=grid,
                               deadline=deadline)
    session.add(decision)
    session.commit()
    return decision


def test_a_village_decision_is_due_soon_then_overdue_for_the_village_users_only(app, session, small_town):
    runtime = app.extensions["firegrid.runtime"]
    _decision(app, session, small_town, small_town.village, date(2026, 9, 30))  # Wed before 国庆
    alerts.sweep(session, runtime, at("2026-09-28T08:00"))  # Mon: two working days ahead, not yet
    assert notices(session, kind="due_soon") == []
    alerts.sweep(session, runtime, at("2026-09-29T08:00"))
    alerts.sweep(session, runtime, at("2026-09-30T08:00"))
    soon = notices(session, kind="due_soon")
    # The village's clerk and inspector report it; the town's clerk does not (a village's decision).
    assert sorted(n.recipient.username for n in soon) == ["village_clerk", "village_inspector"]
    assert soon[0].title == "议定事项：清理楼道堆物（松林村）" and soon[0].body == "期限2026年9月30日"
    # the meeting case is the town's, which village users may not open: the alert names no case
    assert soon[0].instance_id is None and soon[0].work_task_id is None

    alerts.sweep(session, runtime, at("2026-10-01T08:00"))
    alerts.sweep(session, runtime, at("2026-10-02T08:00"))
    assert sorted(n.recipient.username for n in notices(session, kind="overdue")) == ["village_clerk",
                                                                                      "village_inspector"]


def test_a_committee_decision_goes_to_the_town_clerks_and_stops_once_reported(app, session, small_town):
    runtime = app.extensions["firegrid.runtime"]
    decision = _decision(app, session, small_town, small_town.town, date(2026, 10, 9))
    decisions.report_completion(session, user=small_town.users["clerk"], decision_id=decision.id, text="已完成",
                                attachment=None, now=at("2026-10-08T09:00"))
    session.commit()
    alerts.sweep(session, runtime, at("2026-10-09T08:00"))
    assert notices(session, kind="due_soon") == []
    other = _decision(app, session, small_town, small_town.town, date(2026, 10, 9))
    alerts.sweep(session, runtime, at("2026-10-09T09:00"))
    assert [(n.recipient.username, n.dedupe_key, n.instance_id) for n in notices(session, kind="due_soon")] == [
        ("clerk", f"due_soon:decision:{other.id}", other.meeting.instance_id)]
    assert session.scalar(select(MeetingDecision.status).where(MeetingDecision.id == decision.id)) == "done"
