"""Cases started from a received document (承办 → 由此发起的办理): the procedure that can start from one says
how (Procedure.follow_up); this module opens the case through it and links the two both ways, so the 收文
procedure never imports the procedures it starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import registry
from webapp.cases.registry import Basis
from webapp.cases.runtime import CaseRuntime
from webapp.models import CaseLink, ProcessInstance, User
from webapp.services import audit
from webapp.services.errors import InvalidInput, OutOfScope
from webapp.services.grid import ensure_in_scope


@dataclass(frozen=True)
class Choice:
    key: str  # procedure key
    label: str


def choices(user: User) -> list[Choice]:
    """What this user may start from a received document, in procedure order."""
    return [Choice(key, follow_up.label) for key, follow_up in registry.follow_ups().items()
            if user.has_role(*follow_up.roles)]


def start(session: Session, runtime: CaseRuntime, *, key: str, basis: Basis, user: User,
          now: datetime) -> ProcessInstance:
    """Open a case of procedure `key` prefilled from `basis`, in the source case's grid, and link it. Flushes."""
    follow_up = registry.follow_ups().get(key)
    if follow_up is None:
        raise InvalidInput("该类办理不能由来文发起。")
    if not user.has_role(*follow_up.roles):
        raise OutOfScope(f"您无权{follow_up.label}。")
    source = session.get(ProcessInstance, basis.instance_id)
    if source is None:
        raise InvalidInput("来文案件不存在。")
    ensure_in_scope(user, source.grid)
    target = follow_up.start(session, runtime, user, source.grid, basis, now)
    session.add(CaseLink(source_id=source.id, target_id=target.id, basis=basis.label, created_at=now))
    session.flush()
    audit.record(session, at=now, user=user, action="case_follow_up", object_type="case", object_id=source.id,
                 summary=f"依据{basis.label}发起{target.title}")
    return target


def started_from(session: Session, instance: ProcessInstance) -> list[ProcessInstance]:
    """由此发起的办理: the cases started from this one, oldest first."""
    stmt = (select(ProcessInstance).join(CaseLink, CaseLink.target_id == ProcessInstance.id)
            .where(CaseLink.source_id == instance.id).order_by(CaseLink.id))
    return list(session.scalars(stmt))


def basis_of(session: Session, instance: ProcessInstance) -> CaseLink | None:
    """依据来文: the link to the case this one was started from, if any."""
    return session.scalar(select(CaseLink).where(CaseLink.target_id == instance.id))
