"""The inspection procedure's figures of the reports upward (统计报表): inspections, inspectors, hazards found
and rectified, 整改率, hazards overdue, referrals — each as the records it counts, so every number drills down."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, CompoundSelect, Select, func, literal, select, union_all
from sqlalchemy.orm import Session, selectinload

from webapp.cases.registry import Measure, Ratio, SharedCount, Tally
from webapp.clock import TZ
from webapp.models import GridNode
from webapp.procedures.inspection.models import Hazard, Inspection, MonthTotal
from webapp.services.grid import in_subtree

# A hazard counts as rectified when fixed on the spot or found rectified at the re-inspection.
RECTIFIED = ("corrected_on_spot", "rectified")
# Not yet rectified: open, waiting for a 约谈, or referred.
UNRECTIFIED = ("open", "interview", "escalated")


def _inspected(grid: GridNode, start: date, end: date) -> tuple[ColumnElement[bool], ...]:
    return (in_subtree(Inspection.grid_id, grid), Inspection.inspected_at >= datetime.combine(start, time.min, TZ),
            Inspection.inspected_at < datetime.combine(end + timedelta(days=1), time.min, TZ))


def _inspected_between(session: Session, grid: GridNode, start: date, end: date) -> list[tuple[Inspection, str]]:
    stmt = (select(Inspection, GridNode.path).join(GridNode, Inspection.grid_id == GridNode.id)
            .where(*_inspected(grid, start, end)).order_by(Inspection.inspected_at, Inspection.id)
            .options(selectinload(Inspection.unit), selectinload(Inspection.hazards)))
    return [(inspection, path) for inspection, path in session.execute(stmt)]


def _joined(stmt: Select, hazards: bool) -> Select:
    """`stmt` over the inspections (or their hazards), each joined to its grid."""
    if hazards:
        stmt = stmt.select_from(Hazard).join(Inspection, Hazard.inspection_id == Inspection.id)
    else:
        stmt = stmt.select_from(Inspection)
    return stmt.join(GridNode, Inspection.grid_id == GridNode.id)


def _per_path(weight: ColumnElement, *where: ColumnElement[bool], hazards: bool = False) -> Select:
    """(grid path, weight) rows of the inspections (or their hazards) meeting `where`: what the dashboards sum."""
    return _joined(select(GridNode.path.label("path"), weight.label("weight")), hazards).where(*where)


def _tally(inspection: Inspection, path: str, detail: str, subject: str = "") -> Tally:
    return Tally(path, inspection.inspected_at.astimezone(TZ).date(), subject or inspection.unit.name, detail,
                 "cases.detail", (("instance_id", inspection.instance_id),))


def inspections(session: Session, grid: GridNode, start: date, end: date) -> list[Tally]:
    return [_tally(i, path, "、".join(i.inspectors)) for i, path in _inspected_between(session, grid, start, end)]


def inspectors(session: Session, grid: GridNode, start: date, end: date) -> list[Tally]:
    """出动检查人员（人次）: one record per inspector per inspection."""
    return [_tally(i, path, i.unit.name, name) for i, path in _inspected_between(session, grid, start, end)
            for name in i.inspectors]


def _hazard_tally(inspection: Inspection, path: str, hazard: Hazard) -> Tally:
    return _tally(inspection, path, f"{hazard.description}（{hazard.status_label}）")


def hazards_found(session: Session, grid: GridNode, start: date, end: date) -> list[Tally]:
    return [_hazard_tally(i, path, h) for i, path in _inspected_between(session, grid, start, end) for h in i.hazards]


def hazards_rectified(session: Session, grid: GridNode, start: date, end: date) -> list[Tally]:
    """Of the hazards found in the period, those rectified (as the records stand now)."""
    return [_hazard_tally(i, path, h) for i, path in _inspected_between(session, grid, start, end)
            for h in i.hazards if h.status in RECTIFIED]


def _overdue(grid: GridNode, end: date) -> tuple[ColumnElement[bool], ...]:
    """Hazards not yet rectified whose own due date (after an approved 延期 or a 约谈, the new one) fell before
    the period's end (found at any time): still open, waiting for a 约谈 or for their referral letter."""
    due = func.coalesce(Hazard.due_on, Hazard.deadline, Inspection.deadline)
    return in_subtree(Inspection.grid_id, grid), Hazard.status.in_(UNRECTIFIED), due < end


