"""台账汇编 (the year's ledger binder): one PDF of a town's issued documents of a year, section by section,
with a cover, a page-numbered contents and bookmarks, made by a background job.

Which section a document belongs to is its procedure's `binder_section` (by the case that issued it, or, for
a document issued without a case such as a batch-made 责任书, by the templates the procedure files). The
job's plan (the document ids in order) is fixed when it is queued and kept in the job; each chunk converts a
few documents into the PDF cache (on disk, kept across restarts) and counts them in `job.done`, so a job
taken over after a restart goes on from there. The last chunk makes the pages that are no issued document
(the town's 网格图, the procedures' register lists: `Procedure.binder_parts`), binds the PDF and stores it in
the file store.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import registry, supervision
from webapp.clock import TZ
from webapp.documents import grid_chart
from webapp.documents import ledger_binder as layout
from webapp.documents.pdf import PdfUnavailable
from webapp.models import Document, GridNode, Job, ProcessInstance, User
from webapp.services import grid, jobs
from webapp.services.documents import PDF, DocumentServices, make_missing_pdfs, pdf_bytes
from webapp.services.errors import InvalidInput, NotFound

ORGANISATION = "组织机构与网格"
# The binder's sections in the order the county reads them; procedures name theirs (binder_section).
SECTIONS = (ORGANISATION, "责任书", "会议纪要", "检查与整改", "宣传培训", "考评", "通知与通报")
KIND = "ledger_binder"
CHUNK = 5  # documents converted per chunk: one LibreOffice call, a few seconds
CONTENTS_TEMPLATE = "ledger_binder_contents"


@dataclass(frozen=True)
class Progress:
    label: str
    percent: int
    done: int
    total: int


def _section_of(document: Document, sections: dict[str, str], templates: dict[str, str]) -> str:
    if document.template_key == supervision.SHEET:  # a 督办单 follows a step up; it is no record of the work
        return ""
    if document.instance is not None:
        return sections.get(document.instance.procedure, "")
    return templates.get(document.template_key, "")


def plan(session: Session, town: GridNode, year: int, chosen: list[str]) -> list[tuple[str, list[int]]]:
    """The chosen sections in binder order, each with its issued documents of the year (oldest first)."""
    procedures = [p for p in registry.all_procedures() if p.binder_section]
    by_procedure = {p.key: p.binder_section for p in procedures}
    by_template = {key: p.binder_section for p in procedures for key in p.retention}
    start, end = datetime(year, 1, 1, tzinfo=TZ), datetime(year + 1, 1, 1, tzinfo=TZ)
    stmt = (select(Document).join(Document.grid).outerjoin(ProcessInstance, Document.instance_id == ProcessInstance.id)
            .where(Document.status == "issued", Document.issued_at >= start, Document.issued_at < end,
                   GridNode.path.startswith(town.path)).order_by(Document.issued_at, Document.id))
    found: dict[str, list[int]] = {title: [] for title in SECTIONS}
    for document in session.scalars(stmt):
        section = _section_of(document, by_procedure, by_template)
        if section in found:
            found[section].append(document.id)
    return [(title, found[title]) for title in SECTIONS if title in chosen]


def _town(user: User) -> GridNode:
    """The town whose binder the user makes and reads: a town-level user's own (a village user's is refused)."""
    town = grid.required_town(user.scope, "台账汇编")
    grid.ensure_in_scope(user, town)
    return town


def queue(session: Session, docs: DocumentServices, *, user: User, year: int, chosen: list[str],
          now: datetime) -> Job:
    """Queue the binder of the user's town (the caller commits); refused without LibreOffice or sections."""
    town = _town(user)
    if not docs.pdf.available():
        raise PdfUnavailable("服务器未安装 PDF 转换组件（LibreOffice），不能生成台账汇编。")
    if not chosen or set(chosen) - set(SECTIONS):
        raise InvalidInput("请至少选择一个汇编类别。", field="sections")
    steps = plan(session, town, year, chosen)
    total = sum(len(ids) for _title, ids in steps) + 1  # the last chunk binds
    params = {"town_id": town.id, "year": year, "user_id": user.id, "plan": steps}
    return jobs.enqueue(session, kind=KIND, now=now, params=params, total=total, subject=f"{KIND}:{town.id}",
                        title=f"{town.name}{year}年度台账汇编")


def _flat(job: Job) -> list[int]:
    return [document_id for _title, ids in job.params["plan"] for document_id in ids]


def _convert_chunk(session: Session, docs: DocumentServices, job: Job) -> None:
    """The PDFs of the next CHUNK documents, made where none is stored or cached yet."""
    ids = _flat(job)[job.done:job.done + CHUNK]
    documents = [d for d in session.scalars(select(Document).where(Document.id.in_(ids)))]
    make_missing_pdfs(docs, documents)
    job.done, job.phase = job.done + len(ids), "转换文件"


