"""Item assembly (组件): which issued documents of a town's year are filed, and which belong together.

Each town is its own fonds: a town's year holds the documents issued in its grid only.

Rules: only issued documents of finished (or case-less) work are filed; a document whose case is
still running waits. Documents of one case whose template keys form a configured group (e.g. a
rectification notice with its re-inspection opinion) are one item, the group's first key being
the main document. Attachments and signed scans always travel with their document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from webapp.archive.codes import RETENTION_ORDER, CodeRules, load_rules
from webapp.archive.metadata import responsible
from webapp.archive.models import ArchiveItem, ArchiveItemDocument
from webapp.clock import TZ
from webapp.models import Document, GridNode, IssuedNumber, ProcessInstance


@dataclass(slots=True)
class ItemPlan:
    """One item to file: its documents (main first), class and, once assigned, its code."""

    document_ids: list[int]
    title: str
    number: str
    organ: str
    issued_at: datetime
    retention: str
    organ_code: str
    archive_code: str = ""
    item_id: int | None = None
    serial: int = 0
    organs: list[str] = field(default_factory=list)  # each document's 责任者, as document_ids (organ: the main's)

    def sort_key(self) -> tuple:
        return (RETENTION_ORDER.get(self.retention, 9), self.organ_code, self.serial or 10**6, self.issued_at)


@dataclass
class Unfinished:
    what: str
    title: str
    reason: str


@dataclass
class Preview:
    year: int
    items: list[ItemPlan]
    unfinished: list[Unfinished] = field(default_factory=list)
    voided: list[IssuedNumber] = field(default_factory=list)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=TZ), datetime(year + 1, 1, 1, tzinfo=TZ)


def town_grid_ids(town: GridNode) -> Select:
    """The ids of the town's grid nodes (itself and below): what a town's record is filed under."""
    return select(GridNode.id).where(GridNode.path.startswith(town.path))


def town_nodes(session: Session, town: GridNode) -> dict[int, GridNode]:
    """The town's grid nodes and the ones above it, loaded in one query: while the caller holds them, naming a
    document's 责任者 (which walks up from its node to the town) costs no query per document."""
    below = session.scalars(select(GridNode).where(GridNode.path.startswith(town.path)))
    return {node.id: node for node in [*town.ancestors(), *below]}


class _Candidate(NamedTuple):
    id: int
    instance_id: int | None
    template_key: str
    kind: str
    title: str
    number: str | None
    issued_at: datetime
    organ: str  # 责任者


def _candidates(session: Session, town: GridNode, year: int) -> list[_Candidate]:
    """The year's fileable documents, oldest first, each with its 责任者: the rows are streamed and their data
    (context_json, the largest column) dropped as soon as the 责任者 is read from it, so a year of 20,000
    documents is never held with its data."""
    start, end = year_bounds(year)
    stmt = (select(Document.id, Document.instance_id, Document.template_key, Document.kind, Document.title,
                   Document.number, Document.issuing_organ, Document.issued_at, Document.context_json,
                   Document.grid_id)
            .outerjoin(ProcessInstance, Document.instance_id == ProcessInstance.id)
            .where(Document.status == "issued", Document.issued_at >= start, Document.issued_at < end,
                   Document.grid_id.in_(town_grid_ids(town)),
                   or_(Document.instance_id.is_(None), ProcessInstance.status != "running"))
            .order_by(Document.issued_at, Document.id)
            .execution_options(yield_per=500))
    nodes = town_nodes(session, town)
    # A town's documents name a handful of 责任者, each read anew from a row's data: one string per name, not
    # per document, for the plans keep them until the export ends (~0.1 kB an item).
    organs: dict[str, str] = {}
    return [_Candidate(r.id, r.instance_id, r.template_key, r.kind, r.title, r.number, r.issued_at,
                       organs.setdefault(organ := responsible(r.context_json, nodes.get(r.grid_id), r.issuing_organ),
                                         organ))
            for r in session.execute(stmt)]


def _main_of(row, by_case: dict[tuple[int, str], int], groups: list[list[str]]) -> int | None:
    """The main document this row joins, if its case holds the group's first template."""
    if row.instance_id is None:
        return None
    for group in groups:
        if row.template_key in group[1:]:
            main = by_case.get((row.instance_id, group[0]))
            if main is not None and main != row.id:
                return main
    return None


