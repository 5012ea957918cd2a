"""Leader dashboard per grid, a unit's history (一户一档), and the hazard ledger (台账) as Excel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select, union_all
from sqlalchemy.orm import Session, selectinload

from webapp.cases import leads
from webapp.cases.page_reads import shared_read
from webapp.cases.registry import Figure, ItemCount, TownTally
from webapp.models import Document, GridNode, HazardLead, ProcessInstance, SpecialCampaign, Unit, User, WorkTask
from webapp.procedures.inspection.models import CampaignCheck, Hazard, Inspection, InspectionPlan, MonthTotal
from webapp.services.spreadsheets import table_workbook

# Hazards not yet corrected: open, waiting for a 约谈 or for their referral letter, or referred (0045totals keeps
# their count per grid and month under the same definition).
UNCORRECTED = ("open", "interview", "escalated", "referred")

METRICS = {
    "inspected": "本月已检查", "open": "有未办结隐患", "overdue_rectification": "整改逾期未复查",
    "overdue_reinspection": "复查逾期", "awaiting_feedback": "移交待反馈", "feedback_overdue": "反馈逾期",
}


@dataclass
class GridRow:
    grid: GridNode
    planned: int = 0
    cases: dict[str, list[CaseFacts]] = field(default_factory=dict)

    def count(self, metric: str) -> int:
        return len(self.cases.get(metric, []))


def inspections_under(session: Session, grid: GridNode) -> list[Inspection]:
    return [inspection for inspection, _ in _inspections_with_paths(session, grid)]


def _inspections_with_paths(session: Session, grid: GridNode) -> list[tuple[Inspection, str]]:
    """Newest first, each with its grid's path (which row of the dashboard it counts in)."""
    stmt = (select(Inspection, GridNode.path).join(GridNode, Inspection.grid_id == GridNode.id)
            .where(GridNode.path.startswith(grid.path)).order_by(Inspection.inspected_at.desc())
            .options(selectinload(Inspection.hazards), selectinload(Inspection.instance)))
    return [(inspection, path) for inspection, path in session.execute(stmt)]


def _open_tasks(session: Session, step_key: str) -> dict[int, WorkTask]:
    return {t.instance_id: t for t in session.scalars(select(WorkTask).where(WorkTask.step_key == step_key))}


@dataclass(frozen=True, slots=True)
class HazardFacts:
    status: str
    due_on: date | None


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the metrics test of one inspection, read as plain columns: the dashboard tests every case of the
    user's scope (a county's hundreds) on each view, and loading each as an ORM object with its hazards and
    process instance was most of the page's time (~30 of 35 ms on the demo history)."""

    inspection_id: int
    instance_id: int
    path: str  # its grid's: which row of the dashboard it counts in
    inspected_at: datetime
    deadline: date | None
    case_status: str
    hazards: tuple[HazardFacts, ...]


def case_facts(session: Session, grid: GridNode) -> list[CaseFacts]:
    """Every inspection under `grid`, newest first (as `inspections_under`), in two statements."""
    under = GridNode.path.startswith(grid.path)
    hazards: dict[int, list[HazardFacts]] = {}
    for inspection_id, status, due_on in session.execute(
            select(Hazard.inspection_id, Hazard.status, Hazard.due_on)
            .join(Inspection, Hazard.inspection_id == Inspection.id).join(GridNode, Inspection.grid_id == GridNode.id)
            .where(under).order_by(Hazard.inspection_id, Hazard.position)):
        hazards.setdefault(inspection_id, []).append(HazardFacts(status, due_on))
    rows = session.execute(
        select(Inspection.id, Inspection.instance_id, GridNode.path, Inspection.inspected_at, Inspection.deadline,
               ProcessInstance.status)
        .join(GridNode, Inspection.grid_id == GridNode.id)
        .join(ProcessInstance, Inspection.instance_id == ProcessInstance.id)
        .where(under).order_by(Inspection.inspected_at.desc(), Inspection.id.desc()))
    return [CaseFacts(*row, hazards=tuple(hazards.get(row[0], ()))) for row in rows]


def metric_tests(session: Session, now: datetime) -> dict[str, Callable[[CaseFacts], bool]]:
    """Each metric as a test of one case, so a count is always the length of its case list."""
    month, today = now.strftime("%Y-%m"), now.date()
    reinspect, feedback = _open_tasks(session, "reinspect"), _open_tasks(session, "record_feedback")

    def overdue(tasks: dict[int, WorkTask]) -> Callable[[CaseFacts], bool]:
        return lambda i: i.instance_id in tasks and tasks[i.instance_id].is_overdue(now)

    return {
        "inspected": lambda i: i.inspected_at.strftime("%Y-%m") == month,
        "open": lambda i: any(h.status in UNCORRECTED for h in i.hazards),
        # a hazard past the date it is due now (its own deadline, or a later one after 延期 or 约谈)
        "overdue_rectification": lambda i: i.case_status == "running" and any(
            h.status == "open" and (h.due_on or i.deadline or today) < today for h in i.hazards),
        "overdue_reinspection": overdue(reinspect),
        "awaiting_feedback": lambda i: i.instance_id in feedback,
        "feedback_overdue": overdue(feedback),
    }


