"""Official documents: render from a template, store once by hash, issue with a number, void, PDF."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp.clock import TZ
from webapp.documents import layout_loop, verify_layout
from webapp.documents.fitting import strip_breaks
from webapp.documents.inspection import Inspection, inspect_content, inspect_rendered_docx
from webapp.documents.manifest import ContextError, TemplateLibrary
from webapp.documents.pages import PageRasterizer
from webapp.documents.pdf import PdfConversionError, PdfConverter, PdfUnavailable
from webapp.documents.properties import CoreProperties, organ_in_context
from webapp.documents.render import DocumentRenderer
from webapp.documents.verify_layout import LayoutReport
from webapp.models import (
    AttachmentRole,
    Document,
    DocumentAttachment,
    GridNode,
    NumberPrefix,
    ProcessInstance,
    StoredFile,
    Unit,
    User,
)
from webapp.models.jobs import Job
from webapp.services import grid, jobs, numbering
from webapp.services.errors import InvalidInput, NotFound, found
from webapp.services.grid import organ_name, town_of
from webapp.services.storage.backends import FileBackend

log = logging.getLogger(__name__)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"


@dataclass
class DocumentServices:
    library: TemplateLibrary
    renderer: DocumentRenderer
    store: FileBackend
    pdf: PdfConverter
    pdf_cache_dir: Path
    pages: PageRasterizer  # PDF pages as images, for reading a document in the page
    preview_dir: Path  # previews (DOCX, PDF, page images) by content hash; never issued documents
    # render → PDF → verify → adjust on every issued document (config LAYOUT_CHECK); off: "未检查"
    layout_check: bool = False
    # queue the job that stores each issued document's PDF/A (config PDF_AFTER_ISSUE)
    pdf_after_issue: bool = False

    @classmethod
    def create(cls, templates_dir: Path, data_dir: Path, store: FileBackend, *, layout_check: bool = False,
               pdf_after_issue: bool = False, pdf_listeners: int = 1) -> DocumentServices:
        library = TemplateLibrary.load(templates_dir)
        return cls(library, DocumentRenderer(library), store,
                   PdfConverter(data_dir / "lo-profile", listeners=pdf_listeners), data_dir / "pdf-cache",
                   PageRasterizer(),
                   data_dir / "preview-cache", layout_check, pdf_after_issue)


@dataclass
class Subject:
    """What a document is about and where it came from."""

    grid: GridNode
    unit: Unit | None = None
    instance: ProcessInstance | None = None
    step_key: str = ""


def safe_filename(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text).strip("_")[:120] or "document"


def _record(session: Session, docs: DocumentServices, *, template_key: str, context: dict, title: str,
            subject: Subject, user: User | None, now: datetime, status: str, number: str | None,
            previous: Document | None = None, layout_check: bool = True) -> Document:
    spec = docs.library.spec(template_key)
    organ = responsible_party(context, subject.grid)
    properties = CoreProperties(title=strip_breaks(title), author=organ, created=now, identifier=number or "",
                                category=spec.kind)
    try:
        content = docs.renderer.render(template_key, context, properties)
    except ContextError as error:  # the data misses a required field: say which, in Chinese
        raise InvalidInput(str(error)) from error
    outcome = layout_loop.produce(content, docs.pdf, layout=spec.format, check=docs.layout_check and layout_check,
                                  unbroken=docs.renderer.unbroken(template_key, context))
    if outcome.report.status == "failed":
        raise InvalidInput(f"版式检查未通过，文件未印发：{outcome.report.label.removeprefix('未通过：')}。"
                           "请精简正文或调整内容后重新提交。")
    stored = docs.store.put(session, outcome.docx, DOCX, now)
    note_inspection(stored, lambda: inspect_rendered_docx(outcome.docx))
    if outcome.pdf is not None:  # the PDF the verifier read is the one downloads get
        cached = pdf_cache_path(docs, stored.sha256)
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(outcome.pdf)
    document = Document(
        template_key=template_key, kind=spec.kind, title=strip_breaks(title), number=number, status=status,
        file=stored, filename=safe_filename(strip_breaks(f"{number}_{title}" if number else title)) + ".docx",
        issuing_organ=organ,
        grid=subject.grid, unit=subject.unit, instance=subject.instance, step_key=subject.step_key,
        context_json=json.dumps(context, ensure_ascii=False, default=str), created_by=user, created_at=now,
        issued_at=now if status == "issued" else None,
        previous=previous, version=previous.version + 1 if previous else 1,
        layout_check=json.dumps(outcome.report.to_json(), ensure_ascii=False),
    )
    session.add(document)
    session.flush()
    if status == "issued":
        queue_pdfs(session, docs, now)
    return document


def responsible_party(context: dict[str, Any], grid: GridNode | None) -> str:
    """责任者: the body the document's data names (署名, 甲方, 印发机关), else the government of its town
    (an inspection record or an evaluation sheet is the town's work)."""
    organ = organ_in_context(context)
    if organ or grid is None:
        return organ
    town = town_of(grid)
    return organ_name(town) if town is not None else ""


def create_record(session: Session, docs: DocumentServices, *, template_key: str, context: dict, title: str,
                  subject: Subject, user: User | None, now: datetime, layout_check: bool = True) -> Document:
    """A document that carries no number (an inspection record, a letter): issued as it is made.
    ``layout_check=False`` skips the PDF and layout verifier (batches of hundreds of letters)."""
    return _record(session, docs, template_key=template_key, context=context, title=title, subject=subject,
                   user=user, now=now, status="issued", number=None, layout_check=layout_check)


def number_prefix(session: Session, town: GridNode, key: str) -> NumberPrefix:
    """The town's prefix for a kind of document; refused in Chinese until an admin has set it."""
    prefix = session.get(NumberPrefix, (town.id, key))
    if prefix is None:
        raise InvalidInput(f"{town.name}尚未配置“{key}”的发文字号，请管理员在“设置 → 发文字号”中设置。")
    return prefix


def issue(session: Session, docs: DocumentServices, *, template_key: str, context: dict[str, Any], title: str,
          prefix_key: str, subject: Subject, user: User | None, now: datetime,
          number_field: str = "doc_number") -> Document:
    """签发 → 编号 → 印发 in one transaction: allocate the next number, render with it, store it."""
    prefix = number_prefix(session, grid.required_town(subject.grid, "发文编号"), prefix_key)
    allocated = numbering.allocate(session, town_id=prefix.town_id, prefix=prefix.prefix, year=now.year,
                                   grammar=prefix.grammar, now=now)
    # A 第N期 template prints "第{{ issue_no }}期" itself, so it gets the serial (manifest type: integer).
    value = allocated.serial if prefix.grammar == "qi" else allocated.number
    document = _record(session, docs, template_key=template_key, context={**context, number_field: value},
                       title=title, subject=subject, user=user, now=now, status="issued",
                       number=allocated.number if prefix.grammar != "qi" else f"{prefix.prefix}{allocated.number}")
    allocated.document_id = document.id
    session.flush()
    return document


def void(session: Session, document: Document, reason: str) -> None:
    if document.status == "void":
        raise InvalidInput("该文件已作废。")
    if not reason.strip():
        raise InvalidInput("作废必须填写原因。")
    from webapp.models import IssuedNumber

    for allocated in session.query(IssuedNumber).filter_by(document_id=document.id):
        numbering.void(session, allocated, reason)
    document.status, document.void_reason = "void", reason.strip()
    session.flush()


def correct(session: Session, docs: DocumentServices, document: Document, *, context: dict[str, Any],
            user: User | None, now: datetime) -> Document:
    """更正: a new version with the same number that points to the old one; the old one is kept."""
    if document.status != "issued":
        raise InvalidInput("只有已印发的文件可以更正。")
    number_field = "issue_no" if document.number and document.number.endswith("期") else "doc_number"
    if document.number:
        context = {**context, number_field: json.loads(document.context_json).get(number_field, document.number)}
    subject = Subject(document.grid, document.unit, document.instance, document.step_key)
    new = _record(session, docs, template_key=document.template_key, context=context, title=document.title,
                  subject=subject, user=user, now=now, status="issued", number=document.number, previous=document)
    document.status = "superseded"
    session.flush()
    return new


def attach(session: Session, docs: DocumentServices, document: Document, *, content: bytes, name: str,
           media_type: str, role: AttachmentRole, now: datetime) -> DocumentAttachment:
    stored = docs.store.put(session, content, media_type, now)
    note_inspection(stored, lambda: inspect_content(content, name))
    attachment = DocumentAttachment(document=document, file=stored, name=name, role=role, created_at=now)
    session.add(attachment)
    session.flush()
    return attachment


def note_inspection(stored: StoredFile, inspect: Callable[[], Inspection]) -> None:
    """Open a file that goes into the archive once, as it is stored, and keep what was found (the archive
    export packs it without opening it again); bytes stored before keep their record."""
    if stored.inspection is None:
        stored.inspection = inspect().to_json()


def get_attachment(document: Document, attachment_id: int) -> DocumentAttachment:
    found = next((a for a in document.attachments if a.id == attachment_id), None)
    if found is None:
        raise NotFound("附件不存在。")
    return found


def case_documents(session: Session, instance: ProcessInstance) -> list[Document]:
    """With their attachments in one more query (the case and task pages list them under each document)."""
    return list(session.scalars(select(Document).where(Document.instance_id == instance.id)
                                .options(selectinload(Document.attachments)).order_by(Document.id)))


def get_document(session: Session, document_id: int, *, with_grid: bool = False, with_file: bool = False
                 ) -> Document:
    """``with_grid``: its grid in the same statement, for a scope check (a download reads nothing else of it);
    ``with_file``: its stored file's row too (size and type, which a download sends)."""
    options = ((joinedload(Document.grid),) if with_grid else ()) + ((joinedload(Document.file),) if with_file else ())
    return found(session.get(Document, document_id, options=options), "文件不存在。")


def pdf_cache_path(docs: DocumentServices, sha256: str, pdfa: bool = False) -> Path:
    """Where the PDF (or PDF/A) of the DOCX with this hash is cached."""
    return docs.pdf_cache_dir / f"{sha256}{'-a' if pdfa else ''}.pdf"


def _ready_pdf(docs: DocumentServices, document: Document, pdfa: bool) -> Path | str | None:
    """Where the document's PDF already is: its stored PDF/A (a store hash), its cached PDF (a path), or None."""
    if document.pdf_sha256 and docs.store.exists(document.pdf_sha256):
        return document.pdf_sha256
    cached = pdf_cache_path(docs, document.file_sha256, pdfa)
    return cached if cached.exists() else None


def make_missing_pdfs(docs: DocumentServices, documents: list[Document]) -> None:
    """Cache the PDFs of the documents that have neither a stored nor a cached one, in one LibreOffice call
    (a whole 一户一档 or a binder chunk; pdf_bytes then reads them)."""
    missing = list({d.file_sha256: d for d in documents if _ready_pdf(docs, d, False) is None}.values())
    for document, pdf in zip(missing, docs.pdf.convert_many([docs.store.read(d.file_sha256) for d in missing]),
                             strict=True):
        path = pdf_cache_path(docs, document.file_sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf)


def pdf_bytes(docs: DocumentServices, document: Document, pdfa: bool = False) -> bytes:
    """The document's stored PDF/A (made after issuing), else its PDF cached by the DOCX's hash, else one
    made now (raises PdfUnavailable without LibreOffice)."""
    ready = _ready_pdf(docs, document, pdfa)
    if isinstance(ready, Path):
        return ready.read_bytes()
    if ready is not None:
        return docs.store.read(ready)
    pdf = docs.pdf.convert(docs.store.read(document.file_sha256), pdfa=pdfa)
    cached = pdf_cache_path(docs, document.file_sha256, pdfa)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(pdf)
    return pdf


def recheck_layout(session: Session, docs: DocumentServices, document: Document) -> LayoutReport:
    """Verify the layout of a stored document as it was issued (documents issued while the check was off
    or LibreOffice was missing) and store the report; the issued file itself is never changed."""
    spec = docs.library.spec(document.template_key)
    report = verify_layout.verify(docs.store.read(document.file_sha256), pdf_bytes(docs, document),
                                  layout=spec.format)
    document.layout_check = json.dumps(report.to_json(), ensure_ascii=False)
    session.flush()
    return report


def issued_in_year(session: Session, year: int, *, unchecked_only: bool) -> list[Document]:
    """The documents issued in a calendar year (Beijing time), oldest first."""
    start, end = datetime(year, 1, 1, tzinfo=TZ), datetime(year + 1, 1, 1, tzinfo=TZ)
    documents = session.scalars(select(Document).where(Document.status == "issued", Document.issued_at >= start,
                                                       Document.issued_at < end).order_by(Document.id))
    return [d for d in documents if not (unchecked_only and _checked(d))]


def _checked(document: Document) -> bool:
    return bool(document.layout_check) and json.loads(document.layout_check)["status"] != "not_run"


# An issued document is immutable: only voiding (status and reason) may change it. Its layout report and
# its PDF rendition are about the document, not part of it: they are recorded after issuing.
_MUTABLE_AFTER_ISSUE = {"status", "void_reason", "layout_check", "pdf_sha256"}


@event.listens_for(Document, "before_update")
def _refuse_changes_to_issued(mapper, connection, target: Document) -> None:
    state = inspect(target)
    was_issued = state.attrs.status.history.deleted == ["issued"] or (
        not state.attrs.status.history.has_changes() and target.status == "issued")
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()} - _MUTABLE_AFTER_ISSUE
    changed -= {rel.key for rel in mapper.relationships}
    if was_issued and changed:
        raise InvalidInput("已印发的文件不能修改；如需更正，请作废后重新发文。")


