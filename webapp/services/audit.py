"""Writing the append-only audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from webapp.models import AuditEvent, User


def record(
    session: Session,
    *,
    at: datetime,
    user: User | None,
    action: str,
    object_type: str = "",
    object_id: object = "",
    summary: str = "",
    remote_addr: str = "",
) -> AuditEvent:
    event = AuditEvent(
        at=at,
        user_id=user.id if user else None,
        username=user.username if user else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        summary=summary[:2000],
        remote_addr=remote_addr,
    )
    session.add(event)
    session.flush()
    return event