def plan_items(session: Session, town: GridNode, year: int, rules: CodeRules | None = None) -> list[ItemPlan]:
    """The items of a town's year in catalogue order, with stored codes where an item was filed before."""
    rules = rules or load_rules(session, town)
    rows = _candidates(session, town, year)
    by_case = {(r.instance_id, r.template_key): r.id for r in rows if r.instance_id is not None}
    plans: dict[int, ItemPlan] = {}
    for row in rows:
        main = _main_of(row, by_case, rules.item_groups)
        if main is not None and main in plans:
            plans[main].document_ids.append(row.id)
            plans[main].organs.append(row.organ)
            continue
        plans[row.id] = ItemPlan(
            document_ids=[row.id], title=row.title, number=row.number or "", organ=row.organ,
            issued_at=row.issued_at, retention=rules.retention(row.template_key, row.kind),
            organ_code=rules.organ_code(row.organ), organs=[row.organ])
    _apply_stored(session, year, list(plans.values()))
    return sorted(plans.values(), key=ItemPlan.sort_key)


def _apply_stored(session: Session, year: int, plans: list[ItemPlan]) -> None:
    """An item filed before keeps its class and code, whatever the rules say now."""
    stmt = (select(ArchiveItemDocument.document_id, ArchiveItem.id, ArchiveItem.archive_code,
                   ArchiveItem.retention, ArchiveItem.organ_code, ArchiveItem.serial)
            .join(ArchiveItem, ArchiveItem.id == ArchiveItemDocument.item_id)
            .where(ArchiveItemDocument.position == 0, ArchiveItem.year == year))
    stored = {row.document_id: row for row in session.execute(stmt)}
    for plan in plans:
        row = stored.get(plan.document_ids[0])
        if row is not None:
            plan.item_id, plan.archive_code, plan.serial = row.id, row.archive_code, row.serial
            plan.retention, plan.organ_code = row.retention, row.organ_code


def select_plans(plans: list[ItemPlan], organ_codes: set[str] | None, retentions: set[str] | None) -> list[ItemPlan]:
    return [p for p in plans if (not organ_codes or p.organ_code in organ_codes)
            and (not retentions or p.retention in retentions)]


def organ_code_choices(plans: list[ItemPlan]) -> list[tuple[str, str]]:
    """Each 机构（问题）code with the 责任者 it stands for, e.g. ("BGS", "BGS（某镇人民政府）"): a bare code means
    nothing to a reader."""
    organs: dict[str, set[str]] = {}
    for plan in plans:
        organs.setdefault(plan.organ_code, set()).add(plan.organ)
    return [(code, f"{code}（{'、'.join(sorted(names))}）") for code, names in sorted(organs.items())]


def unfinished(session: Session, town: GridNode, year: int) -> list[Unfinished]:
    """What of the town is not filed yet and why: drafts, and cases still running."""
    start, end = year_bounds(year)
    drafts = session.execute(select(Document.title, Document.template_key).where(
        Document.status == "draft", Document.created_at >= start, Document.created_at < end,
        Document.grid_id.in_(town_grid_ids(town))))
    result = [Unfinished("草稿", title, "文件尚未印发") for title, _ in drafts]
    with_documents = select(Document.instance_id).where(Document.issued_at >= start, Document.issued_at < end)
    running = session.scalars(select(ProcessInstance).where(
        ProcessInstance.status == "running", ProcessInstance.grid_id.in_(town_grid_ids(town)), or_(
        ProcessInstance.id.in_(with_documents),
        (ProcessInstance.started_at >= start) & (ProcessInstance.started_at < end),
    )).order_by(ProcessInstance.started_at))
    for case in running:
        count = session.query(Document).filter_by(instance_id=case.id, status="issued").count()
        reason = f"案件办理中，其{count}份已印发文件待办结后归档" if count else "案件办理中，尚无已印发文件"
        result.append(Unfinished("案件", case.title, reason))
    return result


def voided_numbers(session: Session, town: GridNode, year: int) -> list[IssuedNumber]:
    stmt = select(IssuedNumber).where(IssuedNumber.town_id == town.id, IssuedNumber.year == year,
                                      IssuedNumber.status == "void")
    return list(session.scalars(stmt.order_by(IssuedNumber.prefix, IssuedNumber.serial)))


def preview(session: Session, town: GridNode, year: int) -> Preview:
    return Preview(year, plan_items(session, town, year), unfinished(session, town, year),
                   voided_numbers(session, town, year))
