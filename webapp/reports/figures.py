"""The figures of a grid node for a period: one row per child grid (a town's villages, a county's towns) and a
total, one column per measure of every procedure; the records behind each number; a ranking; Excel.

One call of each measure serves the whole table: every record carries its grid path and is counted into the
child whose subtree holds it, so a county of thirty towns costs the same number of queries as one town.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.cases import registry
from webapp.cases.registry import Measure, Ratio, SharedCount, Tally
from webapp.models import GridNode, User
from webapp.reports.periods import Period
from webapp.services.errors import NotFound
from webapp.services.grid import ensure_in_scope
from webapp.services.spreadsheets import table_workbook


@dataclass
class Row:
    label: str
    node: GridNode | None  # a child grid the reader can drill into; None for the total and 本级
    counts: dict[str, int] = field(default_factory=dict)
    rank: int | None = None

    def value(self, column: Measure | Ratio) -> float | None:
        """A count, or a rate 0–1 (None when its denominator is 0)."""
        if isinstance(column, Measure):
            return self.counts.get(column.key, 0)
        denominator = self.counts.get(column.denominator, 0)
        return self.counts.get(column.numerator, 0) / denominator if denominator else None

    def text(self, column: Measure | Ratio) -> str:
        value = self.value(column)
        if value is None:
            return "—"
        if isinstance(column, Ratio):
            percent = round(value * 100, 1)
            return f"{percent:g}%"
        return str(int(value))


@dataclass
class Table:
    node: GridNode
    period: Period
    columns: list[Measure | Ratio]
    rows: list[Row]  # one per child grid with something to count, then 本级 if it has any
    total: Row
    ranked_by: Measure | Ratio | None = None


def columns() -> list[Measure | Ratio]:
    return registry.measures()


def column(key: str) -> Measure | Ratio:
    found = next((c for c in columns() if c.key == key), None)
    if found is None:
        raise NotFound("没有这项统计指标。")
    return found


def _by_path(session: Session, measure: Measure, node: GridNode, period: Period) -> Counter[str]:
    """The measure's count per grid path under the node: summed by the database when the measure offers its
    query, else counted from its records."""
    if measure.counted is None:
        return Counter(t.grid_path for t in measure.tallies(session, node, period.start, period.end))
    rows = measure.counted(node, period.start, period.end).subquery()
    path, weight = rows.c
    found = session.execute(select(path, func.sum(weight)).group_by(path))
    return Counter({grid_path: int(total or 0) for grid_path, total in found})


def _shared(session: Session, shared: SharedCount, node: GridNode, period: Period) -> dict[str, Counter[str]]:
    """The totals of every measure a shared query counts, by measure key and grid path."""
    result = session.execute(shared.query(node, period.start, period.end))
    keys = list(result.keys())[1:]  # after the path
    found: dict[str, Counter[str]] = {key: Counter() for key in keys}
    for path, *totals in result:
        for key, total in zip(keys, totals, strict=True):
            found[key][path] += int(total or 0)
    return found


def per_path(session: Session, node: GridNode, period: Period) -> dict[str, Counter[str]]:
    """Each measure's count per grid path under the node; a query that counts several measures is read once."""
    measures = [c for c in columns() if isinstance(c, Measure)]
    shared: dict[SharedCount, dict[str, Counter[str]]] = {}
    for m in measures:
        if m.shared and m.shared not in shared:
            shared[m.shared] = _shared(session, m.shared, node, period)
    return {m.key: shared[m.shared][m.key] if m.shared else _by_path(session, m, node, period) for m in measures}


def _per_child(counts: Counter[str], node: GridNode) -> Counter[str]:
    """The counts per grid path under the node summed per child's path ("/1/4/12/7/" → "/1/4/12/" under
    "/1/4/"; the node's own path stays): one pass over the paths, where a prefix test of every path against
    every child grew with towns × villages on a county's table."""
    own = node.path  # read once: an ORM attribute per path and measure cost a county's table milliseconds
    summed: Counter[str] = Counter()
    for path, n in counts.items():
        end = path.find("/", len(own))  # the child's closing slash; none on the node's own path
        summed[path[:end + 1] if end >= 0 else own] += n
    return summed