# --- the PDF/A of every issued document, made once in the background right after issuing and stored ---
# Issuing queues the "document_pdf" job (one open job serves every document issued meanwhile); it converts
# the issued documents without a stored PDF, a chunk at a time, through the process's LibreOffice listener
# and records each PDF's hash on its document. Downloads and the archive export then read the stored
# file instead of converting on a click. A document LibreOffice cannot convert is logged and passed over
# (the export notes it); without LibreOffice, or with PDF_AFTER_ISSUE off, no job is queued.
PDF_JOB_KIND = "document_pdf"
PDF_CHUNK = 10  # documents per job chunk (a few seconds of LibreOffice), committed together


def queue_pdfs(session: Session, docs: DocumentServices, now: datetime) -> None:
    """After an issue: make sure a job will make the missing PDFs (no job without LibreOffice, or when
    the setting is off)."""
    if docs.pdf_after_issue and docs.pdf.available() and jobs.open_job(session, PDF_JOB_KIND) is None:
        jobs.enqueue(session, kind=PDF_JOB_KIND, now=now, subject=PDF_JOB_KIND)


def _without_pdf(after_id: int):  # noqa: ANN202 - a SQL condition
    return Document.status == "issued", Document.pdf_sha256.is_(None), Document.id > after_id


def missing_pdfs(session: Session, *, after_id: int = 0, limit: int = PDF_CHUNK) -> list[Document]:
    """Issued documents without a stored PDF, oldest first, after the id a job has reached."""
    return list(session.scalars(select(Document).where(*_without_pdf(after_id)).order_by(Document.id).limit(limit)))


