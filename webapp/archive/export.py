"""Export a town's year (its fonds): assign 档号 and write items batch by batch straight into the zipped
bag (one pass: each file read once, hashed as it is packed), then the catalogue, report and manifests.

Entry points: `export_year` (plain: CLI, bench, background job) and `start_export` /
`run_export` (an ArchiveExport record for the archivist's page). Callers commit.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, load_only, selectinload

from webapp.archive import codes as archive_codes
from webapp.archive.catalogue import CatalogueRow, CatalogueWriter
from webapp.archive.item_store import ItemStore
from webapp.archive.items import planned, town_nodes
from webapp.archive.metadata import case_histories
from webapp.archive.models import ArchiveExport, ArchiveItem, ArchiveSettings
from webapp.archive.package import BagZip, ItemWriter, MissingStoredFile, PdfStage
from webapp.archive.report import ArchiveReport, check_numbers
from webapp.documents.inspection import inspect_large_ooxml, sha256_file
from webapp.documents.properties import CoreProperties
from webapp.models import Document, DocumentAttachment, GridNode, StoredFile, User
from webapp.services.documents import DocumentServices
from webapp.services.errors import InvalidInput, NotFound, OutOfScope, found
from webapp.services.file_store import FileStore

BATCH = 100  # items loaded with one set of queries; bounds the rows held at once
UNEXPECTED = "（技术细节已记入系统日志），请重试；如仍失败请联系管理员。"
ZIP, PACKAGE_CHUNK = "application/zip", 1 << 20

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]  # (items written, items in all), called after each batch


class ExportFailed(InvalidInput):
    """The package cannot be built; the message tells the archivist which item and file, in Chinese."""


@dataclass
class ExportOptions:
    organ_codes: set[str] = field(default_factory=set)  # empty: all
    retentions: set[str] = field(default_factory=set)  # empty: all
    pdf: bool = True


@dataclass
class ExportResult:
    path: Path
    item_count: int
    passed: bool
    report: dict


def _load(session: Session, ids: list[int]) -> dict[int, Document]:
    """The batch's documents with their files and attachments, only the columns packing reads: not the data
    they were rendered from (the largest column: planning read the 责任者 from it), nor their layout reports or
    times of creation (each time is converted to Beijing time as it is read: 30,000 of them at 10,000 items)."""
    file_columns = load_only(StoredFile.sha256, StoredFile.size, StoredFile.inspection)
    stmt = (select(Document).where(Document.id.in_(ids))
            .options(defer(Document.context_json), defer(Document.layout_check), defer(Document.created_at),
                     selectinload(Document.file).options(file_columns),
                     selectinload(Document.attachments).options(defer(DocumentAttachment.created_at))
                     .selectinload(DocumentAttachment.file).options(file_columns)))
    return {d.id: d for d in session.scalars(stmt)}


def _bag_info(settings, year: int, count: int, now: datetime, organs: list[str]) -> dict[str, str]:
    return {
        "Source-Organization": settings.source_organization or "、".join(organs) or "未设置立档单位",
        "External-Identifier": f"{settings.fonds_code}-{settings.category_code}-{year}",
        "External-Description": f"{year}年度文书档案归档文件（{count}件）",
        "Fonds": settings.fonds_code, "Archive-Year": str(year), "Item-Count": str(count),
        "Bagging-Date": now.date().isoformat(),
    }


def export_year(session: Session, docs: DocumentServices, *, town: GridNode, year: int, out: Path, now: datetime,
                options: ExportOptions | None = None, progress: Progress | None = None) -> ExportResult:
    """Build the zipped bag of a town's year at `out`, holding that town's documents only; assigns 档号 to
    new items (flushes, does not commit). The items wait in a temporary store beside `out`, read a batch at a
    time: the export holds nothing per item."""
    options = options or ExportOptions()
    rules = archive_codes.load_rules(session, town)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with (tempfile.TemporaryDirectory(prefix="firegrid-archive-", dir=out.parent) as work,
          planned(session, town, year, rules, folder=Path(work), organ_codes=options.organ_codes,
                  retentions=options.retentions) as items):
        if not items.count:
            raise InvalidInput(f"{town.name}{year}年度没有可归档的文件。")
        settings = archive_codes.settings(session, town)
        bag = BagZip(out, f"{settings.fonds_code}-{settings.category_code}-{year}", now)
        try:
            report = ArchiveReport(year, settings.fonds_code, now.date().isoformat())
            pdfs = PdfStage(docs, options.pdf, now)
            _write_items(session, docs, town, rules, settings, items, bag, Path(work), report, pdfs, now, progress)
            report.check_repeated_codes(items.repeated_codes())
            check_numbers(session, report, town.id, items.exported)
            report.notes.extend(pdfs.notes)
            for name, content in report.files():
                bag.add_bytes(name, content)
            bag.close(_bag_info(settings, year, items.count, now, items.organs()))
        except BaseException:
            bag.abort()
            raise
        return ExportResult(out, items.count, report.passed, report.as_dict())


def _write_items(session: Session, docs: DocumentServices, town: GridNode, rules: archive_codes.CodeRules,
                 settings: ArchiveSettings, items: ItemStore, bag: BagZip, work: Path, report: ArchiveReport,
                 pdfs: PdfStage, now: datetime, progress: Progress | None) -> None:
    """Each batch of items costs the same few statements however many items it holds."""
    nodes = town_nodes(session, town)  # noqa: F841 - held so that documents' grid nodes load from memory
    writer = ItemWriter(docs, bag, report, pdfs, settings.source_organization)
    heading = f"{report.year}年度归档文件目录（全宗号 {report.fonds}）"
    properties = CoreProperties(title=heading, author=settings.source_organization or "",
                                created=now, category="归档文件目录")
    assigner = archive_codes.Assigner(session, rules, now)
    with CatalogueWriter(work, heading, properties) as catalogue:
        for batch in items.batches(BATCH):
            loaded = _load(session, [i for plan in batch for i in plan.document_ids])
            pdfs.prepare(list(loaded.values()))
            writer.histories = case_histories(session, {d.instance_id for d in loaded.values() if d.instance_id})
            writer.organs = {i: organ for plan in batch for i, organ in zip(plan.document_ids, plan.organs,
                                                                             strict=True)}
            filed = assigner.assign(report.year, batch)
            for plan, item in zip(batch, filed, strict=True):
                report.check_code(item.archive_code, rules.format(
                    year=item.year, retention=item.retention, organ=item.organ_code, serial=item.serial))
                row = _write_item(session, writer, item, [loaded[i] for i in plan.document_ids])
                row.seq = catalogue.count + 1
                catalogue.add(row)
            items.file([item.archive_code for item in filed])
            session.flush()  # what opening a file without a record found, kept on its row
            if progress is not None:
                progress(catalogue.count, items.count)
    _check_catalogue(catalogue, report)
    for path in (catalogue.xlsx_path, catalogue.docx_path):
        bag.add_file(path.name, path)


def _check_catalogue(catalogue: CatalogueWriter, report: ArchiveReport) -> None:
    """The catalogue is read through (as a stream: it grows with the items); one nobody can open stops the
    export."""
    for path in (catalogue.xlsx_path, catalogue.docx_path):
        inspection = inspect_large_ooxml(path)
        report.check_opens(path.name, inspection)
        if not inspection.opens:
            log.error("archive export: catalogue %s does not open: %s", path.name, inspection.problem)
            raise ExportFailed(f"归档文件目录“{path.name}”生成后无法打开{UNEXPECTED}")


def _write_item(session: Session, writer: ItemWriter, item: archive_codes.FiledItem,
                documents: list[Document]) -> CatalogueRow:
    # The 档号 is rolled back with the failed run, so the item is named by its title and 文号.
    main = documents[0]
    where = f"“{main.title}”" + (f"（{main.number}）" if main.number else "")
    try:
        return writer.write(session, item, documents)
    except MissingStoredFile as error:
        log.error("archive export: %s", error)
        raise ExportFailed(f"{where}：文件“{error.name}”在文件库中缺失，请从备份恢复该文件后重试。") from error
    except Exception as error:
        log.exception("archive export: writing item %s failed", item.archive_code)
        raise ExportFailed(f"{where}写入失败{UNEXPECTED}") from error


# --- the archivist's page: an ArchiveExport record per package ------------------------------------

def exports_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "archive-exports"


def start_export(session: Session, *, town: GridNode, year: int, options: ExportOptions, user: User | None,
                 now: datetime) -> ArchiveExport:
    record = ArchiveExport(town_id=town.id, year=year, status="running", created_by=user, created_at=now, filters={
        "organ_codes": sorted(options.organ_codes), "retentions": sorted(options.retentions), "pdf": options.pdf})
    session.add(record)
    session.flush()
    return record


def run_export(session: Session, docs: DocumentServices, data_dir: Path, export_id: int, now: datetime,
               progress: Progress | None = None) -> None:
    """Build the package of a started export and record the outcome (the caller commits)."""
    record = get_export(session, export_id)
    fonds = archive_codes.settings(session, record.town).fonds_code
    out = exports_dir(data_dir) / f"{record.id:05d}_{fonds}-WS-{record.year}.zip"
    try:
        with session.begin_nested():  # a failure keeps no 档号 assigned on the way, only the record
            result = export_year(session, docs, town=record.town, year=record.year, out=out, now=now,
                                 options=export_options(record), progress=progress)
            sha256 = sha256_file(out)
            _share_with_every_host(session, docs, out, sha256, now)
    except InvalidInput as error:
        fail(record, error.message, now)
        return
    except Exception:
        log.exception("archive export %s failed", record.id)
        fail(record, f"生成归档包时出错{UNEXPECTED}", now)
        return
    record.status, record.filename, record.item_count = "done", out.name, result.item_count
    record.size, record.sha256, record.passed = out.stat().st_size, sha256, result.passed
    record.message = "四性检测通过" if result.passed else "四性检测发现问题，详见包内报告"
    record.finished_at = now
    session.flush()


def _share_with_every_host(session: Session, docs: DocumentServices, package: Path, sha256: str,
                           now: datetime) -> None:
    """With the database file store the app hosts share nothing but the database, so the finished package
    goes into it too, a chunk at a time: the host an archivist's download lands on may not be the one whose
    background loop built it. The local folder store keeps it where it was written."""
    if isinstance(docs.store, FileStore) or docs.store.exists(sha256):
        return
    if session.get(StoredFile, sha256) is None:
        session.add(StoredFile(sha256=sha256, size=package.stat().st_size, media_type=ZIP, created_at=now))
        session.flush()
    with package.open("rb") as stream:
        if not docs.store.adopt(session, sha256, iter(lambda: stream.read(PACKAGE_CHUNK), b"")):
            raise ExportFailed("归档包写入文件库时校验不符，请重试。")


def export_options(record: ArchiveExport) -> ExportOptions:
    filters = record.filters or {}
    return ExportOptions(set(filters.get("organ_codes", [])), set(filters.get("retentions", [])),
                         filters.get("pdf", True))


def fail(record: ArchiveExport, message: str, now: datetime) -> None:
    record.status, record.message, record.finished_at = "failed", message, now


def get_export(session: Session, export_id: int) -> ArchiveExport:
    return found(session.get(ArchiveExport, export_id), "没有这个归档包。")


def get_export_in_scope(session: Session, user: User, export_id: int) -> ArchiveExport:
    """An export of a town in the user's scope (another town's answers OutOfScope, which is logged)."""
    record = get_export(session, export_id)
    if not (user.scope.contains(record.town) or record.town.contains(user.scope)):
        raise OutOfScope(f"该归档包属于{record.town.name}，不在您的管辖范围内。")
    return record


def recent_exports(session: Session, town: GridNode, limit: int = 20) -> list[ArchiveExport]:
    return list(session.scalars(select(ArchiveExport).where(ArchiveExport.town_id == town.id)
                                .order_by(ArchiveExport.id.desc()).limit(limit)))


def export_path(data_dir: Path, record: ArchiveExport) -> Path:
    """The finished package in this host's data folder."""
    path = local_package(data_dir, record)
    if path is None:
        raise NotFound("归档包文件已不存在。")
    return path


def local_package(data_dir: Path, record: ArchiveExport) -> Path | None:
    """The finished package in this host's data folder; None when it is not here (built on another host, or
    removed), and the file store's copy is what remains (see _share_with_every_host)."""
    if record.status != "done" or not record.filename:
        raise NotFound("该归档包尚未生成。")
    path = exports_dir(data_dir) / record.filename
    return path if path.exists() else None


def stored_codes(session: Session, town: GridNode, year: int) -> dict[int, str]:
    """main document id → 档号 of the items of a town's year already filed."""
    rows = session.execute(select(ArchiveItem.main_document_id, ArchiveItem.archive_code)
                           .where(ArchiveItem.town_id == town.id, ArchiveItem.year == year))
    return {item_id: code for item_id, code in rows}
