"""The procedures the app knows, and the cross-check of BPMN, forms, templates and roles."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from webapp.engine import KnownKeys, Problem, SpecRegistry
from webapp.models.grid import GridNode
from webapp.services import jobs

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, CompoundSelect, Select
    from sqlalchemy.orm import Session

    from webapp.cases.runtime import CaseRuntime
    from webapp.clock import Clock
    from webapp.models import ProcessInstance, SpecialCampaign, Unit, User
    from webapp.services.spreadsheets import SheetResult, SheetRow
    from webapp.workdays import WorkdayCalendar


@dataclass(frozen=True)
class NumberUse:
    """A document number prefix (发文字号) a procedure issues under: the admin sets its 发文机关 and
    机关代字 per town in 设置 → 发文字号; issuing stops with a message naming it until then."""

    key: str  # NumberPrefix.key
    description: str  # Chinese, shown on the settings page
    grammar: str  # the usual numbering grammar: wenhao | di | qi (services.numbering)
    # What a new town starts with (`firegrid setup`): the issuing organ (government | committee) and the
    # 机关代字, from the town's name ({town} 松林镇, {short} 松林); the admin can change both.
    organ: str = "government"
    suggested: str = ""


@dataclass(frozen=True)
class Figure:
    """One number of a town on the county overview (全县概览), and the page that lists what it counts."""

    label: str  # Chinese column heading, e.g. "未整改隐患"
    value: str  # as shown: "3", "80%（4/5）", "—"
    order: int = 50  # column position on the overview
    endpoint: str | None = None  # a page listing what is counted, for this town (url_for endpoint)
    args: tuple[tuple[str, Any], ...] = ()  # its URL arguments


class TownTally:
    """Counts per grid path summed into the towns they fall under: the county overview asks each figure once for
    every town (one grouped query), not once per town."""

    def __init__(self, towns: list[GridNode]) -> None:
        self.ids = {town.path: town.id for town in towns}
        # every town's path starts with it (the region's, or a town's own when there is one): a cheap first filter
        self.prefix = os.path.commonprefix(list(self.ids))

    def under(self, path: ColumnElement[str]) -> ColumnElement[bool]:
        return path.startswith(self.prefix)

    def by_path(self, grouped: Select) -> Select:
        """A query of (grid id, count, …) grouped by grid id → the same counts by grid path, for the grids under
        the towns: the database counts each row under its integer grid id (from an index, without a join) and
        joins the grid nodes to the few hundred groups afterwards, instead of looking up every counted row's
        grid node and grouping by its path."""
        counts = grouped.subquery()
        grid_id, *values = counts.c
        return (select(GridNode.path, *values).join_from(counts, GridNode, GridNode.id == grid_id)
                .where(self.under(GridNode.path)))

    def town_of(self, path: str) -> int | None:
        """The id of the town `path` lies under, if any of the towns."""
        end = path.find("/", 1)
        while end != -1:
            if (found := self.ids.get(path[:end + 1])) is not None:
                return found
            end = path.find("/", end + 1)
        return None

    def sum(self, rows: Iterable[tuple[str, int]]) -> dict[int, int]:
        """(grid path, count) rows → town id → total (0 for a town without any)."""
        totals = dict.fromkeys(self.ids.values(), 0)
        for path, count in rows:
            if (town_id := self.town_of(path)) is not None:
                totals[town_id] += count
        return totals


@dataclass(frozen=True)
class ItemCount:
    """How a 专项行动's own checklist item fared in a procedure's records tagged to the campaign: how often it
    was checked (合格 or 存在隐患), failed, and how many of those hazards are rectified."""

    checked: int = 0
    failed: int = 0
    rectified: int = 0

    def __add__(self, other: ItemCount) -> ItemCount:
        return ItemCount(self.checked + other.checked, self.failed + other.failed, self.rectified + other.rectified)


@dataclass(frozen=True)
class UnitEvent:
    """One entry of a unit's file (一户一档): something that happened to or for the unit, shown in time
    order on the unit file and in its PDF."""

    when: datetime
    kind: str  # Chinese label of what happened: "巡查", "检查", "消防安全责任书", "火灾" …
    summary: str  # one line as a reader of the file wants it
    state: str = ""  # where it stands, e.g. "整改中", "已签订"; empty when nothing is pending
    endpoint: str | None = None  # the page with the details (url_for endpoint), if the reader may open it
    args: tuple[tuple[str, Any], ...] = ()  # its URL arguments
    document_ids: tuple[int, ...] = ()  # issued documents that belong to the entry
    photo_keys: tuple[str, ...] = ()  # stored photos (file-store keys) that belong to the entry


@dataclass(frozen=True)
class Visit:
    """A unit visited on a day (a patrol, an inspection …): what coverage (覆盖率, 漏查) counts."""

    unit_id: int
    day: date
    kind: str  # Chinese label, e.g. "巡查", "检查"


@dataclass(frozen=True)
class VisitPlan:
    """A month's plan of visits on a grid node (检查日计划): which group visits which units. Coverage splits
    its rate by group, and the 上旬 reminder looks for grid nodes without one."""

    grid_id: int
    day: date  # the planned day (检查日)
    groups: tuple[tuple[str, tuple[int, ...]], ...]  # (group label, unit ids)
    endpoint: str | None = None  # the plan's page (url_for endpoint)
    args: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class DueItem:
    """Something with a deadline that is no workflow step (a meeting's 议定事项, a referral's feedback): the
    reminder sweep tells its people 即将到期 and 已逾期 as it does for steps."""

    key: str  # unique among all due items of all procedures, e.g. "decision:12"
    title: str  # as the alert shows it, e.g. "议定事项：清理楼道堆物（松林村）"
    due: date  # the last day
    recipient_ids: tuple[int, ...]
    instance_id: int | None = None  # the case the alert opens
    body: str = ""  # the alert's text; empty: "期限<the day>"


@dataclass(frozen=True)
class Tally:
    """One record behind a report figure (统计报表): the figure is how many of them a period holds."""

    grid_path: str  # where it happened, so one query serves every child grid of a dashboard
    day: date | None
    subject: str  # what the reader recognises: the unit, the meeting, the letter's counterparty
    detail: str = ""
    endpoint: str | None = None  # the page of the record (url_for endpoint)
    args: tuple[tuple[str, Any], ...] = ()
    tags: tuple[str, ...] = ()  # e.g. a campaign's key, for figures of one 专项行动


@dataclass(frozen=True)
class SharedCount:
    """One grouped query that counts several measures at once (检查单位 and 出动检查人员 both sum the period's
    inspections): `query(grid, start, end)` gives one row per grid path under `grid`, its path first, then one
    total per measure, labelled with the measure's key. A dashboard reads it once for all of them, where a query per
    measure had the database read the same rows again for each (on a county's month, 40,000 inspections)."""

    query: Callable[[GridNode, date, date], Select]


@dataclass(frozen=True)
class Measure:
    """A figure leaders report upward (检查单位数, 发现隐患 …), counted from a procedure's records:
    `tallies(session, grid, start, end)` gives the records under `grid` in the period (both days included)."""

    key: str
    label: str  # Chinese, e.g. "发现隐患（处）"
    tallies: Callable[[Session, GridNode, date, date], list[Tally]]
    order: int = 50
    charted: bool = False  # one of the bars of the dashboard's and the report's chart
    # The same count as a query of (grid path, weight) rows, which the dashboards sum per path in the database
    # instead of loading every record: a county's table then costs about what one town's does. None: the
    # tallies are counted (fine for the few meetings or fires of a period).
    counted: Callable[[GridNode, date, date], Select | CompoundSelect] | None = None
    # Or counted together with other measures by one query (its column is this measure's key).
    shared: SharedCount | None = None


@dataclass(frozen=True)
class Ratio:
    """A rate of two measures (整改率 = 已整改 / 发现隐患), shown as a percentage."""

    key: str
    label: str
    numerator: str  # Measure keys
    denominator: str
    order: int = 50


@dataclass(frozen=True)
class WorkbookSheet:
    """A sheet a procedure adds to a town's organisation workbook (组织架构工作簿), e.g. the inspection
    procedure's referral receivers. `export_rows(session, town)` gives the rows below the header;
    `import_rows(session, town, rows)` checks every row, writes the good ones and reports each refused
    row in the SheetResult; the workbook import then rolls everything back if any sheet refused a row."""

    title: str  # the sheet's name (Chinese)
    headers: tuple[str, ...]
    required: tuple[str, ...]  # headers a sheet must have to be read
    export_rows: Callable[[Session, GridNode], list[list[object]]]
    import_rows: Callable[[Session, GridNode, list[SheetRow]], SheetResult]
    note: str = ""  # one line for the template's instructions


@dataclass(frozen=True)
class BinderPart:
    """Pages a procedure adds to a 台账汇编 section before its issued documents, e.g. a register's list for the
    year (宣传培训登记表): a DOCX the binder converts like the documents."""

    section: str  # one of webapp.cases.ledger_binder.SECTIONS
    title: str  # its bookmark and contents line
    docx: bytes


@dataclass(frozen=True)
class Desk:
    """A department with accounts that an issued document can be delivered to with a receipt (签收回执), kept
    by the procedure that knows the department (e.g. the inspection procedure's 接收部门)."""

    key: str  # unique among every procedure's desks, e.g. "receiver:5"; stored on the receipt
    name: str  # Chinese, as the issuing clerk and the receipt show it
    user_ids: tuple[int, ...]  # the enabled accounts that receive, sign and reply for it


@dataclass(frozen=True)
class Basis:
    """What a case is started from (依据来文): a received document handled in another case."""

    instance_id: int  # the case that holds it (the 收文)
    title: str
    sender: str  # 来文机关
    sender_number: str = ""  # 来文字号

    @property
    def label(self) -> str:
        """《标题》（来文字号）as the new case shows it after "依据来文"."""
        number = f"（{self.sender_number}）" if self.sender_number else ""
        return f"{self.sender}《{self.title}》{number}"


@dataclass(frozen=True)
class FollowUp:
    """A procedure that can be started from a received document (承办: 另行发文、召开会议 …), prefilled from it.
    `start(session, runtime, user, grid, basis, now)` opens the case and returns it; the core links the two."""

    label: str  # the button, e.g. "另行发文"
    roles: tuple[str, ...]  # who may start it
    start: Callable[[Session, CaseRuntime, User, GridNode, Basis, datetime], ProcessInstance]


@dataclass
class StepContext:
    """What a step hook sees: plain values and the DB session; no request, no Flask."""

    session: Session
    instance: ProcessInstance
    step_key: str
    data: dict  # the task data after the form was merged in
    user: User | None  # None for timers
    now: datetime
    services: CaseRuntime  # the engine, documents, numbering …
    opinion: str = ""  # what the user wrote in the step's 意见 box (kept out of the task data)

    def ready_data(self) -> dict:
        """The data the step's task held before this submission (earlier steps, a previous draft)."""
        view = self.services.ready_task(self.session, self.instance, step_key=self.step_key)
        return view.data if view else {}


# A hook returns the ids of documents it produced, recorded in the case history.
StepHook = Callable[[StepContext], list[int]]


@dataclass
class Procedure:
    key: str  # == BPMN process id == workflows/<key>.bpmn
    title: str  # Chinese, shown to users
    start_roles: tuple[str, ...]
    start_form: str | None = None  # form key of the "open a case" page; None: started by a service
    # Steps may prepare data before the task completes (e.g. compute a deadline), then produce
    # documents after it completed, inside the same transaction.
    before_complete: Mapping[str, StepHook] = field(default_factory=dict)
    after_complete: Mapping[str, StepHook] = field(default_factory=dict)
    # Runs once the case is started (step_key "start"), e.g. to produce a record from the start form.
    after_start: StepHook | None = None
    # Deadline of a step's task, when it follows from the case rather than from `due_workdays`.
    due_date: Callable[[str, dict, WorkdayCalendar], datetime | None] | None = None
    # Functions BPMN expressions of this procedure may call (besides the engine's clock functions).
    script_functions: Mapping[str, Callable] = field(default_factory=dict)
    # The case title from the start form's data, e.g. "隐患整改：平安便利店".
    case_title: Callable[[dict], str] = lambda data: str(data.get("title") or "")
    # Steps that only wait (e.g. for a deadline timer) and are no one's work: step key → what is awaited.
    # They stay out of inboxes; the case page shows "等待…" and still offers the step's form.
    waiting_steps: Mapping[str, str] = field(default_factory=dict)
    # Steps someone outside the step's lane may answer from elsewhere (actions.complete_waiting_step with the
    # user), e.g. a receiving department's own login answering the referral a clerk's 登记处理反馈 waits on.
    answered_elsewhere: tuple[str, ...] = ()
    # Separation of duties: step key → the steps whose doers may not do it in the same case (发文: nobody signs
    # off their own draft). On unless a town's admin switches it off (设置 → 常用意见与签发回避).
    separated_steps: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # What one item of a multi-instance step is about (e.g. the evaluated body of a 自评), for inbox rows;
    # called with (session, instance, item key) when the task is created.
    task_subject: Callable[[Session, ProcessInstance, str], str] | None = None
    # Context for previewing a step's template before it is issued (the leader reads before signing).
    preview_context: Callable[[StepContext, str], dict] | None = None
    # Which of a step's several templates the data would issue (发文: 通知, 上行文 or 通报); None: all.
    preview_template: Callable[[dict], str] | None = None
    # `firegrid demo --history`: plays this year's activity through the services, in demo_order.
    play_demo_history: Callable[[DemoContext], None] | None = None
    demo_order: int = 100
    # What `firegrid init` (and a new town) must find in the database, e.g. the default checklist.
    ensure_defaults: Callable[[Session], None] | None = None
    # Background job kinds this procedure queues, registered when it loads.
    job_kinds: tuple[jobs.JobKind, ...] = ()
    # Modules of the procedure's package that the web layer imports: forms (registered by key) and
    # views (a module-level Blueprint `bp`). Names relative to the package.
    web_modules: tuple[str, ...] = ("forms", "views")
    # The Jinja template shown on the case and task pages of this procedure (its summary panel).
    case_panel: str | None = None
    # Archive retention (保管期限 Y | D30 | D10) of each template this procedure issues, and the templates
    # of one case that are filed together as one item (件).
    retention: Mapping[str, str] = field(default_factory=dict)
    archive_groups: tuple[tuple[str, ...], ...] = ()
    # The number prefixes this procedure's documents are numbered under.
    number_prefixes: tuple[NumberUse, ...] = ()
    # The county overview's figures of each town (by id) at `now` (open hazards, signing rate …), from its own
    # queries, each one grouped query for all the towns (`TownTally`), so their number does not grow with towns.
    town_figures: Callable[[Session, list[GridNode], datetime], dict[int, list[Figure]]] | None = None
    # Its figures of the reports upward (统计报表: dashboards, 月调度, 季通报, the county roll-up).
    measures: tuple[Measure | Ratio, ...] = ()
    # The unit file's entries this procedure contributes for one unit (一户一档).
    unit_events: Callable[[Session, Unit], list[UnitEvent]] | None = None
    # Visits of units under a grid node from `start` to `end` (both included), for coverage and 漏查.
    unit_visits: Callable[[Session, GridNode, date, date], list[Visit]] | None = None
    # The same visits as a query of the visited units' ids (any grid). The county overview's coverage reads them
    # counted per grid and month by the database (migration 0046cover's triggers on the table this reads): a
    # procedure that sets it needs a migration adding its table there (tests/services/test_coverage_totals.py).
    visited_unit_ids: Callable[[date, date], Select] | None = None
    # The month's ("2026-09") visit plans on `grid`'s branch (the node, above or below it), and the page where
    # a clerk makes one (url_for endpoint), linked from the 上旬 reminder.
    visit_plans: Callable[[Session, GridNode, str], list[VisitPlan]] | None = None
    visit_plans_endpoint: str | None = None
    # Its open items with a deadline that are no workflow step, in a town, due on or before a day (the reminder
    # sweep announces 即将到期 and 已逾期 for them).
    due_items: Callable[[Session, GridNode, date], list[DueItem]] | None = None
    # The figures of a 专项行动 from this procedure's records tagged to it (检查次数, 发现隐患 …).
    campaign_figures: Callable[[Session, SpecialCampaign], list[Figure]] | None = None
    # Per item of a 专项行动's own checklist (by item name) as this procedure's tagged records checked it.
    campaign_item_counts: Callable[[Session, SpecialCampaign], dict[str, ItemCount]] | None = None
    # The 台账汇编 section (its Chinese title, one of webapp.cases.ledger_binder.SECTIONS) that holds the
    # documents this procedure issues; "" keeps them out of the binder.
    binder_section: str = ""
    # Pages of its registers it adds to the binder of a town's year (made when the binder is bound, on `today`).
    binder_parts: Callable[[Session, GridNode, int, date], list[BinderPart]] | None = None
    # Sheets this procedure adds to the organisation workbook (after the core's, in procedure order).
    workbook_sheets: tuple[WorkbookSheet, ...] = ()
    # Departments of a town (the town node given) that documents can be delivered to with a receipt.
    receiving_desks: Callable[[Session, GridNode], list[Desk]] | None = None
    # How a case of this procedure starts from a received document, if it can (收文 → 承办 → 由此发起).
    follow_up: FollowUp | None = None
    # Set by the loader: the package the procedure lives in, and its web modules (each with a Blueprint
    # `bp`, and optionally `NAV` menu entries and `UNIT_SECTIONS`).
    package: str = ""
    web: list[Any] = field(default_factory=list)


@dataclass
class DemoContext:
    """What a procedure's demo-history player gets; it sets `clock` to move through the year."""

    session: Session
    services: CaseRuntime
    clock: Clock  # frozen by the player as it goes
    year: int
    today: datetime  # play from January 1 up to this moment, then leave the clock here


_PROCEDURES: dict[str, Procedure] = {}


def register(procedure: Procedure) -> Procedure:
    _PROCEDURES[procedure.key] = procedure
    for kind in procedure.job_kinds:
        jobs.register_kind(kind)
    return procedure


def get(key: str) -> Procedure | None:
    return _PROCEDURES.get(key)


def all_procedures() -> list[Procedure]:
    return list(_PROCEDURES.values())


def number_uses() -> list[NumberUse]:
    """Every number prefix some procedure issues under, once each, in procedure order."""
    uses: dict[str, NumberUse] = {}
    for procedure in _PROCEDURES.values():
        for use in procedure.number_prefixes:
            uses.setdefault(use.key, use)
    return list(uses.values())


def measures() -> list[Measure | Ratio]:
    """Every procedure's report figures, by order (procedure order among equals)."""
    found = [m for procedure in _PROCEDURES.values() for m in procedure.measures]
    return sorted(found, key=lambda m: m.order)


def workbook_sheets() -> list[WorkbookSheet]:
    return [sheet for procedure in _PROCEDURES.values() for sheet in procedure.workbook_sheets]


def unit_events(session: Session, unit: Unit) -> list[UnitEvent]:
    """Everything every procedure knows about a unit, oldest first."""
    events = [event for procedure in _PROCEDURES.values() if procedure.unit_events
              for event in procedure.unit_events(session, unit)]
    return sorted(events, key=lambda event: event.when)


def unit_visits(session: Session, grid: GridNode, start: date, end: date) -> list[Visit]:
    """Every procedure's visits of units under `grid` in the period."""
    return [visit for procedure in _PROCEDURES.values() if procedure.unit_visits
            for visit in procedure.unit_visits(session, grid, start, end)]


def visited_unit_ids(start: date, end: date) -> list[Select]:
    """Every procedure's query of the ids of units visited in the period (both days included)."""
    return [procedure.visited_unit_ids(start, end) for procedure in _PROCEDURES.values()
            if procedure.visited_unit_ids]


def visit_plans(session: Session, grid: GridNode, month: str) -> list[VisitPlan]:
    """Every procedure's visit plans of the month on `grid`'s branch."""
    return [plan for procedure in _PROCEDURES.values() if procedure.visit_plans
            for plan in procedure.visit_plans(session, grid, month)]


def visit_plans_endpoints() -> list[str]:
    return [p.visit_plans_endpoint for p in _PROCEDURES.values() if p.visit_plans_endpoint]


def campaign_figures(session: Session, campaign: SpecialCampaign) -> list[Figure]:
    """Every procedure's figures of the campaign, in column order."""
    figures = [figure for procedure in _PROCEDURES.values() if procedure.campaign_figures
               for figure in procedure.campaign_figures(session, campaign)]
    return sorted(figures, key=lambda figure: figure.order)


def campaign_item_counts(session: Session, campaign: SpecialCampaign) -> dict[str, ItemCount]:
    """Every procedure's counts of the campaign's own checklist items, summed by item name."""
    found: dict[str, ItemCount] = {}
    for procedure in _PROCEDURES.values():
        for name, count in (procedure.campaign_item_counts(session, campaign) if procedure.campaign_item_counts
                            else {}).items():
            found[name] = found.get(name, ItemCount()) + count
    return found


def binder_parts(session: Session, town: GridNode, year: int, today: date) -> list[BinderPart]:
    """Every procedure's register pages for the binder of a town's year."""
    return [part for procedure in _PROCEDURES.values() if procedure.binder_parts
            for part in procedure.binder_parts(session, town, year, today)]


def receiving_desks(session: Session, town: GridNode) -> list[Desk]:
    """Every procedure's departments of the town that receive documents, by name."""
    desks = [desk for procedure in _PROCEDURES.values() if procedure.receiving_desks
             for desk in procedure.receiving_desks(session, town)]
    return sorted(desks, key=lambda desk: desk.name)


def follow_ups() -> dict[str, FollowUp]:
    """Procedure key → how it starts from a received document, for the procedures that can."""
    return {key: procedure.follow_up for key, procedure in _PROCEDURES.items() if procedure.follow_up}


def script_functions() -> dict[str, Callable]:
    functions: dict[str, Callable] = {}
    for procedure in _PROCEDURES.values():
        functions.update(procedure.script_functions)
    return functions


def cross_check(specs: SpecRegistry, known: KnownKeys) -> list[Problem]:
    """BPMN problems plus: every registered procedure has a BPMN file and every BPMN a procedure."""
    problems = specs.check(set(known.forms), set(known.templates), set(known.roles))
    bpmn_ids = set(specs.process_ids())
    for key in sorted(set(_PROCEDURES) - bpmn_ids):
        problems.append(Problem(f"{key}.bpmn", key, f"procedure '{key}' is registered but has no BPMN process"))
    for key in sorted(bpmn_ids - set(_PROCEDURES)):
        problems.append(Problem(f"{key}.bpmn", key, f"BPMN process '{key}' has no registered procedure module"))
    return problems
