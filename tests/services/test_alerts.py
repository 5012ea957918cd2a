"""消息提醒 and 催办 through the real case services: new, send-back, due-soon across a holiday, overdue,
dedupe on repeated and simultaneous sweeps, and one notice for two simultaneous 催办."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from tests.thread_support import run_in_threads
from webapp.cases import actions as cases
from webapp.cases import alerts, reminders
from webapp.clock import TZ
from webapp.extensions import db
from webapp.models import Alert, CaseEvent, User, WorkTask
from webapp.services import settings


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def _user(session, name: str) -> User:
    return session.scalar(select(User).where(User.username == name))


def case_in_review(app, session, town, started: datetime) -> WorkTask:
    """A clerk's test_notice case whose 审核 (leader lane, due in 3 working days) is open."""
    runtime, clerk = app.extensions["firegrid.runtime"], _user(session, "clerk")
    instance = cases.start_case(session, runtime, procedure_key="test_notice", user=clerk, grid=town,
                                title="提醒", data={"title": "提醒"}, now=started)
    draft = session.scalar(select(WorkTask).where(WorkTask.instance_id == instance.id))
    cases.submit_task(session, runtime, user=clerk, work_task_id=draft.id, now=started,
                      data={"title": "提醒", "body": "正文", "approver_names": "leader"})
    session.commit()
    return session.scalar(select(WorkTask).where(WorkTask.instance_id == instance.id))


def notices(session, **where) -> list[Alert]:
    stmt = select(Alert).order_by(Alert.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Alert, name) == value)
    return list(session.scalars(stmt))


def test_a_new_task_tells_its_claimants_and_a_send_back_tells_the_drafter(app, session, small_town):
    review = case_in_review(app, session, small_town.town, at("2026-09-28T09:00"))
    leader, clerk = _user(session, "leader"), _user(session, "clerk")
    new = notices(session, work_task_id=review.id)
    # The review is unassigned: every leader whose scope covers the case may claim it (only one here).
    assert [(n.recipient_id, n.kind) for n in new] == [(leader.id, "new_task")]
    assert new[0].title == "审核：提醒" and new[0].instance_id == review.instance_id
    # The clerk opened the draft for herself: no notice about her own first step.
    assert notices(session, recipient_id=clerk.id) == []

    cases.send_back(session, app.extensions["firegrid.runtime"], user=leader, work_task_id=review.id,
                    reason="请补充依据", now=at("2026-09-28T10:00"))
    session.commit()
    [back] = notices(session, recipient_id=clerk.id)
    assert back.kind == "send_back" and back.kind_label == "退回" and "请补充依据" in back.body
    assert back.body.startswith(leader.display_name)


def test_due_soon_comes_one_working_day_before_the_due_date_across_national_day(app, session, small_town):
    runtime = app.extensions["firegrid.runtime"]
    review = case_in_review(app, session, small_town.town, at("2026-09-28T09:00"))
    # Three working days after Mon 28 Sep: 29, 30 Sep, then 8 Oct (1–7 Oct are the National Day holiday).
    assert review.due_at == at("2026-10-08T23:59:59")

    assert alerts.sweep(session, runtime, at("2026-09-29T18:00")) == 0
    assert alerts.sweep(session, runtime, at("2026-09-30T08:00")) == 1  # the last working day before
    [soon] = notices(session, kind="due_soon")
    assert soon.recipient.username == "leader" and soon.work_task_id == review.id
    # A calendar-day rule would fire on 7 Oct; the sweep already did, and never twice.
    assert alerts.sweep(session, runtime, at("2026-10-07T08:00")) == 0
    assert alerts.sweep(session, runtime, at("2026-10-08T23:00")) == 0
    assert alerts.sweep(session, runtime, at("2026-10-09T00:00:01")) == 1
    assert [n.kind for n in notices(session, recipient_id=soon.recipient_id)] == ["new_task", "due_soon", "overdue"]
    assert alerts.sweep(session, runtime, at("2026-10-12T09:00")) == 0


def test_a_town_may_announce_earlier(app, session, small_town):
    runtime = app.extensions["firegrid.runtime"]
    settings.save_reminder_settings(session, small_town.town, due_soon_workdays=2, reminder_interval_hours=24)
    case_in_review(app, session, small_town.town, at("2026-09-28T09:00"))
    assert alerts.sweep(session, runtime, at("2026-09-29T08:00")) == 1  # 29, 30 Sep → due 8 Oct
    assert notices(session, kind="due_soon")[0].created_at == at("2026-09-29T08:00")


