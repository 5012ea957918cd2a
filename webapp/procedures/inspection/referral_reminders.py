"""Reminders of referral feedback: the day a department's handling result is due, as the reminder sweep's
due items (registry.DueItem): one 即将到期 notice within the town's due-soon working days and one 已逾期
notice, to the department's own logins, or to the town's clerks when it has none (the clerk then chases the
department and records the result). An answered addressee is no longer due. A case's own letter to a
department without a login gives no due item: the case's 登记处理反馈 step, with the same due date, already
reminds the clerks (one reminder for one deadline).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases.registry import DueItem
from webapp.models import GridNode, User, UserRole
from webapp.procedures.inspection.referral_models import ReceiverAccount, Referral, ReferralAddressee


def recipients(session: Session, row: ReferralAddressee, *, fall_back_to_clerks: bool = True) -> list[int]:
    own = list(session.scalars(select(ReceiverAccount.user_id).join(User, User.id == ReceiverAccount.user_id)
                               .where(ReceiverAccount.receiver_id == row.receiver_id, User.is_enabled.is_(True))))
    if own or not fall_back_to_clerks:
        return own
    town = row.referral.town
    return list(session.scalars(select(User.id).join(UserRole).join(GridNode, User.scope_id == GridNode.id)
                                .where(UserRole.role == "clerk", GridNode.id == town.id, User.is_enabled.is_(True))))


def due_items(session: Session, town: GridNode, until: date) -> list[DueItem]:
    """The town's unanswered referral addressees whose feedback is due on or before `until`."""
    rows = session.scalars(select(ReferralAddressee).join(Referral)
                           .where(ReferralAddressee.status != "answered", ReferralAddressee.due_on <= until,
                                  Referral.town_id == town.id).order_by(ReferralAddressee.id))
    items = []
    for row in rows:
        people = recipients(session, row, fall_back_to_clerks=row.referral.inspection_id is None)
        if people:
            title = f"移交反馈：{row.receiver.name}《{row.referral.title}》"
            items.append(DueItem(key=f"referral:{row.id}", title=title, due=row.due_on, recipient_ids=tuple(people),
                                 body=f"处理情况应于{row.due_on.isoformat()}前反馈，请在“移交”中登记接收和处理结果。"))
    return items