def build(session: Session, user: User, node: GridNode, period: Period, rank: str = "") -> Table:
    """The node's table for the period, for a user whose scope holds the node (else OutOfScope: 403)."""
    ensure_in_scope(user, node)
    cols = columns()
    counts = {key: _per_child(found, node) for key, found in per_path(session, node, period).items()}
    total = Row(node.name, None, {key: sum(found.values()) for key, found in counts.items()})
    rows = [Row(child.name, child, {key: found[child.path] for key, found in counts.items()})
            for child in node.children]
    own = Row("本级", None, {key: found[node.path] for key, found in counts.items()})
    if any(own.counts.values()):
        rows.append(own)
    table = Table(node, period, cols, rows, total)
    if rank:
        _rank(table, column(rank))
    return table


def _rank(table: Table, by: Measure | Ratio) -> None:
    """Sort the child rows by one column, best first (the most of a count, the highest rate); equal values share
    a rank; rows without a value (no denominator) come last, unranked."""
    valued = sorted((r for r in table.rows if r.node and r.value(by) is not None), key=lambda r: -r.value(by))
    previous, place = None, 0
    for index, row in enumerate(valued, start=1):
        if row.value(by) != previous:
            place, previous = index, row.value(by)
        row.rank = place
    table.rows = valued + [r for r in table.rows if r not in valued]
    table.ranked_by = by


def trend(session: Session, user: User, node: GridNode, period: Period) -> list[Row]:
    """The node's totals in each month of a quarter, each quarter of a year (none for a month)."""
    ensure_in_scope(user, node)
    return [Row(part.label, None, {key: sum(found.values()) for key, found in per_path(session, node, part).items()})
            for part in period.parts()]


def records(session: Session, user: User, node: GridNode, period: Period, key: str) -> tuple[Measure, list[Tally]]:
    """The records one count is made of (a rate drills into its numerator)."""
    ensure_in_scope(user, node)
    chosen = column(key)
    measure = column(chosen.numerator) if isinstance(chosen, Ratio) else chosen
    return measure, measure.tallies(session, node, period.start, period.end)


def table_xlsx(table: Table) -> bytes:
    heading = f"{table.node.name}消防工作统计（{table.period.label}）"
    first = ["排名", "网格"] if table.ranked_by else ["网格"]
    lines = [[*([row.rank or "—"] if table.ranked_by else []), row.label, *(_cell(row, c) for c in table.columns)]
             for row in [*table.rows, table.total]]
    lines[-1][len(first) - 1] = f"合计（{table.node.name}）"
    return table_workbook("统计", [*first, *(c.label for c in table.columns)], lines, (16,), heading=heading)


def trend_xlsx(table: Table, rows: list[Row]) -> bytes:
    heading = f"{table.node.name}消防工作分期统计（{table.period.label}）"
    lines = [[row.label, *(_cell(row, c) for c in table.columns)] for row in [*rows, table.total]]
    lines[-1][0] = "合计"
    return table_workbook("分期", ["期间", *(c.label for c in table.columns)], lines, (16,), heading=heading)


def records_xlsx(node: GridNode, period: Period, measure: Measure, found: list[Tally]) -> bytes:
    heading = f"{node.name} {measure.label}（{period.label}）"
    lines = ([index, t.day.isoformat() if t.day else "", t.subject, t.detail] for index, t in enumerate(found, 1))
    return table_workbook("明细", ["序号", "日期", "对象", "情况"], lines, (6, 12, 30, 40), heading=heading)


def _cell(row: Row, column: Measure | Ratio) -> int | str:
    value = row.value(column)
    return int(value) if isinstance(column, Measure) else row.text(column)