def test_simultaneous_sweeps_make_each_notice_once(app, session, small_town):
    """Two processes sweeping at the same moment (threads with their own sessions and connections)."""
    for index in range(3):
        case_in_review(app, session, small_town.town, at(f"2026-09-2{index + 1}T09:00"))
    runtime = app.extensions["firegrid.runtime"]
    results = run_in_threads(app, 2, lambda index: alerts.sweep(db.session, runtime,
                                                                          at("2026-10-20T09:00")))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 3
    assert session.scalar(select(func.count()).select_from(Alert).where(Alert.kind == "overdue")) == 3


def test_two_simultaneous_reminders_give_one_notice(app, session, small_town):
    review = case_in_review(app, session, small_town.town, at("2026-09-28T09:00"))
    moment = at("2026-09-28T11:00")

    def nudge(index: int) -> reminders.ReminderOutcome:
        return reminders.remind(db.session, user=_user(db.session, "clerk"), work_task_id=review.id,
                                reason=f"请尽快{index}", now=moment)

    results = run_in_threads(app, 2, nudge)
    assert sorted(r.sent for r in results) == [False, True], results
    refused = next(r for r in results if not r.sent)
    assert refused.message.startswith("该事项已于2026年09月28日 11:00催办") and "后可再次催办" in refused.message
    assert len(notices(session, kind="reminder")) == 1
    actions = session.scalars(select(CaseEvent.action).where(CaseEvent.work_task_id == review.id)).all()
    assert sorted(actions) == ["remind", "remind_refused"]


def _late_draft(app, session, town, due: datetime) -> WorkTask:
    """The clerk's 拟稿 of a test_notice case, due at `due` (set here: the step itself has no time limit)."""
    runtime, clerk = app.extensions["firegrid.runtime"], _user(session, "clerk")
    instance = cases.start_case(session, runtime, procedure_key="test_notice", user=clerk, grid=town,
                                title="督办", data={"title": "督办"}, now=at("2026-09-28T09:00"))
    draft = session.scalar(select(WorkTask).where(WorkTask.instance_id == instance.id))
    draft.due_at = due
    session.commit()
    return draft


def test_supervision_by_the_leader_counts_working_days_across_national_day(app, session, small_town):
    """Due Wed 30 Sep; 1–7 Oct are holidays: two whole working days overdue (8 and 9 Oct) is reached on
    Sat 10 Oct, a 调休 working day — counting calendar days would have escalated on 3 Oct."""
    runtime = app.extensions["firegrid.runtime"]
    draft = _late_draft(app, session, small_town.town, at("2026-09-30T23:59:59"))
    for day in ("2026-10-03T09:00", "2026-10-07T09:00", "2026-10-08T09:00", "2026-10-09T23:00"):
        alerts.sweep(session, runtime, at(day))
        assert notices(session, kind="supervision") == [], day
    alerts.sweep(session, runtime, at("2026-10-10T08:00"))
    [supervision] = notices(session, kind="supervision")
    assert supervision.recipient.username == "leader" and supervision.work_task_id == draft.id
    assert supervision.kind_label == "督办" and supervision.body == "已逾期2个工作日，请督促办理。"
    alerts.sweep(session, runtime, at("2026-10-12T08:00"))
    assert len(notices(session, kind="supervision")) == 1  # once per task and leader
    # The clerk holds the task: she has 已逾期, not 督办.
    assert {n.kind for n in notices(session, work_task_id=draft.id) if n.recipient.username == "clerk"} == {"overdue"}


def test_a_town_may_supervise_later_or_never_and_the_late_leader_is_not_told(app, session, small_town):
    runtime = app.extensions["firegrid.runtime"]
    settings.save_reminder_settings(session, small_town.town, due_soon_workdays=1, reminder_interval_hours=24,
                                    supervise_after_workdays=0)
    _late_draft(app, session, small_town.town, at("2026-09-30T23:59:59"))
    review = case_in_review(app, session, small_town.town, at("2026-09-28T09:00"))  # held by the leader
    alerts.sweep(session, runtime, at("2026-10-30T09:00"))
    assert notices(session, kind="supervision") == []
    settings.save_reminder_settings(session, small_town.town, due_soon_workdays=1, reminder_interval_hours=24,
                                    supervise_after_workdays=3)
    alerts.sweep(session, runtime, at("2026-10-30T09:00"))
    assert [n.work_task_id != review.id for n in notices(session, kind="supervision")] == [True]
    session.commit()
