"""Mirror a workflow's READY user tasks into work_task, so inboxes never read workflow JSON."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import registry as procedures
from webapp.cases.drafts import drop_task_drafts
from webapp.clock import TZ
from webapp.engine import TaskView, WorkflowEngine
from webapp.models import CaseEvent, GridNode, ProcessInstance, User, WorkTask
from webapp.services.grid import town_of

# A multi-instance step (会签) names its participant in this task-data key (its element variable).
ASSIGNEE_KEY = "assignee"


def sync_tasks(session: Session, runtime, engine: WorkflowEngine, instance: ProcessInstance,
               workflow: object, now: datetime, starter: User | None = None) -> list[WorkTask]:
    """Delete rows of tasks no longer READY, add rows for new ones; keep rows that stay READY."""
    ready = {view.task_id: view for view in engine.ready_user_tasks(workflow)}
    existing = {row.engine_task_id: row for row in session.scalars(
        select(WorkTask).where(WorkTask.instance_id == instance.id))}
    gone = [row for task_id, row in existing.items() if task_id not in ready]
    drop_task_drafts(session, [row.id for row in gone])
    for row in gone:
        session.delete(row)
    calendar = runtime.calendar(session)
    added = [
        _new_row(session, instance, view, now, calendar, starter)
        for task_id, view in ready.items() if task_id not in existing
    ]
    session.add_all(added)
    session.flush()
    return added


def _new_row(session: Session, instance: ProcessInstance, view: TaskView, now: datetime, calendar,
             starter: User | None) -> WorkTask:
    assignee = _assignee(session, instance, view, starter)
    scope = _scope(instance, view, assignee)
    town = town_of(scope)
    return WorkTask(
        instance=instance, engine_task_id=view.task_id, step_key=view.step_key, title=view.title,
        role=view.lane or "", scope_path=scope.path, town_id=town.id if town else None, created_at=now,
        subject=_subject(session, instance, view, assignee), assignee=assignee,
        waiting=view.step_key in _procedure_waits(instance),
        due_at=_due_at(instance, view, now, calendar),
    )


def _subject(session: Session, instance: ProcessInstance, view: TaskView, assignee: User | None) -> str:
    """The item of a multi-instance step as its procedure names it; else the unit; else the node whose
    people do the task (a village's own part of a town case); else the case's grid."""
    procedure = procedures.get(instance.procedure)
    if view.multi_instance_index is not None and procedure and procedure.task_subject:
        return procedure.task_subject(session, instance, str(view.multi_instance_index))
    if instance.unit is not None:
        return instance.unit.name
    if _own_part(instance, view, assignee):
        return assignee.scope.name
    return instance.grid.name


def _own_part(instance: ProcessInstance, view: TaskView, assignee: User | None) -> bool:
    """A task named for a user whose scope lies inside the case's grid: e.g. a village clerk's 自评 in a
    town case."""
    return bool(view.data.get(ASSIGNEE_KEY)) and assignee is not None and instance.grid.contains(assignee.scope)


def _scope(instance: ProcessInstance, view: TaskView, assignee: User | None) -> GridNode:
    """Such a task is scoped at the user's node, so the user can see and do it; else the case's grid."""
    return assignee.scope if _own_part(instance, view, assignee) else instance.grid


def _assignee(session: Session, instance: ProcessInstance, view: TaskView, starter: User | None) -> User | None:
    """会签 participant by name; else whoever did this step before (a redraft after 退回); else the starter."""
    named = view.data.get(ASSIGNEE_KEY)
    if named:
        return session.scalar(select(User).where(User.username == str(named)))
    previous = session.scalar(
        select(CaseEvent).where(CaseEvent.instance_id == instance.id, CaseEvent.step_key == view.step_key,
                                CaseEvent.action == "complete").order_by(CaseEvent.id.desc()).limit(1)
    )
    if previous is not None:
        return previous.user
    if starter is not None and view.lane and starter.has_role(view.lane):
        return starter
    return None


def _procedure_waits(instance: ProcessInstance) -> Mapping[str, str]:
    procedure = procedures.get(instance.procedure)
    return procedure.waiting_steps if procedure else {}


def _due_at(instance: ProcessInstance, view: TaskView, now: datetime, calendar) -> datetime | None:
    procedure = procedures.get(instance.procedure)
    if procedure and procedure.due_date:
        due = procedure.due_date(view.step_key, view.data, calendar)
        if due is not None:
            return due
    if view.due_workdays is None:
        return None
    day = calendar.add_workdays(now.astimezone(TZ).date(), view.due_workdays)
    return datetime.combine(day, time(23, 59, 59), tzinfo=TZ)
