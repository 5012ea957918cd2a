"""Reminders (催办) for referral feedback: before and after the day a department's handling result is due.

Each addressee still without a result gets one 即将到期 notice (within the town's due-soon working days) and
one 已逾期 notice, to the department's own logins, or to the town's clerks when it has none (the clerk then
chases the department and records the result). The dedupe key keeps a second sweep from repeating them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import alerts
from webapp.clock import TZ
from webapp.models import Alert, GridNode, ReminderSettings, User, UserRole
from webapp.models.alerts import DEFAULT_DUE_SOON_WORKDAYS
from webapp.procedures.inspection.referral_models import ReceiverAccount, Referral, ReferralAddressee
from webapp.workdays import WorkdayCalendar


def recipients(session: Session, row: ReferralAddressee) -> list[int]:
    own = list(session.scalars(select(ReceiverAccount.user_id).where(ReceiverAccount.receiver_id == row.receiver_id)))
    if own:
        return own
    town = row.referral.town
    return list(session.scalars(select(User.id).join(UserRole).join(GridNode, User.scope_id == GridNode.id)
                                .where(UserRole.role == "clerk", GridNode.id == town.id, User.is_enabled.is_(True))))


def _notice(row: ReferralAddressee, overdue: bool) -> tuple[str, str, str]:
    kind = "overdue" if overdue else "due_soon"
    title = f"移交反馈{'已逾期' if overdue else '即将到期'}：{row.receiver.name}《{row.referral.title}》"[:300]
    body = f"处理情况应于{row.due_on.isoformat()}前反馈，请在“移交”中登记接收和处理结果。"
    return kind, title, body


def sweep(session: Session, calendar: WorkdayCalendar, now: datetime) -> int:
    """Notices for every unanswered referral due within the town's due-soon window or overdue; returns how many."""
    today = now.astimezone(TZ).date()
    ahead = {row.town_id: row.due_soon_workdays for row in session.scalars(select(ReminderSettings))}
    open_rows = session.scalars(select(ReferralAddressee).join(Referral)
                                .where(ReferralAddressee.status != "answered").order_by(ReferralAddressee.id))
    made: list[int] = []
    for row in open_rows:
        horizon = calendar.add_workdays(today, ahead.get(row.referral.town_id, DEFAULT_DUE_SOON_WORKDAYS))
        if row.due_on > horizon:
            continue
        kind, title, body = _notice(row, overdue=row.due_on < today)
        key = f"referral-{kind}:{row.id}"
        for user_id in recipients(session, row):
            if session.scalar(select(Alert.id).where(Alert.recipient_id == user_id, Alert.dedupe_key == key)) is None:
                alert = Alert(recipient_id=user_id, kind=kind, title=title, body=body, created_at=now, dedupe_key=key)
                session.add(alert)
                session.flush()
                made.append(alert.id)
    alerts.deliver(session, made)
    return len(made)
