"""Inbox (待办) and done list (已办): indexed queries over the projection and the history."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from ..models import CaseEvent, ProcessInstance, User, WorkTask
from .errors import OutOfScope


def inbox_query(user: User) -> Select[tuple[WorkTask]]:
    """READY tasks of the user's roles inside their scope, unassigned or assigned to them."""
    return (
        select(WorkTask)
        .join(WorkTask.instance)
        .options(contains_eager(WorkTask.instance).joinedload(ProcessInstance.grid))
        .where(
            WorkTask.role.in_(sorted(user.roles)),
            WorkTask.scope_path.startswith(user.scope.path),
            or_(WorkTask.assignee_id.is_(None), WorkTask.assignee_id == user.id),
        )
        .order_by(WorkTask.due_at.asc().nulls_last(), WorkTask.id)
    )


INBOX_PAGE = 50


def inbox(session: Session, user: User, limit: int = INBOX_PAGE, offset: int = 0) -> list[WorkTask]:
    """The most urgent first: earliest due date, then tasks without one."""
    return list(session.scalars(inbox_query(user).limit(limit).offset(offset)))


def inbox_count(session: Session, user: User) -> int:
    stmt = inbox_query(user).order_by(None).with_only_columns(func.count(WorkTask.id))
    return session.scalar(stmt) or 0


def done_list(session: Session, user: User, limit: int = 100) -> list[CaseEvent]:
    """Steps this user completed, sent back or withdrew, newest first."""
    stmt = (
        select(CaseEvent)
        .join(CaseEvent.instance)
        .options(contains_eager(CaseEvent.instance))
        .where(CaseEvent.user_id == user.id, CaseEvent.action.in_(["complete", "send_back", "withdraw", "start"]))
        .order_by(CaseEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def case_history(session: Session, instance: ProcessInstance) -> list[CaseEvent]:
    return list(session.scalars(
        select(CaseEvent).where(CaseEvent.instance_id == instance.id).order_by(CaseEvent.id)))


def finished_step(session: Session, user: User, work_task_id: int) -> CaseEvent | None:
    """The 办理/退回 that finished this task id, for its actor or a user whose scope holds the case.

    None when no user's action finished it (withdrawn, a timer moved on, or the id never existed):
    the page then only says the step is no longer open."""
    event = session.scalar(select(CaseEvent).where(CaseEvent.work_task_id == work_task_id)
                           .order_by(CaseEvent.id.desc()).limit(1))
    if event is not None and event.user_id != user.id and not user.scope.contains(event.instance.grid):
        raise OutOfScope("该任务不在您的管辖范围内。")
    return event
