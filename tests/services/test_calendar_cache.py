"""The working-day calendar is read once per transaction, follows an admin's change at once, and is read
afresh by the next transaction (another process may have changed it)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event

from webapp.extensions import db
from webapp.services import settings

MONDAY = date(2099, 3, 2)  # a year the holiday package does not know: admins declare its days


def _calendar_reads(app, session, action) -> int:  # noqa: ANN001
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:  # noqa: ANN001, ANN002
        if "FROM calendar_day" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    return len(statements)


def test_one_read_per_transaction_and_an_admin_change_counts_at_once(app, session):
    runtime = app.extensions["firegrid.runtime"]
    assert _calendar_reads(app, session, lambda: [runtime.calendar(session) for _ in range(5)]) == 1
    assert runtime.calendar(session).is_workday(MONDAY)
    settings.set_calendar_day(session, day=MONDAY, is_workday=False, note="放假")
    assert not runtime.calendar(session).is_workday(MONDAY)
    session.commit()
    assert _calendar_reads(app, session, lambda: runtime.calendar(session)) == 1  # a new transaction reads again
    settings.remove_calendar_day(session, MONDAY)
    assert runtime.calendar(session).is_workday(MONDAY)
    session.rollback()
    assert not runtime.calendar(session).is_workday(MONDAY)  # the removal was rolled back
