"""Writing the append-only audit log, and reading it back: filters and an Excel export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from webapp.clock import TZ
from webapp.models import AuditEvent, GridNode, User
from webapp.services.spreadsheets import table_workbook


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
    username: str | None = None,
) -> AuditEvent:
    """Append one event; `username` names an attempted login that matches no account."""
    event = AuditEvent(
        at=at,
        user_id=user.id if user else None,
        username=user.username if user else (username or "")[:50],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        summary=summary[:2000],
        remote_addr=remote_addr,
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page is narrowed to; empty values narrow nothing. Dates are whole days, Beijing time."""

    username: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    # A town's admin reads their own town's trail: events of accounts scoped under this grid path, and
    # failed logins naming one of those accounts. Empty: the whole server (the top-of-grid admin).
    scope_path: str = ""


def search(criteria: AuditFilter) -> Select:
    """The events matching `criteria`, newest first."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if criteria.scope_path:
        accounts = select(User.id, User.username).join(GridNode, User.scope_id == GridNode.id).where(
            GridNode.path.startswith(criteria.scope_path, autoescape=True)).subquery()
        query = query.where(AuditEvent.user_id.in_(select(accounts.c.id))
                            | (AuditEvent.user_id.is_(None) & AuditEvent.username.in_(select(accounts.c.username))))
    if criteria.username:
        query = query.where(AuditEvent.username == criteria.username)
    if criteria.action:
        query = query.where(AuditEvent.action == criteria.action)
    if criteria.date_from:
        query = query.where(AuditEvent.at >= datetime.combine(criteria.date_from, time(), TZ))
    if criteria.date_to:
        query = query.where(AuditEvent.at < datetime.combine(criteria.date_to + timedelta(days=1), time(), TZ))
    return query


EXPORT_LIMIT = 100_000
EXPORT_COLUMNS = ("时间", "用户", "操作", "对象", "摘要", "地址")


def export_xlsx(session: Session, criteria: AuditFilter) -> bytes:
    """The matching events as a workbook (at most EXPORT_LIMIT rows), through the shared writer: a logged
    username such as "=HYPERLINK(…)" shows as typed and never runs."""
    rows = ((event.at.strftime("%Y-%m-%d %H:%M:%S"), event.username, event.action_label, event.object_label,
             event.summary, event.remote_addr) for event in session.scalars(search(criteria).limit(EXPORT_LIMIT)))
    return table_workbook("审计日志", EXPORT_COLUMNS, rows, (20, 14, 18, 10, 60, 16), freeze_header=True)
