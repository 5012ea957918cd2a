"""Logins of receiving departments (接收部门): an admin names which department a 接收部门 account answers for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import GridNode, User, UserRole
from webapp.procedures.inspection.referral_models import ReceiverAccount
from webapp.procedures.inspection.referrals import DESK_ROLE
from webapp.procedures.inspection.setup import receivers
from webapp.services import audit
from webapp.services.errors import InvalidInput


def accounts(session: Session, town: GridNode) -> list[ReceiverAccount]:
    ids = [r.id for r in receivers(session, town).values()]
    return list(session.scalars(select(ReceiverAccount).where(ReceiverAccount.receiver_id.in_(ids))
                                .order_by(ReceiverAccount.receiver_id)))


def candidates(session: Session, town: GridNode) -> list[User]:
    """Accounts with the 接收部门 role scoped in the town."""
    stmt = (select(User).join(UserRole).join(GridNode, User.scope_id == GridNode.id)
            .where(UserRole.role == DESK_ROLE, GridNode.path.startswith(town.path)).order_by(User.username))
    return list(session.scalars(stmt))


def link(session: Session, town: GridNode, *, receiver_id: int, user_id: int, admin: User,
         now: datetime) -> ReceiverAccount:
    """The account now answers for this department (and no other)."""
    receiver = next((r for r in receivers(session, town).values() if r.id == receiver_id), None)
    user = next((u for u in candidates(session, town) if u.id == user_id), None)
    if receiver is None or user is None:
        raise InvalidInput("请选择本镇的接收部门和角色为“接收部门”的账号。", fields={"user_id": "账号或部门无效。"})
    row = session.get(ReceiverAccount, user.id) or ReceiverAccount(user_id=user.id)
    row.receiver_id = receiver.id
    session.add(row)
    session.flush()
    audit.record(session, at=now, user=admin, action="receiver_account_set", object_type="user", object_id=user.id,
                 summary=f"{user.username} → {receiver.name}")
    return row