def store_pdfs(session: Session, docs: DocumentServices, documents: list[Document], now: datetime) -> list[Document]:
    """Convert to PDF/A and store; returns the documents that got one (raises PdfUnavailable)."""
    try:
        pdfs = docs.pdf.convert_many([docs.store.read(d.file_sha256) for d in documents], pdfa=True)
    except PdfConversionError:
        if len(documents) == 1:
            log.exception("PDF/A of document %s failed; passed over", documents[0].id)
            return []
        return [done for d in documents for done in store_pdfs(session, docs, [d], now)]
    for document, pdf in zip(documents, pdfs, strict=True):
        stored = docs.store.put(session, pdf, PDF, now)
        note_inspection(stored, lambda pdf=pdf: inspect_content(pdf, "document.pdf"))  # pages, PDF/A check
        document.pdf_sha256 = stored.sha256
    session.flush()
    return documents


def _pdf_step(session: Session, job: Job, runtime: Any, now: datetime) -> bool:
    batch = missing_pdfs(session, after_id=job.params.get("after", 0))
    try:
        store_pdfs(session, runtime.documents, batch, now)
    except PdfUnavailable:
        job.phase = "未安装 LibreOffice，未生成 PDF"
        return True
    job.params = {**job.params, "after": batch[-1].id if batch else job.params.get("after", 0)}
    job.done += len(batch)
    job.total = job.done + session.scalar(select(func.count(Document.id)).where(*_without_pdf(job.params["after"])))
    job.phase = f"已生成 {job.done} 份 PDF"
    return len(batch) < PDF_CHUNK


PDF_JOB = jobs.JobKind(PDF_JOB_KIND, "印发文件 PDF 生成", _pdf_step)
