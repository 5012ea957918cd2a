"""Monthly inspection plans (检查日): every unit of a grid assigned to an inspection group of ≥ 2 inspectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, literal, or_, select
from sqlalchemy.orm import Session, selectinload

from webapp.cases.registry import Visit, VisitPlan
from webapp.clock import TZ
from webapp.models import GridNode, Unit, User
from webapp.procedures.inspection.models import Inspection, InspectionGroup, InspectionPlan, PlanAssignment
from webapp.services.errors import InvalidInput
from webapp.services.grid import ensure_in_scope, get_in_scope


@dataclass
class CoverageRow:
    unit: Unit
    group: InspectionGroup | None
    inspection: Inspection | None

    @property
    def status(self) -> str:
        if self.inspection is not None:
            return "inspected"
        return "planned" if self.group is not None else "uncovered"


def units_under(session: Session, grid: GridNode) -> list[Unit]:
    stmt = select(Unit).join(GridNode).where(GridNode.path.startswith(grid.path)).order_by(GridNode.path, Unit.name)
    return list(session.scalars(stmt))


def plans_in_scope(session: Session, user: User, month: str | None = None) -> list[InspectionPlan]:
    stmt = select(InspectionPlan).join(GridNode).where(GridNode.path.startswith(user.scope.path))
    if month:
        stmt = stmt.where(InspectionPlan.month == month)
    return list(session.scalars(stmt.order_by(InspectionPlan.month.desc(), GridNode.path)))


def get_plan(session: Session, user: User, plan_id: int) -> InspectionPlan:
    return get_in_scope(session, user, InspectionPlan, plan_id, "检查计划不存在。")


def inspectors_for(session: Session, user: User) -> list[User]:
    """Inspectors whose scope lies on the user's branch of the grid (above or below the user)."""
    users = session.scalars(select(User).where(User.is_enabled.is_(True)).order_by(User.id))
    return [u for u in users if u.has_role("inspector")
            and (u.scope.path.startswith(user.scope.path) or user.scope.path.startswith(u.scope.path))]


def _check_groups(session: Session, user: User, groups: list[list[int]]) -> list[list[User]]:
    allowed = {u.id: u for u in inspectors_for(session, user)}
    checked = []
    for index, ids in enumerate(groups, start=1):
        if set(ids) - set(allowed):
            raise InvalidInput(f"第{index}检查组中有不属于本辖区的人员。")
        members = [allowed[i] for i in dict.fromkeys(ids)]
        if len(members) < 2:
            raise InvalidInput(f"第{index}检查组不少于2名检查人员。")
        checked.append(members)
    if not checked:
        raise InvalidInput("请至少编排一个检查组。")
    return checked


def create_plan(session: Session, *, user: User, grid: GridNode, day: date, groups: list[list[int]],
                now: datetime) -> InspectionPlan:
    """A plan for `day`'s month; units are dealt to the groups in turn (the clerk may move them after)."""
    ensure_in_scope(user, grid)
    month = day.strftime("%Y-%m")
    if session.scalar(select(InspectionPlan).where(InspectionPlan.grid_id == grid.id, InspectionPlan.month == month)):
        raise InvalidInput(f"{grid.name}{month}的检查计划已存在。")
    plan = InspectionPlan(grid=grid, month=month, day=day, created_by_id=user.id, created_at=now)
    for index, members in enumerate(_check_groups(session, user, groups), start=1):
        plan.groups.append(InspectionGroup(name=f"第{index}检查组", member_ids=[m.id for m in members]))
    session.add(plan)
    session.flush()
    for index, unit in enumerate(units_under(session, grid)):
        plan.assignments.append(PlanAssignment(unit=unit, group=plan.groups[index % len(plan.groups)]))
    session.flush()
    return plan


