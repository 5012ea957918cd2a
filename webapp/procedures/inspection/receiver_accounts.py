"""Logins of receiving departments (接收部门): an admin names which department a 接收部门 account answers for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases.registry import Desk
from webapp.models import GridNode, User, UserRole
from webapp.procedures.inspection.models import ReferralReceiver
from webapp.procedures.inspection.referral_models import ReceiverAccount
from webapp.procedures.inspection.referrals import DESK_ROLE
from webapp.procedures.inspection.setup import receivers
from webapp.services import audit
from webapp.services.errors import InvalidInput


def accounts(session: Session, town: GridNode) -> list[ReceiverAccount]:
    ids = [r.id for r in receivers(session, town).values()]
    return list(session.scalars(select(ReceiverAccount).where(ReceiverAccount.receiver_id.in_(ids))
                                .order_by(ReceiverAccount.receiver_id)))


def desks(session: Session, town: GridNode) -> list[Desk]:
    """The town's departments with enabled 接收部门 accounts: issued documents can be delivered to them with a
    receipt (签收回执); their accounts sign for them."""
    stmt = (select(ReferralReceiver, User.id).join(ReceiverAccount, ReceiverAccount.receiver_id == ReferralReceiver.id)
            .join(User, User.id == ReceiverAccount.user_id)
            .where(ReferralReceiver.grid_id == town.id, User.is_enabled.is_(True)).order_by(User.id))
    found: dict[int, tuple[ReferralReceiver, list[int]]] = {}
    for receiver, user_id in session.execute(stmt):
        found.setdefault(receiver.id, (receiver, []))[1].append(user_id)
    return [Desk(f"receiver:{receiver.id}", receiver.name, tuple(user_ids)) for receiver, user_ids in found.values()]


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
