"""The county overview (全县概览): one row per town in a user's scope, the figures every procedure gives.

The core adds its own figure (steps past their deadline, from the task projection); each procedure adds
its own through `Procedure.town_figures`, so this module never knows what a hazard or a letter is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from webapp.cases import coverage
from webapp.cases import registry as procedures
from webapp.cases.registry import Figure
from webapp.models import GridNode, Unit, User, WorkTask
from webapp.services.errors import OutOfScope
from webapp.services.spreadsheets import table_workbook

# Who may open the overview, when scoped above a single town (at the region, 区/县).
OVERVIEW_ROLES = ("county", "admin", "leader")


@dataclass
class TownRow:
    town: GridNode
    figures: dict[str, Figure]  # column label → figure


@dataclass
class Overview:
    region: GridNode
    columns: list[str]
    rows: list[TownRow]


def may_see(user: User) -> bool:
    return user.scope.level == "region" and user.has_role(*OVERVIEW_ROLES)


def towns_in_scope(session: Session, user: User) -> list[GridNode]:
    stmt = (select(GridNode).where(GridNode.level == "town", GridNode.path.startswith(user.scope.path))
            .order_by(GridNode.sort_order, GridNode.id))
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class TownSize:
    """What a town has so far (the county admin's list of towns: has its workbook been imported?)."""

    villages: int
    units: int
    accounts: int


def town_sizes(session: Session, towns: list[GridNode]) -> dict[int, TownSize]:
    def count(model: type, *where: ColumnElement[bool]) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    return {town.id: TownSize(
        villages=count(GridNode, GridNode.parent_id == town.id),
        units=count(Unit, Unit.grid_id.in_(select(GridNode.id).where(GridNode.path.startswith(town.path)))),
        accounts=count(User, User.scope_id.in_(select(GridNode.id).where(GridNode.path.startswith(town.path)))),
    ) for town in towns}


def _overdue(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Open steps past their deadline; steps that only wait (a timer) do not count."""
    return WorkTask.waiting.is_(False), WorkTask.due_at < now


def overdue_steps(session: Session, towns: list[GridNode], now: datetime) -> dict[int, Figure]:
    """Each town's open steps past their deadline, counted in one query grouped by town."""
    counts = dict(session.execute(
        select(WorkTask.town_id, func.count()).where(WorkTask.town_id.in_([t.id for t in towns]), *_overdue(now))
        .group_by(WorkTask.town_id)).all())
    return {town.id: Figure("逾期未办", str(counts.get(town.id, 0)), order=20, endpoint="county.overdue",
                            args=(("town", town.id),)) for town in towns}


def overdue_tasks(session: Session, user: User, town: GridNode, now: datetime) -> list[WorkTask]:
    """The steps `overdue_steps` counts, oldest deadline first, for a user who may see the overview."""
    if not may_see(user) or not user.scope.contains(town) or town.level != "town":
        raise OutOfScope(f"“{town.name}”不在您的管辖范围内。")
    stmt = select(WorkTask).where(WorkTask.town_id == town.id, *_overdue(now)).order_by(WorkTask.due_at, WorkTask.id)
    return list(session.scalars(stmt))


def town_figures(session: Session, towns: list[GridNode], now: datetime) -> dict[int, list[Figure]]:
    """Every figure of each town (by id), in column order; each figure is asked once for all the towns, so the
    overview's statements do not grow with the number of towns."""
    figures: dict[int, list[Figure]] = {town.id: [] for town in towns}
    if not towns:
        return figures
    for found in (overdue_steps(session, towns, now), coverage.town_figures(session, towns, now)):
        for town_id, figure in found.items():
            figures[town_id].append(figure)
    for procedure in procedures.all_procedures():
        if procedure.town_figures is not None:
            for town_id, more in procedure.town_figures(session, towns, now).items():
                figures[town_id].extend(more)
    return {town_id: sorted(found, key=lambda f: f.order) for town_id, found in figures.items()}


def county_overview(session: Session, user: User, now: datetime) -> Overview:
    if not may_see(user):
        raise OutOfScope("全县概览仅限管辖范围为区（县）的县级督导、系统管理员和领导查看。")
    towns = towns_in_scope(session, user)
    figures = town_figures(session, towns, now)
    rows = [TownRow(town, {f.label: f for f in figures[town.id]}) for town in towns]
    columns: list[str] = []
    for figure in sorted((f for row in rows for f in row.figures.values()), key=lambda f: f.order):
        if figure.label not in columns:
            columns.append(figure.label)
    return Overview(user.scope, columns, rows)


def overview_xlsx(overview: Overview, now: datetime) -> bytes:
    """The overview table as a workbook: a title row, the headings, one row per town."""
    heading = f"{overview.region.name}各镇（街道）消防工作概览（{now.year}年{now.month}月{now.day}日）"
    rows = ([row.town.name, *(_cell(row.figures.get(label)) for label in overview.columns)] for row in overview.rows)
    return table_workbook("全县概览", ["镇（街道）", *overview.columns], rows, (20,), heading=heading)


def _cell(figure: Figure | None) -> int | str:
    if figure is None:
        return "—"
    return int(figure.value) if figure.value.isdigit() else figure.value