def dashboard(session: Session, user: User, now: datetime) -> list[GridRow]:
    """One row per grid directly below the user's scope (or the scope itself when it has none); the cases and
    plans of the whole scope are read once and shared out by grid path (not once per row)."""
    grids = list(user.scope.children) or [user.scope]
    tests = metric_tests(session, now)
    cases = case_facts(session, user.scope)
    planned = _planned_unit_paths(session, user.scope, now.strftime("%Y-%m"))
    rows = []
    for grid in grids:
        row = GridRow(grid, planned=sum(1 for path in planned if path.startswith(grid.path)))
        under = [case for case in cases if case.path.startswith(grid.path)]
        row.cases = {metric: [i for i in under if test(i)] for metric, test in tests.items()}
        rows.append(row)
    return rows


def _planned_unit_paths(session: Session, grid: GridNode, month: str) -> list[str]:
    """The grid path of each unit under `grid` assigned in any plan of the month (a plan above or below the
    grid), once per unit."""
    units = {unit_id: path for unit_id, path in session.execute(
        select(Unit.id, GridNode.path).join(GridNode, Unit.grid_id == GridNode.id)
        .where(GridNode.path.startswith(grid.path)))}
    plans = session.scalars(select(InspectionPlan).where(InspectionPlan.month == month)
                            .options(selectinload(InspectionPlan.assignments)))
    assigned = {a.unit_id for p in plans for a in p.assignments}
    return [path for unit_id, path in units.items() if unit_id in assigned]


def drill_down(session: Session, grid: GridNode, metric: str, now: datetime) -> list[Inspection]:
    """The inspections the dashboard counts in `metric` for `grid`, newest first, as ORM objects for the list."""
    test = metric_tests(session, now)[metric]
    ids = [case.inspection_id for case in case_facts(session, grid) if test(case)]
    found = {i.id: i for i in session.scalars(
        select(Inspection).where(Inspection.id.in_(ids))
        .options(selectinload(Inspection.hazards), selectinload(Inspection.instance)))}
    return [found[i] for i in ids]


def town_figures(session: Session, towns: list[GridNode], now: datetime) -> dict[int, list[Figure]]:
    """For the county overview: hazards not yet corrected (整改中 or 已移交), and this month's inspections; each
    one query grouped by grid for all the towns (`TownTally.by_path`), both from the totals the database keeps
    (`MonthTotal`: the uncorrected from the few keys that have any, where counting read every such hazard)."""
    tally = TownTally(towns)
    open_hazards = tally.sum(session.execute(tally.by_path(
        select(MonthTotal.grid_id, func.sum(MonthTotal.hazards_open))
        .where(MonthTotal.hazards_open > 0).group_by(MonthTotal.grid_id))))
    inspected = tally.sum(session.execute(tally.by_path(_inspected_this_month(now))))
    return {town.id: [
        Figure("未整改隐患", str(open_hazards[town.id]), order=10, endpoint="inspection.cases",
               args=(("grid_id", town.id), ("metric", "open"))),
        Figure("本月检查", str(inspected[town.id]), order=40, endpoint="inspection.cases",
               args=(("grid_id", town.id), ("metric", "inspected"))),
    ] for town in towns}


def _inspected_this_month(now: datetime) -> Select:
    """(grid id, inspections from the month's first day up to `now`): the month's kept total (`MonthTotal`) less
    those dated later this month (an inspection entered ahead of its day; usually none, read from the
    inspected_at index), where counting the month read every inspection of the county's month."""
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=32)).replace(day=1)
    kept = select(MonthTotal.grid_id, MonthTotal.inspections.label("n")).where(MonthTotal.month == f"{start:%Y-%m}")
    later = (select(Inspection.grid_id, (-func.count()).label("n"))
             .where(Inspection.inspected_at > now, Inspection.inspected_at < following).group_by(Inspection.grid_id))
    both = union_all(kept, later).subquery()
    return select(both.c.grid_id, func.sum(both.c.n)).group_by(both.c.grid_id)


def unit_inspections(session: Session, unit: Unit) -> list[Inspection]:
    """Oldest first, with hazards and cases; read once for the unit page's inspection section and timeline."""
    return shared_read(session, ("unit_inspections", unit.id), lambda: list(session.scalars(
        select(Inspection).where(Inspection.unit_id == unit.id)
        .options(selectinload(Inspection.hazards), selectinload(Inspection.instance))
        .order_by(Inspection.inspected_at, Inspection.id))))


