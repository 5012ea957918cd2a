"""Item assembly (组件): which issued documents of a town's year are filed, and which belong together.

Each town is its own fonds: a town's year holds the documents issued in its grid only.

Rules: only issued documents of finished (or case-less) work are filed; a document whose case is
still running waits. Documents of one case whose template keys form a configured group (e.g. a
rectification notice with its re-inspection opinion) are one item, the group's first key being
the main document (a document issued before its main one stands alone). Attachments and signed scans
always travel with their document. The year's documents are read here and grouped and ordered in a
temporary store (`item_store`), which the export and the archive page read back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from webapp.archive.codes import CodeRules, load_rules
from webapp.archive.item_store import ItemPlan, ItemStore, PlannedDocument
from webapp.archive.metadata import responsible
from webapp.archive.models import ArchiveItem, ArchiveItemDocument
from webapp.clock import TZ
from webapp.models import Document, GridNode, IssuedNumber, ProcessInstance

PAGE_BATCH = 500  # items read back at once for the archive page
READ_AT_ONCE = 100  # documents fetched at once, with their data: what planning holds, however many there are


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


def _documents(session: Session, town: GridNode, year: int, rules: CodeRules) -> Iterator[PlannedDocument]:
    """The year's fileable documents, oldest first, each with its 责任者 and the class and code of the item it
    would be the main one of (the stored item's, filed before, whatever the rules say now; else the rules'): the
    rows are streamed and their data (context_json, the largest column) dropped once the 责任者 is read from it."""
    start, end = year_bounds(year)
    stmt = (select(Document.id, Document.instance_id, Document.template_key, Document.kind, Document.title,
                   Document.number, Document.issuing_organ, Document.issued_at, Document.context_json,
                   Document.grid_id, ArchiveItem.id.label("item_id"), ArchiveItem.archive_code,
                   ArchiveItem.retention.label("stored_retention"), ArchiveItem.organ_code, ArchiveItem.serial)
            .outerjoin(ProcessInstance, Document.instance_id == ProcessInstance.id)
            .outerjoin(ArchiveItemDocument, (ArchiveItemDocument.document_id == Document.id)
                       & (ArchiveItemDocument.position == 0))
            .outerjoin(ArchiveItem, (ArchiveItem.id == ArchiveItemDocument.item_id) & (ArchiveItem.year == year))
            .where(Document.status == "issued", Document.issued_at >= start, Document.issued_at < end,
                   Document.grid_id.in_(town_grid_ids(town)),
                   or_(Document.instance_id.is_(None), ProcessInstance.status != "running"))
            .order_by(Document.issued_at, Document.id)
            .execution_options(yield_per=READ_AT_ONCE))
    nodes = town_nodes(session, town)
    for r in session.execute(stmt):
        organ = responsible(r.context_json, nodes.get(r.grid_id), r.issuing_organ)
        if r.item_id is None:
            yield PlannedDocument(r.id, r.instance_id, r.template_key, r.title, r.number or "", organ, r.issued_at,
                                  rules.retention(r.template_key, r.kind), rules.organ_code(organ))
        else:
            yield PlannedDocument(r.id, r.instance_id, r.template_key, r.title, r.number or "", organ, r.issued_at,
                                  r.stored_retention, r.organ_code, r.item_id, r.archive_code, r.serial)


@contextmanager
def planned(session: Session, town: GridNode, year: int, rules: CodeRules | None = None, *,
            folder: Path | None = None, organ_codes: Iterable[str] = (),
            retentions: Iterable[str] = ()) -> Iterator[ItemStore]:
    """The items of a town's year (those of these 机构 codes and retention classes; none named: all) in catalogue
    order, in a temporary store (in `folder`, else SQLite's own temporary file) while the caller reads them."""
    rules = rules or load_rules(session, town)
    with ItemStore(folder / "items.sqlite3" if folder else "") as store:
        store.add(_documents(session, town, year, rules))
        store.group(rules.item_groups)
        store.choose(organ_codes, retentions)
        yield store


def plan_items(session: Session, town: GridNode, year: int) -> list[ItemPlan]:
    """Every item of a town's year in catalogue order, with stored codes where an item was filed before (the
    archive page lists them all)."""
    with planned(session, town, year) as store:
        return [plan for batch in store.batches(PAGE_BATCH) for plan in batch]


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
