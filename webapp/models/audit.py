"""Append-only audit log: who did what to which object, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import AwareDateTime


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)  # no FK: the log outlives accounts
    username: Mapped[str] = mapped_column(String(50), default="")
    action: Mapped[str] = mapped_column(String(50), index=True)
    object_type: Mapped[str] = mapped_column(String(50), default="")
    object_id: Mapped[str] = mapped_column(String(50), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    remote_addr: Mapped[str] = mapped_column(String(64), default="")


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(mapper, connection, target) -> None:  # noqa: ANN001
    raise AuditLogIsAppendOnly("审计日志只能追加，不能修改或删除。")
