"""Admin-configured Excel layouts (统计表样式): the columns of a county's own 统计表, each mapped to a measure, and
the workbook they give for a grid node and a period (one row per child grid, then 合计)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import GridNode, User
from webapp.reports import figures
from webapp.reports.models import ReportLayout
from webapp.services.errors import InvalidInput, NotFound, OutOfScope
from webapp.services.grid import ensure_in_scope
from webapp.services.spreadsheets import table_workbook

MAX_COLUMNS = 40
MAX_HEADING = 50


@dataclass(frozen=True)
class LayoutInput:
    name: str
    first_heading: str
    mapping: str  # one column a line: 表头=指标 (the measure's label or key)


def parse_mapping(text: str) -> list[list[str]]:
    """[[heading, measure key], …] from the lines of the form; every problem named with its line, at once."""
    known = {c.label: c.key for c in figures.columns()} | {c.key: c.key for c in figures.columns()}
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    columns, problems = [], []
    for number, line in enumerate(lines, start=1):
        heading, _, measure = (part.strip() for part in line.partition("="))
        if not heading or not measure:
            problems.append(f"第{number}行应写成“表头=指标”")
        elif len(heading) > MAX_HEADING:
            problems.append(f"第{number}行的表头超过{MAX_HEADING}个字")
        elif measure not in known:
            problems.append(f"第{number}行的指标“{measure}”不存在")
        else:
            columns.append([heading, known[measure]])
    if not lines:
        problems.append("至少要有一列")
    if len(lines) > MAX_COLUMNS:
        problems.append(f"最多{MAX_COLUMNS}列")
    if problems:
        raise InvalidInput("；".join(problems) + "。", field="mapping")
    return columns


def mapping_text(layout: ReportLayout) -> str:
    labels = {c.key: c.label for c in figures.columns()}
    return "\n".join(f"{heading}={labels.get(key, key)}" for heading, key in layout.columns)


def layouts_of(session: Session, user: User) -> list[ReportLayout]:
    """The layouts made at the user's node or above it (a county's layout serves its towns)."""
    stmt = select(ReportLayout).join(GridNode, ReportLayout.grid_id == GridNode.id).order_by(ReportLayout.id)
    return [layout for layout in session.scalars(stmt) if layout.grid.contains(user.scope)
            or user.scope.contains(layout.grid)]


def get_layout(session: Session, user: User, layout_id: int) -> ReportLayout:
    layout = session.get(ReportLayout, layout_id)
    if layout is None:
        raise NotFound("没有这张统计表样式。")
    if not (layout.grid.contains(user.scope) or user.scope.contains(layout.grid)):
        raise OutOfScope("这张统计表样式不在您的管辖范围内。")
    return layout


def add_layout(session: Session, user: User, given: LayoutInput, now: datetime) -> ReportLayout:
    """A new layout at the admin's node; every problem beside its field at once."""
    problems = {}
    name = given.name.strip()
    try:
        columns = parse_mapping(given.mapping)
    except InvalidInput as error:
        problems.update(error.fields)
    if not name:
        problems["name"] = "请填写统计表名称。"
    elif session.scalar(select(ReportLayout.id).where(ReportLayout.grid_id == user.scope.id,
                                                       ReportLayout.name == name)):
        problems["name"] = "已有同名的统计表样式。"
    if problems:
        raise InvalidInput("；".join(problems.values()), fields=problems)
    layout = ReportLayout(grid=user.scope, name=name, first_heading=given.first_heading.strip() or "单位",
                          columns=columns, created_at=now)
    session.add(layout)
    session.flush()
    return layout


def delete_layout(session: Session, user: User, layout: ReportLayout) -> None:
    ensure_in_scope(user, layout.grid)
    session.delete(layout)
    session.flush()


def layout_xlsx(layout: ReportLayout, table: figures.Table) -> bytes:
    """The layout filled for the table's node and period: a row per child grid, then 合计."""
    by_key = {c.key: c for c in table.columns}
    chosen = [(heading, by_key.get(key)) for heading, key in layout.columns]
    rows = ([row.label, *(_value(row, column) for _, column in chosen)] for row in [*table.rows, table.total])
    lines = list(rows)
    lines[-1][0] = "合计"
    heading = f"{layout.name}（{table.node.name}，{table.period.label}）"
    return table_workbook(layout.name[:31], [layout.first_heading, *(h for h, _ in chosen)], lines, (16,),
                          heading=heading)


def _value(row: figures.Row, column: figures.Measure | figures.Ratio | None) -> int | str:
    if column is None:  # a procedure that declared it is no longer installed
        return "—"
    return int(row.value(column)) if isinstance(column, figures.Measure) else row.text(column)
