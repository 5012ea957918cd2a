"""消息提醒 and 催办 through the Flask test client: the header badge, the list, marking read, the digest,
催办 with its interval on the case page, the history and the audit log, and scope (403)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import event, select

from tests.services.test_alerts import at, case_in_review, notices
from webapp.cases import alerts
from webapp.extensions import db
from webapp.models import Alert, AuditEvent

BADGE = re.compile(r'href="/alerts/">消息 <span class="badge">(\d+)</span>')


def badge(page: str) -> int | None:
    found = BADGE.search(page)
    return int(found.group(1)) if found else None


def test_badge_list_open_and_mark_all_read(app, session, small_town, sign_in):
    clock = app.extensions["firegrid.clock"]
    clock.set(at("2026-09-28T09:00"))
    review = case_in_review(app, session, small_town.town, at("2026-09-28T09:00"))
    clock.set(at("2026-10-09T09:00"))
    alerts.sweep(session, app.extensions["firegrid.runtime"], at("2026-10-09T09:00"))  # overdue
    leader = sign_in("leader")
    home = leader.get("/").get_data(as_text=True)
    assert badge(home) == 2  # 新待办 and 已逾期, on every page (here the home page)
    assert badge(sign_in("clerk").get("/").get_data(as_text=True)) is None  # nothing for the clerk

    page = leader.get("/alerts/").get_data(as_text=True)
    assert "新待办" in page and "已逾期" in page and "审核：提醒" in page
    first = notices(session, kind="new_task")[0]
    opened = leader.get(f"/alerts/{first.id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/tasks/{review.id}")
    session.expire_all()
    assert session.get(Alert, first.id).read_at == at("2026-10-09T09:00")
    assert badge(leader.get("/tasks/").get_data(as_text=True)) == 1
    unread = leader.get("/alerts/?show=unread").get_data(as_text=True)
    assert "已逾期" in unread and "新待办" not in unread

    digest = leader.get("/alerts/digest?day=2026-10-09").get_data(as_text=True)
    assert "2026年10月9日消息摘要" in digest and "已逾期" in digest and "新待办" not in digest
    assert "新待办" in leader.get("/alerts/digest?day=2026-09-28").get_data(as_text=True)
    assert leader.get("/alerts/digest?day=2026-13-01").status_code == 400

    assert leader.post("/alerts/read-all").status_code == 302
    assert badge(leader.get("/").get_data(as_text=True)) is None


def test_the_badge_is_one_count_query(app, session, small_town, sign_in):
    case_in_review(app, session, small_town.town, at("2026-09-28T09:00"))
    leader = sign_in("leader")
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert badge(leader.get("/tasks/").get_data(as_text=True)) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    about = [s for s in statements if re.search(r"\balert\b", s)]  # the table, not user_account.email_alerts
    # one statement, a COUNT (with the 待办 count beside it: both badges in one), no alert row read
    assert len(about) == 1 and "COUNT(ALERT.ID)" in about[0].upper() and "ALERT.TITLE" not in about[0].upper(), about


def test_nobody_reads_or_marks_another_users_notice(app, session, small_town, sign_in):
    case_in_review(app, session, small_town.town, at("2026-09-28T09:00"))
    theirs = notices(session)[0]  # the leader's
    clerk = sign_in("clerk")
    assert clerk.get(f"/alerts/{theirs.id}").status_code == 403
    assert clerk.post(f"/alerts/{theirs.id}/read").status_code == 403
    assert "审核：提醒" not in clerk.get("/alerts/").get_data(as_text=True)
    clerk.post("/alerts/read-all")
    session.expire_all()
    assert session.get(Alert, theirs.id).read_at is None
    denied = session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied",
                                                      AuditEvent.username == "clerk")).all()
    assert len(denied) == 2


def test_remind_twice_within_the_interval_is_refused_and_both_are_on_the_case(app, session, small_town, sign_in):
    clock = app.extensions["firegrid.clock"]
    clock.set(at("2026-09-28T10:00"))
    review = case_in_review(app, session, small_town.town, at("2026-09-28T09:00"))
    clerk = sign_in("clerk")  # the case's starter
    case_url = f"/cases/{review.instance_id}"
    assert "发送催办" in clerk.get(case_url).get_data(as_text=True)
    sent = clerk.post(f"{case_url}/tasks/{review.id}/remind", {"reason": "明天要印发"}, follow_redirects=True)
    assert "已催办“审核”" in sent.get_data(as_text=True)
    [nudge] = notices(session, kind="reminder")
    assert nudge.recipient.username == "leader" and nudge.body == "苏晓梅催办：明天要印发"

    clock.set(at("2026-09-28T15:30"))
    again = html.unescape(clerk.post(f"{case_url}/tasks/{review.id}/remind", {"reason": ""},
                                     follow_redirects=True).get_data(as_text=True))
    assert "该事项已于2026年09月28日 10:00催办，2026年09月29日 10:00后可再次催办。" in again
    assert len(notices(session, kind="reminder")) == 1
    history = again[again.index("办理记录"):]
    assert history.count("催办未发送") == 1 and "明天要印发" in history
    audit = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("task_remind%"))
                            .order_by(AuditEvent.id)).all()
    assert audit == ["task_remind", "task_remind_refused"]

    clock.set(at("2026-09-28T10:00") + timedelta(hours=24, minutes=1))
    third = clerk.post(f"{case_url}/tasks/{review.id}/remind", {}, follow_redirects=True)
    assert "已催办" in third.get_data(as_text=True)
    assert len(notices(session, kind="reminder")) == 2
    leader_page = sign_in("leader").get("/alerts/").get_data(as_text=True)
    assert "催办" in leader_page and "明天要印发" in leader_page


def test_only_the_starter_or_the_office_may_remind(app, session, small_town, sign_in):
    review = case_in_review(app, session, small_town.town, at("2026-09-28T09:00"))
    inspector = sign_in("inspector")  # sees the case (town scope), but neither started it nor runs the office
    case_url = f"/cases/{review.instance_id}"
    assert "发送催办" not in inspector.get(case_url).get_data(as_text=True)
    assert inspector.post(f"{case_url}/tasks/{review.id}/remind", {}).status_code == 403
    village_clerk = sign_in("village_clerk")  # a clerk, but the town's case is outside their village
    assert village_clerk.post(f"{case_url}/tasks/{review.id}/remind", {}).status_code in (403, 404)
    assert notices(session, kind="reminder") == []


def test_admin_sets_a_towns_reminder_timing(app, session, small_town, sign_in):
    admin = sign_in("admin")
    url = f"/admin/settings/reminders?town={small_town.town.id}"
    assert 'value="24"' in admin.get(url).get_data(as_text=True)  # the default interval
    quiet = {"quiet_from": "22", "quiet_until": "7"}
    bad = admin.post(url, {"due_soon_workdays": "11", "reminder_interval_hours": "0", "supervise_after_workdays": "31",
                           **quiet})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "应在0至10之间" in page and "应在1至720小时之间" in page
    assert "督办的工作日数应在0至30之间" in page and 'value="31"' in page  # every error at once, input kept
    assert admin.post(url, {"due_soon_workdays": "2", "reminder_interval_hours": "48",
                            "supervise_after_workdays": "5", **quiet}).status_code == 302
    from webapp.services import settings

    session.expire_all()
    saved = settings.reminder_settings(session, small_town.town)
    assert (saved.due_soon_workdays, saved.reminder_interval_hours, saved.supervise_after_workdays) == (2, 48, 5)
    assert sign_in("clerk").get(url).status_code == 403