def _part(docs: DocumentServices, document: Document) -> layout.Part:
    title = f"{document.number} {document.title}" if document.number else document.title
    return layout.Part(title, pdf_bytes(docs, document))


def _chart(session: Session, user: User, town: GridNode, today: date) -> registry.BinderPart:
    root, committee = grid.chart(session, user, town)
    title = f"{town.name}消防安全网格化管理工作运行网格图"
    made_on = f"{today.year}年{today.month}月{today.day}日"
    return registry.BinderPart(ORGANISATION, title, grid_chart.grid_chart_document(root, title, committee, made_on))


def _made_at_binding(session: Session, docs: DocumentServices, job: Job, town: GridNode,
                     today: date) -> dict[str, list[layout.Part]]:
    """The pages made now, by section: the town's 网格图 and the procedures' register lists (one LibreOffice
    call for all of them)."""
    chosen = {title for title, _ids in job.params["plan"]}
    made = [p for p in registry.binder_parts(session, town, job.params["year"], today) if p.section in chosen]
    user = session.get(User, job.params["user_id"])
    if ORGANISATION in chosen and user is not None:
        made.insert(0, _chart(session, user, town, today))
    found: dict[str, list[layout.Part]] = {}
    for part, pdf in zip(made, docs.pdf.convert_many([p.docx for p in made]), strict=True):
        found.setdefault(part.section, []).append(layout.Part(part.title, pdf))
    return found


def _sections(session: Session, docs: DocumentServices, job: Job, town: GridNode, today: date) -> list[layout.Section]:
    made = _made_at_binding(session, docs, job, town, today)
    sections = []
    for title, ids in job.params["plan"]:
        documents = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))} if ids else {}
        parts = made.get(title, []) + [_part(docs, documents[i]) for i in ids if i in documents]
        sections.append(layout.Section(title, tuple(parts)))
    return sections


def _contents(docs: DocumentServices, town: GridNode, year: int, sections: list[layout.Section],
              today: date) -> bytes:
    """The cover and contents PDF, rendered until the page count it assumed is the one it has."""
    pages = 2
    for _attempt in range(4):
        context = {"town": town.name, "year": year, "organ": grid.organ_name(town), "made_on": today.isoformat(),
                   "entries": layout.contents_entries(sections, pages)}
        pdf = docs.pdf.convert(docs.renderer.render(CONTENTS_TEMPLATE, context))
        got = len(PdfReader(io.BytesIO(pdf)).pages)
        if got == pages:
            return pdf
        pages = got
    raise RuntimeError("the binder's contents do not settle on a page count")


def _bind(session: Session, docs: DocumentServices, job: Job, now: datetime) -> None:
    town = grid.get_node(session, job.params["town_id"])
    year = job.params["year"]
    job.phase = "装订"
    sections = _sections(session, docs, job, town, now.date())
    binder = layout.bind(_contents(docs, town, year, sections, now.date()), sections)
    stored = docs.store.put(session, binder, PDF, now)
    job.done = job.total
    job.result = {"sha256": stored.sha256, "filename": f"{town.name}{year}年度消防安全网格化管理台账.pdf",
                  "pages": len(PdfReader(io.BytesIO(binder)).pages)}


def _step(session: Session, job: Job, runtime: Any, now: datetime) -> bool:
    if job.done < len(_flat(job)):
        _convert_chunk(session, runtime.documents, job)
        return False
    _bind(session, runtime.documents, job, now)
    return True


JOB = jobs.JobKind(KIND, "台账汇编", _step)


def town_jobs(session: Session, user: User) -> list[Job]:
    """The binders of the user's town, newest first."""
    town = _town(user)
    stmt = select(Job).where(Job.kind == KIND, Job.subject == f"{KIND}:{town.id}").order_by(Job.id.desc())
    return list(session.scalars(stmt.limit(20)))


def get_job(session: Session, user: User, job_id: int) -> Job:
    """A binder job of the user's town (another town's is not found)."""
    town = _town(user)
    job = session.get(Job, job_id)
    if job is None or job.kind != KIND or job.params.get("town_id") != town.id:
        raise NotFound("台账汇编不存在。")
    return job


def progress(job: Job) -> Progress:
    label = {"pending": "排队中", "done": "已完成"}.get(job.status, job.phase or job.status_label)
    return Progress(label if job.status not in ("failed", "cancelled") else job.status_label, job.percent,
                    job.done, job.total)


def result_pdf(docs: DocumentServices, job: Job) -> tuple[bytes, str]:
    if job.status != "done":
        raise NotFound("台账汇编尚未生成。")
    return docs.store.read(job.result["sha256"]), job.result["filename"]