def _overdue_per_path(grid: GridNode, end: date) -> CompoundSelect:
    """`_overdue` as (grid path, 1) rows, the due date's three sources taken one by one (the hazard's due_on;
    else its deadline; else the notice's), so that each part reaches through an index only the hazards whose
    date has passed, where the COALESCE had the database read every open hazard of the county."""
    status = Hazard.status.in_(UNRECTIFIED)
    parts = ((Hazard.due_on < end,),
             (Hazard.due_on.is_(None), Hazard.deadline < end),
             (Hazard.due_on.is_(None), Hazard.deadline.is_(None), Inspection.deadline < end))
    return union_all(*(_per_path(ONE, in_subtree(Inspection.grid_id, grid), status, *due, hazards=True)
                       for due in parts))


def hazards_overdue(session: Session, grid: GridNode, start: date, end: date) -> list[Tally]:
    stmt = (select(Hazard, Inspection, GridNode.path).join(Inspection, Hazard.inspection_id == Inspection.id)
            .join(GridNode, Inspection.grid_id == GridNode.id).where(*_overdue(grid, end))
            .order_by(Inspection.deadline, Hazard.id).options(selectinload(Inspection.unit)))
    return [Tally(path, _due(hazard, inspection), inspection.unit.name,
                  f"{hazard.description}（期限{_due(hazard, inspection)}）", "cases.detail",
                  (("instance_id", inspection.instance_id),))
            for hazard, inspection, path in session.execute(stmt)]


def _due(hazard: Hazard, inspection: Inspection) -> date | None:
    return hazard.due_on or hazard.deadline or inspection.deadline


def _referred(grid: GridNode, start: date, end: date) -> tuple[ColumnElement[bool], ...]:
    return in_subtree(Inspection.grid_id, grid), Inspection.referred_on >= start, Inspection.referred_on <= end


def referrals(session: Session, grid: GridNode, start: date, end: date) -> list[Tally]:
    stmt = (select(Inspection, GridNode.path).join(GridNode, Inspection.grid_id == GridNode.id)
            .where(*_referred(grid, start, end))
            .order_by(Inspection.referred_on, Inspection.id).options(selectinload(Inspection.unit)))
    return [Tally(path, i.referred_on, i.unit.name, f"移交{i.referral_receiver}"
                  + ("，已反馈" if i.feedback_on else "，尚未反馈"), "cases.detail", (("instance_id", i.instance_id),))
            for i, path in session.execute(stmt)]


ONE = literal(1)


def _month_totals(grid: GridNode, start: date, end: date) -> Select:
    """检查单位, 出动检查人员, 发现隐患 and 已整改隐患 per grid path from the totals the database keeps per grid and
    month (`MonthTotal`): a county's month is ~500 rows where counting read its 40,000 inspections and their hazards.
    Reports count whole months (a month, a quarter, a year), which is what the totals hold."""
    if start.day != 1 or (end + timedelta(days=1)).day != 1:
        raise ValueError(f"monthly totals count whole months, not {start}–{end}")
    return (select(GridNode.path.label("path"), *(func.sum(getattr(MonthTotal, key)).label(key) for key in MONTHLY))
            .join(GridNode, MonthTotal.grid_id == GridNode.id)
            .where(in_subtree(MonthTotal.grid_id, grid), MonthTotal.month.between(f"{start:%Y-%m}", f"{end:%Y-%m}"))
            .group_by(GridNode.id))


MONTHLY = ("inspections", "inspectors", "hazards_found", "hazards_rectified")
MONTH_TOTALS = SharedCount(_month_totals)

MEASURES = (
    Measure("inspections", "检查单位（家次）", inspections, order=10, charted=True, shared=MONTH_TOTALS),
    Measure("inspectors", "出动检查人员（人次）", inspectors, order=11, shared=MONTH_TOTALS),
    Measure("hazards_found", "发现隐患（处）", hazards_found, order=12, charted=True, shared=MONTH_TOTALS),
    Measure("hazards_rectified", "已整改隐患（处）", hazards_rectified, order=13, charted=True, shared=MONTH_TOTALS),
    Ratio("rectification_rate", "整改率", "hazards_rectified", "hazards_found", order=14),
    Measure("hazards_overdue", "逾期未整改（处）", hazards_overdue, order=15,
            counted=lambda grid, start, end: _overdue_per_path(grid, end)),
    Measure("referrals", "移交（件）", referrals, order=16,
            counted=lambda grid, start, end: _per_path(ONE, *_referred(grid, start, end))),
)
