"""Coverage and missed units (覆盖率、漏查): per month and grid node, which units some procedure visited
(an inspection, a patrol …), per child grid and per planned group; the units missed this month and those
missed N months running; and the 上旬 reminder for grid nodes without a plan for the month.

Visits and plans come from the procedures through the registry (`unit_visits`, `visit_plans`), so this
module never knows what an inspection or a patrol is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, literal_column, select, union_all
from sqlalchemy.orm import Session

from webapp.cases import registry
from webapp.cases.registry import Figure, TownTally, Visit
from webapp.clock import TZ
from webapp.models import GridNode, GridPost, GridUnitTotal, GridVisitTotal, Unit, User
from webapp.services.errors import InvalidInput
from webapp.services.spreadsheets import table_workbook
from webapp.workdays import WorkdayCalendar

# Visits are looked up from here on, so "last visit" reaches back before the system's first year.
EARLIEST = date(2000, 1, 1)
# The monthly inspection day falls in the first ten days (上旬) of the month.
PLAN_BY_DAY = 10
DEFAULT_MONTHS = 3
MAX_MONTHS = 24
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> str:
    """"2026-09" as typed in ?month=; anything else is refused in Chinese."""
    found = _MONTH.match(text or "")
    if not found or not (2000 <= int(found.group(1)) <= 2100 and 1 <= int(found.group(2)) <= 12):
        raise InvalidInput("月份无效，请按“2026-09”的格式输入。")
    return text


def month_of(day: date) -> str:
    return day.strftime("%Y-%m")


def month_days(month: str) -> tuple[date, date]:
    """The first and last day of a month."""
    first = date(int(month[:4]), int(month[5:7]), 1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def shift_month(month: str, by: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _day_end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), TZ)


def units_in_scope(session: Session, grid: GridNode, until: date) -> list[Unit]:
    """The units under `grid` that existed on `until` (entered in the ledger by the end of that day)."""
    stmt = (select(Unit).join(GridNode, Unit.grid_id == GridNode.id)
            .where(GridNode.path.startswith(grid.path), Unit.created_at < _day_end(until))
            .order_by(GridNode.path, Unit.name))
    return list(session.scalars(stmt))


@dataclass
class CoverageRow:
    """One line of the coverage table: a grid node (or a plan's group) and how many of its units were visited."""

    label: str
    unit_ids: set[int]
    visited_ids: set[int]
    grid: GridNode | None = None
    endpoint: str | None = None  # a group's plan page
    args: tuple = ()

    @property
    def total(self) -> int:
        return len(self.unit_ids)

    @property
    def visited(self) -> int:
        return len(self.unit_ids & self.visited_ids)

    @property
    def rate(self) -> float | None:
        return self.visited / self.total if self.total else None

    @property
    def rate_text(self) -> str:
        return "—" if self.rate is None else f"{round(self.rate * 100)}%"


@dataclass
class UnitStatus:
    unit: Unit
    visits: list[Visit] = field(default_factory=list)  # in the period looked at, oldest first
    last_visit: date | None = None  # the latest visit up to the period's end (or before it, for missed units)

    @property
    def kinds(self) -> str:
        return "、".join(dict.fromkeys(v.kind for v in self.visits))


@dataclass
class MonthCoverage:
    grid: GridNode
    month: str
    total: CoverageRow
    by_grid: list[CoverageRow]
    by_group: list[CoverageRow]
    units: list[UnitStatus]

    @property
    def not_visited(self) -> list[UnitStatus]:
        return [status for status in self.units if not status.visits]

    @property
    def visited(self) -> list[UnitStatus]:
        return [status for status in self.units if status.visits]


def _visits_by_unit(session: Session, grid: GridNode, start: date, end: date) -> dict[int, list[Visit]]:
    found: dict[int, list[Visit]] = {}
    for visit in sorted(registry.unit_visits(session, grid, start, end), key=lambda v: v.day):
        found.setdefault(visit.unit_id, []).append(visit)
    return found


def month_coverage(session: Session, grid: GridNode, month: str) -> MonthCoverage:
    """Units under `grid` at the month's end, the ones visited in the month, by child grid and by planned group."""
    first, last = month_days(month)
    units = units_in_scope(session, grid, last)
    history = _visits_by_unit(session, grid, EARLIEST, last)
    statuses = [UnitStatus(u, [v for v in history.get(u.id, []) if v.day >= first],
                           history[u.id][-1].day if u.id in history else None) for u in units]
    visited = {s.unit.id for s in statuses if s.visits}
    every = {u.id for u in units}
    by_grid = [CoverageRow(child.name, {u.id for u in units if child.contains(u.grid)}, visited, grid=child)
               for child in grid.children]
    return MonthCoverage(grid, month, CoverageRow(grid.name, every, visited, grid=grid), by_grid,
                         _group_rows(session, grid, month, every, visited), statuses)


def _group_rows(session: Session, grid: GridNode, month: str, every: set[int], visited: set[int]) -> list[CoverageRow]:
    rows = []
    for plan in registry.visit_plans(session, grid, month):
        place = session.get(GridNode, plan.grid_id)
        prefix = "" if place is None or place.id == grid.id else f"{place.name} "
        for label, unit_ids in plan.groups:
            rows.append(CoverageRow(f"{prefix}{label}", set(unit_ids) & every, visited,
                                    endpoint=plan.endpoint, args=plan.args))
    return rows


def missed_months(session: Session, grid: GridNode, month: str, months: int) -> list[UnitStatus]:
    """Units not visited in any of the `months` months ending with `month` (漏查 N months running), with their
    last visit before. Only units that existed by the end of the first of those months can have missed all."""
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInput(f"连续未走访月数应在1至{MAX_MONTHS}之间。")
    window_start, first_month_end = month_days(shift_month(month, 1 - months))
    _, last = month_days(month)
    history = _visits_by_unit(session, grid, EARLIEST, last)
    missed = []
    for unit in units_in_scope(session, grid, first_month_end):
        visits = history.get(unit.id, [])
        if not any(v.day >= window_start for v in visits):
            missed.append(UnitStatus(unit, [], visits[-1].day if visits else None))
    return missed


# --- the county overview's figure --------------------------------------------------------------------------

def town_figures(session: Session, towns: list[GridNode], now: datetime) -> dict[int, Figure]:
    """This month's coverage rate of each town, for the county overview: its units at the month's end and those
    of them some procedure visited in the month, from the totals the database keeps per grid and month
    (GridUnitTotal, GridVisitTotal: ~500 rows where counting read the county's 100,000 units and the month's
    visits). Both in one grouped query: the units entered in the month or before it, and the month's visited."""
    month = month_of(now.date())
    tally = TownTally(towns)
    both = union_all(
        select(GridUnitTotal.grid_id.label("grid_id"), GridUnitTotal.units.label("units"),
               literal_column("0").label("visited")).where(GridUnitTotal.month <= month),
        select(GridVisitTotal.grid_id, literal_column("0"), GridVisitTotal.units).where(GridVisitTotal.month == month),
    ).subquery()
    stmt = select(both.c.grid_id, func.sum(both.c.units), func.sum(both.c.visited)).group_by(both.c.grid_id)
    rows = session.execute(tally.by_path(stmt)).all()
    units = tally.sum((path, total) for path, total, _ in rows)
    seen = tally.sum((path, count) for path, _, count in rows)
    return {town.id: Figure("本月走访覆盖率", _rate(seen[town.id], units[town.id]), order=45, endpoint="coverage.page",
                            args=(("grid", town.id),)) for town in towns}


def _rate(visited: int, units: int) -> str:
    return f"{round(visited * 100 / units)}%（{visited}/{units}）" if units else "—"


# --- the 上旬 reminder -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanReminder:
    grid: GridNode
    units: int
    month: str
    deadline: date  # the 10th
    workdays_left: int  # working days from today to the 10th, both counted


def _responsible_nodes(session: Session, user: User) -> list[GridNode]:
    """The grid nodes whose plan the user sees to: a clerk's village (or each village of a clerk's town), and the
    nodes where the user is 网格长."""
    nodes: list[GridNode] = []
    if user.has_role("clerk"):
        if user.scope.level == "town":
            nodes.extend(user.scope.children)
        elif user.scope.level in ("village", "area"):
            nodes.append(user.scope)
    posts = session.scalars(select(GridPost).where(GridPost.user_id == user.id, GridPost.post == "grid_head"))
    nodes.extend(post.node for post in posts)
    return list({node.id: node for node in nodes}.values())


def plan_reminders(session: Session, user: User, today: date, calendar: WorkdayCalendar) -> list[PlanReminder]:
    """From the 1st to the 10th: the user's grid nodes that hold units and have no visit plan for the month."""
    if today.day > PLAN_BY_DAY or not any(p.visit_plans for p in registry.all_procedures()):
        return []
    month, deadline = month_of(today), today.replace(day=PLAN_BY_DAY)
    left = sum(calendar.is_workday(today + timedelta(days=n)) for n in range((deadline - today).days + 1))
    reminders = []
    for node in _responsible_nodes(session, user):
        count = session.scalar(select(func.count()).select_from(Unit).join(GridNode, Unit.grid_id == GridNode.id)
                               .where(GridNode.path.startswith(node.path))) or 0
        if count and not registry.visit_plans(session, node, month):
            reminders.append(PlanReminder(node, count, month, deadline, left))
    return reminders


# --- Excel -------------------------------------------------------------------------------------------------

def rows_xlsx(title: str, rows: list[CoverageRow], heading: str) -> bytes:
    lines = ([row.label, row.total, row.visited, row.total - row.visited, row.rate_text] for row in rows)
    return table_workbook(title, ["网格/检查组", "单位数", "已走访", "未走访", "覆盖率"], lines, (30, 10, 10, 10, 10),
                          heading=heading)


def units_xlsx(title: str, statuses: list[UnitStatus], heading: str) -> bytes:
    lines = ([index, s.unit.grid.display_path(), s.unit.name, s.unit.category_label, s.unit.address,
              len(s.visits), s.kinds, s.last_visit.isoformat() if s.last_visit else "从未走访"]
             for index, s in enumerate(statuses, start=1))
    return table_workbook(title, ["序号", "网格", "单位", "类别", "地址", "本期走访次数", "走访方式", "最近走访日期"],
                          lines, (6, 24, 24, 14, 24, 12, 12, 14), heading=heading, freeze_header=True)