def unit_history(session: Session, unit: Unit) -> tuple[list[Inspection], list[Document]]:
    inspections = unit_inspections(session, unit)[::-1]
    ids = [i.instance_id for i in inspections]
    docs = list(session.scalars(select(Document).where(Document.instance_id.in_(ids)).order_by(Document.id.desc())))
    return inspections, docs


LEDGER_COLUMNS = ["序号", "网格", "单位", "类别", "检查日期", "检查人员", "检查项目", "隐患描述", "位置", "法律依据",
                  "重大隐患", "整改通知书文号", "整改期限", "送达日期", "复查日期", "隐患状态", "移交单位", "移交日期",
                  "反馈日期"]


def _ledger_row(index: int, inspection: Inspection, hazard) -> list:
    return [
        index, inspection.grid.display_path(), inspection.unit.name, inspection.unit.category_label,
        inspection.inspected_at.strftime("%Y-%m-%d %H:%M"), "、".join(inspection.inspectors), hazard.item_name,
        hazard.description, hazard.location, hazard.legal_basis, "是" if inspection.major_hazard else "否",
        inspection.notice_number, hazard.deadline or inspection.deadline, inspection.served_on,
        inspection.reinspected_on, hazard.status_label, inspection.referral_receiver, inspection.referred_on,
        inspection.feedback_on,
    ]


def _lead_row(index: int, lead: HazardLead) -> list:
    """A lead (e.g. from a patrol) no inspection has confirmed: a row whose state says it awaits one."""
    return [index, lead.grid.display_path(), lead.unit.name, lead.unit.category_label,
            lead.reported_at.strftime("%Y-%m-%d %H:%M"), lead.reporter_name, f"{lead.source}线索：{lead.category}",
            lead.description, "", "", "否", "", None, None, None, lead.status_label, "", None, None]


def ledger_xlsx(session: Session, user: User, year: int) -> bytes:
    """隐患台账: one row per hazard found in the year within the user's scope, and one per lead (巡查 …) not
    confirmed by an inspection (待检查核实, or 检查未发现), in time order."""
    found = [(inspection.inspected_at, inspection, hazard) for inspection in inspections_under(session, user.scope)
             if inspection.inspected_at.year == year for hazard in inspection.hazards]
    found += [(lead.reported_at, lead, None) for lead in leads.unconfirmed_leads(session, user.scope, year)]
    found.sort(key=lambda row: row[0])
    rows = (_ledger_row(index, record, hazard) if hazard is not None else _lead_row(index, record)
            for index, (_when, record, hazard) in enumerate(found, start=1))
    return table_workbook(f"{year}年火灾隐患台账", LEDGER_COLUMNS, rows, (6, 18, 22, 14, 17, 16, 16, 30, 16, 28),
                          freeze_header=True)


RECTIFIED = ("corrected_on_spot", "rectified", "closed")


def campaign_figures(session: Session, campaign: SpecialCampaign) -> list[Figure]:
    """检查次数, 检查单位, 发现隐患 and 已整改 of the inspections tagged to a 专项行动."""
    tagged = Inspection.special_campaign_id == campaign.id
    count, units = session.execute(select(func.count(Inspection.id), func.count(func.distinct(Inspection.unit_id)))
                                   .where(tagged)).one()
    found, fixed = session.execute(
        select(func.count(Hazard.id), func.count(Hazard.id).filter(Hazard.status.in_(RECTIFIED)))
        .join(Inspection, Hazard.inspection_id == Inspection.id).where(tagged)).one()
    return [Figure("检查次数", str(count), 10), Figure("检查单位", str(units), 11),
            Figure("检查发现隐患", str(found), 12), Figure("检查隐患已整改", str(fixed), 13)]


def campaign_item_counts(session: Session, campaign: SpecialCampaign) -> dict[str, ItemCount]:
    """Per item of the campaign's own checklist: the tagged inspections that checked it (合格 or 存在隐患, not
    不适用), found it failed, and whose hazard from it is rectified (当场改正 included)."""
    checked = CampaignCheck.result.in_(("passed", "hazard"))
    rows = session.execute(
        select(CampaignCheck.item_name, func.count(CampaignCheck.id).filter(checked),
               func.count(CampaignCheck.id).filter(CampaignCheck.result == "hazard"),
               func.count(Hazard.id).filter(Hazard.status.in_(RECTIFIED)))
        .join(Inspection, CampaignCheck.inspection_id == Inspection.id)
        .outerjoin(Hazard, CampaignCheck.hazard_id == Hazard.id)
        .where(Inspection.special_campaign_id == campaign.id).group_by(CampaignCheck.item_name))
    return {name: ItemCount(checked, failed, fixed) for name, checked, failed, fixed in rows}