def assign(session: Session, plan: InspectionPlan, *, unit_id: int, group_id: int | None) -> None:
    """Move a unit to a group, or take it out of the plan (group_id None)."""
    current = next((a for a in plan.assignments if a.unit_id == unit_id), None)
    if group_id is None:
        if current is not None:
            plan.assignments.remove(current)
        session.flush()
        return
    group = next((g for g in plan.groups if g.id == group_id), None)
    unit = session.get(Unit, unit_id)
    if group is None or unit is None or not unit.grid.path.startswith(plan.grid.path):
        raise InvalidInput("单位或检查组不属于该计划。")
    if current is None:
        plan.assignments.append(PlanAssignment(unit=unit, group=group))
    else:
        current.group = group
    session.flush()


def month_inspections(session: Session, grid: GridNode, month: str) -> dict[int, Inspection]:
    """The latest inspection of each unit under `grid` in that month (Beijing dates)."""
    rows = session.scalars(select(Inspection).join(GridNode, Inspection.grid_id == GridNode.id)
                           .where(GridNode.path.startswith(grid.path)).order_by(Inspection.inspected_at))
    return {i.unit_id: i for i in rows if i.inspected_at.strftime("%Y-%m") == month}


def coverage(session: Session, plan: InspectionPlan) -> list[CoverageRow]:
    assigned = {a.unit_id: a.group for a in plan.assignments}
    done = month_inspections(session, plan.grid, plan.month)
    return [CoverageRow(unit, assigned.get(unit.id), done.get(unit.id)) for unit in units_under(session, plan.grid)]


def group_names(session: Session, plan: InspectionPlan) -> dict[int, str]:
    """Group id → "第1检查组（张伟、李娜）"."""
    ids = {i for g in plan.groups for i in g.member_ids}
    names = {u.id: u.display_name for u in session.scalars(select(User).where(User.id.in_(ids)))}
    return {g.id: f"{g.name}（{'、'.join(names.get(i, '?') for i in g.member_ids)}）" for g in plan.groups}


def unit_visits(session: Session, grid: GridNode, start: date, end: date) -> list[Visit]:
    """Coverage: every inspection of a unit now under `grid`, from `start` to `end` (Beijing days) — one query."""
    stmt = (select(Inspection.unit_id, Inspection.inspected_at).join(Unit, Inspection.unit_id == Unit.id)
            .join(GridNode, Unit.grid_id == GridNode.id).where(GridNode.path.startswith(grid.path),
                                                               *_inspected_between(start, end)))
    return [Visit(unit_id, moment.astimezone(TZ).date(), "检查") for unit_id, moment in session.execute(stmt)]


def visited_unit_ids(start: date, end: date) -> Select:
    """The county overview's coverage: the units inspected from `start` to `end`, counted by the database."""
    return select(Inspection.unit_id).where(*_inspected_between(start, end))


def _inspected_between(start: date, end: date) -> tuple[ColumnElement[bool], ...]:
    return (Inspection.inspected_at >= datetime.combine(start, time(), TZ),
            Inspection.inspected_at < datetime.combine(end + timedelta(days=1), time(), TZ))


def visit_plans(session: Session, grid: GridNode, month: str) -> list[VisitPlan]:
    """The month's plans on `grid`'s branch: on the node, below it, or above it (a town's plan covers its villages)."""
    stmt = (select(InspectionPlan).join(GridNode).where(
        InspectionPlan.month == month,
        or_(GridNode.path.startswith(grid.path), literal(grid.path).startswith(GridNode.path)))
        .options(selectinload(InspectionPlan.groups), selectinload(InspectionPlan.assignments))
        .order_by(GridNode.path))
    found = []
    for plan in session.scalars(stmt):
        names = group_names(session, plan)
        units = {g.id: tuple(a.unit_id for a in plan.assignments if a.group_id == g.id) for g in plan.groups}
        found.append(VisitPlan(plan.grid_id, plan.day, tuple((names[g.id], units[g.id]) for g in plan.groups),
                               endpoint="inspection.plan", args=(("plan_id", plan.id),)))
    return found
