"""Separation of duties (签发回避): who did a procedure's drafting step in a case may not do the step it separates
from it (发文: the drafter does not sign off their own document). Each town may switch a pair off."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import registry
from webapp.engine import SpecRegistry
from webapp.models import CaseEvent, DutySeparation, GridNode, ProcessInstance, User, WorkTask
from webapp.services.errors import OutOfScope
from webapp.services.grid import town_of


@dataclass(frozen=True)
class Separation:
    """One separated step of a procedure, as the settings page lists it."""

    procedure: str
    procedure_title: str
    step_key: str
    step_title: str
    drafting_titles: str
    enabled: bool


def enabled(session: Session, town: GridNode | None, procedure: str, step_key: str) -> bool:
    """The town's choice; on by default (also for a case above any town)."""
    row = session.get(DutySeparation, (town.id, procedure, step_key)) if town is not None else None
    return True if row is None else row.enabled


def drafters(session: Session, instance: ProcessInstance, step_keys: tuple[str, ...]) -> set[int]:
    """The users who completed any of these steps in the case (a redraft after a 退回 counts too)."""
    stmt = select(CaseEvent.user_id).where(CaseEvent.instance_id == instance.id, CaseEvent.action == "complete",
                                           CaseEvent.step_key.in_(step_keys), CaseEvent.user_id.is_not(None))
    return set(session.scalars(stmt))


def barred(session: Session, task: WorkTask) -> set[int]:
    """The users who may not do this task because they drafted its case (none when the step is not separated
    or the town switched its separation off)."""
    instance = task.instance
    procedure = registry.get(instance.procedure) if instance is not None else None
    drafting = procedure.separated_steps.get(task.step_key) if procedure else None
    if not drafting or not enabled(session, town_of(instance.grid), instance.procedure, task.step_key):
        return set()
    return drafters(session, instance, drafting)


def refusal(session: Session, task: WorkTask, user: User) -> str | None:
    """Why `user` may not do this task because they drafted the case; None when they may."""
    if user.id not in barred(session, task):
        return None
    return f"您是本件的拟稿人，不能{task.title}本人起草的文稿，请由其他领导{task.title}。"


def ensure_allowed(session: Session, task: WorkTask, user: User) -> None:
    reason = refusal(session, task, user)
    if reason:
        raise OutOfScope(reason)


def refusals(session: Session, user: User, tasks: list[WorkTask]) -> dict[int, str]:
    """For a page of the inbox: task id → why this user may not do it."""
    found = {}
    for task in tasks:
        reason = refusal(session, task, user)
        if reason:
            found[task.id] = reason
    return found


def excluded_pairs(session: Session, tasks: list[WorkTask]) -> list[tuple[int, int]]:
    """(task id, user id) of the drafters barred from these new tasks: they get no 新待办 notice."""
    return [(task.id, user_id) for task in tasks for user_id in barred(session, task)]


def separations(session: Session, town: GridNode, specs: SpecRegistry) -> list[Separation]:
    rows = []
    for procedure in registry.all_procedures():
        steps = {key: step.title for key, step in specs.steps(procedure.key).items()}
        for step_key, drafting in procedure.separated_steps.items():
            rows.append(Separation(procedure.key, procedure.title, step_key, steps.get(step_key, step_key),
                                   "、".join(steps.get(d, d) for d in drafting),
                                   enabled(session, town, procedure.key, step_key)))
    return rows


def set_enabled(session: Session, town: GridNode, procedure: str, step_key: str, on: bool) -> None:
    row = session.get(DutySeparation, (town.id, procedure, step_key))
    if row is None:
        row = DutySeparation(town_id=town.id, procedure=procedure, step_key=step_key)
        session.add(row)
    row.enabled = on
    session.flush()

