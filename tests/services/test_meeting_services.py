"""Meeting services without HTTP: yearly plan states, responsibility rule, and the demo history."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from webapp.cases import registry
from webapp.cases.registry import DemoContext
from webapp.clock import TZ
from webapp.models import Document
from webapp.procedures.meeting import decisions as meeting_decisions
from webapp.procedures.meeting import meetings
from webapp.procedures.meeting.models import Meeting, MeetingDecision


def test_default_series_follow_the_configured_prefixes(session, small_town):
    series = meetings.ensure_default_series(session, small_town.town)
    assert [(s.key, s.interval_months, s.prefix_key) for s in series] == [
        ("joint", 2, "minutes_joint"), ("quarterly", 3, "minutes_quarterly"), ("committee", 1, "minutes_committee")]
    assert meetings.ensure_default_series(session, small_town.town) == series  # idempotent
    plan = meetings.yearly_plan(session, series[1], 2026, date(2026, 5, 20))
    assert [p.label for p in plan] == ["1—3月", "4—6月", "7—9月", "10—12月"]
    assert [p.state for p in plan] == ["missed", "due", "future", "future"]


def test_responsibility_rule_by_scope(session, small_town):
    town, village = small_town.town, small_town.village
    clerk, village_clerk, leader = (small_town.users[n] for n in ("clerk", "village_clerk", "leader"))
    assert meeting_decisions.responsible_for_node(village_clerk, village)
    assert not meeting_decisions.responsible_for_node(clerk, village)
    assert meeting_decisions.responsible_for_node(clerk, town)
    assert not meeting_decisions.responsible_for_node(leader, town)  # departments report through the clerks
    assert not meeting_decisions.responsible_for_node(village_clerk, town)


@pytest.mark.slow
def test_demo_history_plays_this_years_meetings(app, session, demo):
    runtime, clock = app.extensions["firegrid.runtime"], app.extensions["firegrid.clock"]
    today = datetime(2026, 7, 20, 9, tzinfo=TZ)
    registry.get("meeting").play_demo_history(
        DemoContext(session=session, services=runtime, clock=clock, year=2026, today=today))
    session.commit()
    held = session.scalars(select(Meeting).order_by(Meeting.held_on)).all()
    by_series = {}
    for meeting in held:
        assert meeting.status == "issued" and meeting.distributed_to
        by_series.setdefault(meeting.series.key, []).append(meeting.issue_no)
    assert by_series == {"joint": [1, 2, 3, 4], "quarterly": [1, 2, 3], "committee": [1, 2, 3, 4, 5, 6, 7]}
    notices = session.scalars(select(Document).where(Document.template_key == "notice")).all()
    assert sorted(n.instance_id for n in notices) == sorted(m.instance_id for m in held)  # one 会议通知 each
    assert {n.number.split("〔")[0] for n in notices} == {"青石消安委发", "青石党政办发"}  # 消安委 and 党政办
    decisions = session.scalars(select(MeetingDecision)).all()
    summary = meeting_decisions.summarize(list(decisions), today.date())
    assert summary.done > 0 and summary.overdue > 0 and summary.open > summary.overdue
    clock.set(None)
