"""Inbox (待办) and done list (已办): indexed queries over the projection and the history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from webapp.clock import TZ
from webapp.models import CaseEvent, ProcessInstance, User, WorkTask
from webapp.models.workflow import SIDE_ACTIONS
from webapp.services.errors import OutOfScope

# "即将到期": due by the end of this many working days from today.
SOON_WORKDAYS = 3
DUE_FILTERS = {"overdue": "已逾期", "soon": "即将到期"}


@dataclass(frozen=True)
class DueWindow:
    """逾期: due before now; 即将到期: due from now to the end of the third working day."""

    now: datetime
    soon_until: datetime

    @classmethod
    def starting(cls, now: datetime, calendar) -> DueWindow:
        day = calendar.add_workdays(now.astimezone(TZ).date(), SOON_WORKDAYS)
        return cls(now, datetime.combine(day, time(23, 59, 59), tzinfo=TZ))

    def condition(self, due: str):
        if due == "overdue":
            return WorkTask.due_at < self.now
        return WorkTask.due_at.between(self.now, self.soon_until)


def inbox_conditions(roles: Any, scope_path: Any, user_id: Any) -> tuple:
    """READY tasks of these roles inside the scope, unassigned or assigned to the user; not waits. Values or
    bound parameters (the menu badge's statement is built once, see `webapp/web/badges.py`)."""
    return (
        WorkTask.role.in_(roles),
        WorkTask.scope_path.startswith(scope_path),
        or_(WorkTask.assignee_id.is_(None), WorkTask.assignee_id == user_id),
        WorkTask.waiting.is_(False),
    )


def inbox_query(user: User, due: str = "", window: DueWindow | None = None) -> Select[tuple[WorkTask]]:
    """READY tasks of the user's roles inside their scope, unassigned or assigned to them; not waits."""
    stmt = (
        select(WorkTask)
        .join(WorkTask.instance)
        .options(contains_eager(WorkTask.instance).joinedload(ProcessInstance.grid))
        .where(*inbox_conditions(sorted(user.roles), user.scope.path, user.id))
        .order_by(WorkTask.due_at.asc().nulls_last(), WorkTask.id)
    )
    if due in DUE_FILTERS and window is not None:
        stmt = stmt.where(window.condition(due))
    return stmt


INBOX_PAGE = 50


def inbox(session: Session, user: User, limit: int = INBOX_PAGE, offset: int = 0, due: str = "",
          window: DueWindow | None = None) -> list[WorkTask]:
    """The most urgent first: earliest due date, then tasks without one."""
    return list(session.scalars(inbox_query(user, due, window).limit(limit).offset(offset)))


def inbox_count_query(user: User, due: str = "", window: DueWindow | None = None) -> Select[tuple[int]]:
    return inbox_query(user, due, window).order_by(None).with_only_columns(func.count(WorkTask.id))


def inbox_count(session: Session, user: User, due: str = "", window: DueWindow | None = None) -> int:
    return session.scalar(inbox_count_query(user, due, window)) or 0


def due_counts(session: Session, user: User, window: DueWindow) -> dict[str, int]:
    """逾期 and 即将到期 among the user's 待办, in one COUNT query."""
    stmt = inbox_query(user).order_by(None).with_only_columns(
        *(func.count(WorkTask.id).filter(window.condition(due)) for due in DUE_FILTERS))
    return dict(zip(DUE_FILTERS, session.execute(stmt).one(), strict=True))


@dataclass(frozen=True)
class Arrival:
    """How a task reached the inbox: who acted last on its case, and whether that was a 退回."""

    actor: str
    returned: bool
    reason: str


def arrivals(session: Session, tasks: list[WorkTask]) -> dict[int, Arrival]:
    """For a page of tasks, the latest user action on each case (one query, by the case_event index)."""
    instance_ids = {t.instance_id for t in tasks}
    if not instance_ids:
        return {}
    latest = (select(func.max(CaseEvent.id)).where(CaseEvent.instance_id.in_(instance_ids),
                                                   CaseEvent.user_id.is_not(None),
                                                   CaseEvent.action.not_in(SIDE_ACTIONS))
              .group_by(CaseEvent.instance_id))
    events = session.scalars(select(CaseEvent).where(CaseEvent.id.in_(latest)))
    return {e.instance_id: Arrival(e.actor_name, e.action == "send_back", e.opinion) for e in events}


def finished_step(session: Session, user: User, work_task_id: int) -> CaseEvent | None:
    """The 办理/退回 that finished this task id, for its actor or a user whose scope holds the case.

    None when no user's action finished it (withdrawn, a timer moved on, or the id never existed):
    the page then only says the step is no longer open."""
    event = session.scalar(select(CaseEvent).where(CaseEvent.work_task_id == work_task_id,
                                                   CaseEvent.action.not_in(SIDE_ACTIONS))
                           .order_by(CaseEvent.id.desc()).limit(1))
    if event is not None and event.user_id != user.id and not user.scope.contains(event.instance.grid):
        raise OutOfScope("该任务不在您的管辖范围内。")
    return event


def case_history(session: Session, instance: ProcessInstance) -> list[CaseEvent]:
    return list(session.scalars(
        select(CaseEvent).where(CaseEvent.instance_id == instance.id).order_by(CaseEvent.id)))
