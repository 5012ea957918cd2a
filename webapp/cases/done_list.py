"""已办: the steps a user finished, paged and searchable by 文号, title, date and the case's other people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, aliased, contains_eager

from webapp.clock import TZ
from webapp.models import CaseEvent, Document, ProcessInstance, User

DONE_ACTIONS = ("complete", "send_back", "withdraw", "start")
DONE_PAGE = 50


@dataclass(frozen=True)
class DoneSearch:
    text: str = ""  # 文号 or title
    person: str = ""  # anyone else who acted on the case, e.g. the clerk who drafted
    date_from: date | None = None
    date_to: date | None = None


def _query(user: User, search: DoneSearch) -> Select[tuple[CaseEvent]]:
    """Always narrowed by the user's own events (the user_id index) before any text condition."""
    stmt = (
        select(CaseEvent).join(CaseEvent.instance)
        .options(contains_eager(CaseEvent.instance).joinedload(ProcessInstance.grid))
        .where(CaseEvent.user_id == user.id, CaseEvent.action.in_(DONE_ACTIONS))
    )
    if search.text:
        pattern = f"%{search.text}%"
        numbered = exists().where(Document.instance_id == CaseEvent.instance_id, Document.number.like(pattern))
        stmt = stmt.where(or_(ProcessInstance.title.like(pattern), numbered))
    if search.person:
        other = aliased(CaseEvent)
        stmt = stmt.where(exists().where(other.instance_id == CaseEvent.instance_id, other.user_id != user.id,
                                         other.actor_name.like(f"%{search.person}%")))
    if search.date_from:
        stmt = stmt.where(CaseEvent.at >= datetime.combine(search.date_from, time.min, tzinfo=TZ))
    if search.date_to:
        stmt = stmt.where(CaseEvent.at < datetime.combine(search.date_to + timedelta(days=1), time.min, tzinfo=TZ))
    return stmt


def done_page(session: Session, user: User, search: DoneSearch, page: int = 1) -> tuple[list[CaseEvent], int]:
    """One page of the user's finished steps, newest first, and how many match in all."""
    stmt = _query(user, search)
    total = session.scalar(stmt.with_only_columns(func.count(CaseEvent.id))) or 0
    events = session.scalars(stmt.order_by(CaseEvent.id.desc()).limit(DONE_PAGE).offset((page - 1) * DONE_PAGE))
    return list(events), total
