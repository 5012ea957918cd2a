"""The registers the evaluation reads: publicity and training (宣传培训“五进”) and fire incidents (火灾事故)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Select, literal, select
from sqlalchemy.orm import Session

from webapp.cases.registry import BinderPart, Measure, Tally, UnitEvent
from webapp.clock import TZ
from webapp.documents.register_list import Column, register_docx
from webapp.documents.templates_forms import chars_mm, mm_left
from webapp.models import CommitteeMember, GridNode, Unit, User
from webapp.procedures.evaluation.models import FIVE_INTO, PUBLICITY_KINDS, FireIncident, PublicityEvent
from webapp.services.errors import InvalidInput, NotFound
from webapp.services.grid import ensure_in_scope, get_node, in_subtree
from webapp.services.spreadsheets import table_workbook

PUBLICITY_HEADERS = ("序号", "日期", "类型", "“五进”", "主题", "对象", "参加人数", "网格", "组织部门", "照片数",
                     "登记人")
FIRE_HEADERS = ("序号", "日期", "地点（单位）", "网格", "原因", "死亡", "受伤", "直接损失（万元）", "登记人")


def _year_range(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def add_publicity(session: Session, *, user: User, grid_id: int, held_on: date, kind: str, five_into: str,
                  title: str, audience: str = "", attendance: int = 0, photos: list | None = None,
                  member_id: int | None = None, now: datetime) -> PublicityEvent:
    grid = get_node(session, grid_id)
    ensure_in_scope(user, grid)
    if kind not in PUBLICITY_KINDS or five_into not in FIVE_INTO:
        raise InvalidInput("请选择活动类型和“五进”类别。")
    if not title.strip():
        raise InvalidInput("请填写活动主题。")
    if attendance < 0:
        raise InvalidInput("参加人数不能为负数。")
    member = session.get(CommitteeMember, member_id) if member_id else None
    if member_id and member is None:
        raise NotFound("组织部门不存在。")
    event = PublicityEvent(grid=grid, member=member, held_on=held_on, kind=kind, five_into=five_into,
                           title=title.strip(), audience=audience.strip(), attendance=attendance,
                           photos=list(photos or []), recorded_by=user, recorded_at=now)
    session.add(event)
    session.flush()
    return event


def _in_scope(session: Session, user: User, model: type, day_column: Any, year: int) -> list:
    """A register's entries of one year inside the user's scope, oldest first."""
    first, last = _year_range(year)
    stmt = (select(model).join(GridNode, model.grid_id == GridNode.id)
            .where(GridNode.path.startswith(user.scope.path), day_column >= first, day_column <= last)
            .order_by(day_column, model.id))
    return list(session.scalars(stmt))


def publicity_in_scope(session: Session, user: User, year: int) -> list[PublicityEvent]:
    return _in_scope(session, user, PublicityEvent, PublicityEvent.held_on, year)


def add_fire(session: Session, *, user: User, grid_id: int, occurred_on: date, place: str, cause: str = "",
             deaths: int = 0, injuries: int = 0, loss: float = 0.0, unit_id: int | None = None,
             now: datetime) -> FireIncident:
    grid = get_node(session, grid_id)
    ensure_in_scope(user, grid)
    if not place.strip():
        raise InvalidInput("请填写起火地点或单位。")
    if deaths < 0 or injuries < 0 or loss < 0:
        raise InvalidInput("伤亡人数和损失不能为负数。")
    fire = FireIncident(grid=grid, unit_id=unit_id, occurred_on=occurred_on, place=place.strip(), cause=cause.strip(),
                        deaths=deaths, injuries=injuries, loss=loss, recorded_by=user, recorded_at=now)
    session.add(fire)
    session.flush()
    return fire


def unit_events(session: Session, unit: Unit) -> list[UnitEvent]:
    """The unit's fires (火灾) for its file (一户一档): the incidents registered against the unit itself
    (publicity and training name no unit, so they stay out)."""
    fires = session.scalars(select(FireIncident).where(FireIncident.unit_id == unit.id).order_by(FireIncident.id))
    return [UnitEvent(
        when=fire.recorded_at if fire.recorded_at.date() == fire.occurred_on
        else datetime.combine(fire.occurred_on, time(12), tzinfo=TZ),
        kind="火灾", summary=_fire_summary(fire), endpoint="evaluation.fires",
        args=(("year", fire.occurred_on.year),)) for fire in fires]


def _fire_summary(fire: FireIncident) -> str:
    losses = f"死亡{fire.deaths}人，受伤{fire.injuries}人，直接损失{fire.loss:g}万元"
    return f"{fire.place}；原因：{fire.cause or '不详'}；{losses}"


def fires_in_scope(session: Session, user: User, year: int) -> list[FireIncident]:
    return _in_scope(session, user, FireIncident, FireIncident.occurred_on, year)


def publicity_xlsx(year: int, events: list[PublicityEvent]) -> bytes:
    rows = [[n, e.held_on, e.kind_label, e.five_into, e.title, e.audience, e.attendance, e.grid.display_path(),
             e.member.organ if e.member else "", len(e.photos or []),
             e.recorded_by.display_name if e.recorded_by else ""] for n, e in enumerate(events, start=1)]
    return table_workbook(f"{year}年宣传培训台账", PUBLICITY_HEADERS, rows, (6, 12, 10, 10, 36, 20, 10, 20, 24, 8, 10))


def fires_xlsx(year: int, fires: list[FireIncident]) -> bytes:
    rows = [[n, f.occurred_on, f.place, f.grid.display_path(), f.cause, f.deaths, f.injuries, f.loss,
             f.recorded_by.display_name if f.recorded_by else ""] for n, f in enumerate(fires, start=1)]
    return table_workbook(f"{year}年火灾事故登记", FIRE_HEADERS, rows, (6, 12, 30, 20, 36, 8, 8, 16, 10))


PUBLICITY_WIDTHS = (chars_mm(2), 30.0, chars_mm(4), chars_mm(3), chars_mm(2))
PUBLICITY_COLUMNS = [
    Column("序号", PUBLICITY_WIDTHS[0], centred=True), Column("日期", PUBLICITY_WIDTHS[1], centred=True),
    Column("类型", PUBLICITY_WIDTHS[2]), Column("“五进”", PUBLICITY_WIDTHS[3]),
    Column("主题|（对象）", mm_left(*PUBLICITY_WIDTHS)), Column("人数", PUBLICITY_WIDTHS[4], centred=True)]


def binder_parts(session: Session, town: GridNode, year: int, today: date) -> list[BinderPart]:
    """The town's 宣传培训 register of the year as a list for the 台账汇编 (宣传培训 has no issued documents)."""
    first, last = _year_range(year)
    stmt = (select(PublicityEvent).join(GridNode, PublicityEvent.grid_id == GridNode.id)
            .where(GridNode.path.startswith(town.path), PublicityEvent.held_on >= first, PublicityEvent.held_on <= last)
            .order_by(PublicityEvent.held_on, PublicityEvent.id))
    events = list(session.scalars(stmt))
    if not events:
        return []
    rows = [[str(n), e.held_on.isoformat(), e.kind_label, e.five_into, [e.title, e.audience], str(e.attendance)]
            for n, e in enumerate(events, start=1)]
    title = f"{town.name}{year}年度消防宣传培训登记表"
    return [BinderPart("宣传培训", title, register_docx(title, PUBLICITY_COLUMNS, rows, subtitle=f"共{len(events)}次",
                                                    dated=today, empty="本年度无宣传培训登记"))]


def _of_period(stmt: Select, model: type, day_column: Any, grid: GridNode, start: date, end: date) -> Select:
    return (stmt.join(GridNode, model.grid_id == GridNode.id)
            .where(in_subtree(model.grid_id, grid), day_column >= start, day_column <= end))


def _registered(session: Session, model: type, day_column: Any, grid: GridNode, start: date, end: date) -> list:
    stmt = _of_period(select(model, GridNode.path), model, day_column, grid, start, end).order_by(day_column)
    return list(session.execute(stmt))


def _per_path(model: type, day_column: Any) -> Callable[[GridNode, date, date], Select]:
    """(grid path, 1) per registered record in the period: what the dashboards sum in one query."""
    rows = select(GridNode.path.label("path"), literal(1).label("weight")).select_from(model)
    return lambda grid, start, end: _of_period(rows, model, day_column, grid, start, end)


def publicity_tallies(session: Session, grid: GridNode, start: date, end: date) -> list[Tally]:
    """宣传培训（次） of the reports upward: the events held under `grid` in the period."""
    return [Tally(path, event.held_on, event.title, f"{event.kind_label} · {event.five_into} · {event.attendance}人")
            for event, path in _registered(session, PublicityEvent, PublicityEvent.held_on, grid, start, end)]


def fire_tallies(session: Session, grid: GridNode, start: date, end: date) -> list[Tally]:
    """火灾（起）: the fires registered under `grid` in the period."""
    return [Tally(path, fire.occurred_on, fire.place, _fire_summary(fire))
            for fire, path in _registered(session, FireIncident, FireIncident.occurred_on, grid, start, end)]


MEASURES = (Measure("publicity", "宣传培训（次）", publicity_tallies, order=50,
                    counted=_per_path(PublicityEvent, PublicityEvent.held_on)),
            Measure("fires", "火灾（起）", fire_tallies, order=60,
                    counted=_per_path(FireIncident, FireIncident.occurred_on)))

