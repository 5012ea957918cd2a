"""Batch generation of a campaign's letters as a background job, and the combined print file.

Never twice: a letter row is unique per (campaign, counterparty, revision), a chunk only takes
rows without a document, and the row is bound to its document by a conditional UPDATE
(… WHERE document_id IS NULL) in the same transaction as the document and the job's progress.
"""

from __future__ import annotations

import io
import zipfile
from copy import deepcopy
from datetime import datetime
from typing import Any

from lxml import etree
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from webapp.documents.filters import cn_number
from webapp.documents.pdf import PdfConversionError, PdfUnavailable
from webapp.models.jobs import Job
from webapp.procedures.responsibility_letters.campaigns import TEMPLATE_KEY, get_campaign, letter_context
from webapp.procedures.responsibility_letters.models import LetterCampaign, ResponsibilityLetter
from webapp.services import jobs
from webapp.services.documents import DOCX, PDF, DocumentServices, Subject, create_record

JOB_KIND = "letters.generate"
CHUNK_SIZE = 25
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W}}}"


class DuplicateLetter(RuntimeError):
    """Another worker bound this letter to a document first: the chunk is rolled back."""


def letter_title(campaign: LetterCampaign, letter: ResponsibilityLetter) -> str:
    return f"{campaign.year}年度消防安全目标责任书（{letter.party_b_name}）"


def render_letter(session: Session, docs: DocumentServices, campaign: LetterCampaign, letter: ResponsibilityLetter,
                  now: datetime) -> int:
    """Render, store and bind one letter; returns the document id."""
    document = create_record(
        session, docs, template_key=TEMPLATE_KEY, context=letter_context(campaign, letter),
        title=letter_title(campaign, letter), subject=Subject(letter.grid, letter.unit, None, "generate"),
        user=None, now=now, layout_check=False,  # one LibreOffice run per letter would stall a campaign
    )
    bound = session.execute(
        update(ResponsibilityLetter)
        .where(ResponsibilityLetter.id == letter.id, ResponsibilityLetter.document_id.is_(None))
        .values(document_id=document.id, status="issued")
        .execution_options(synchronize_session=False))
    if bound.rowcount != 1:
        raise DuplicateLetter(f"letter {letter.id} already has a document")
    session.expire(letter)
    return document.id


def generate_chunk(session: Session, docs: DocumentServices, campaign: LetterCampaign, now: datetime,
                   size: int = CHUNK_SIZE) -> int:
    """Render up to `size` letters that have no document yet; returns how many."""
    letters = list(session.scalars(
        select(ResponsibilityLetter)
        .where(ResponsibilityLetter.campaign_id == campaign.id, ResponsibilityLetter.document_id.is_(None),
               ResponsibilityLetter.status == "pending")
        .order_by(ResponsibilityLetter.id).limit(size)))
    for letter in letters:
        render_letter(session, docs, campaign, letter, now)
    return len(letters)


def progress(session: Session, campaign_id: int) -> tuple[int, int]:
    """(letters with a document, letters planned) — excluding re-issued revisions' voided rows."""
    base = select(func.count(ResponsibilityLetter.id)).where(ResponsibilityLetter.campaign_id == campaign_id)
    total = session.scalar(base) or 0
    done = session.scalar(base.where(ResponsibilityLetter.document_id.is_not(None))) or 0
    return done, total


def start_generation(session: Session, campaign: LetterCampaign, now: datetime, chunk_size: int = CHUNK_SIZE) -> Job:
    _, total = progress(session, campaign.id)
    job = jobs.enqueue(session, kind=JOB_KIND, now=now, total=total, subject=f"letter_campaign:{campaign.id}",
                       params={"campaign_id": campaign.id, "chunk": chunk_size},
                       title=f"批量生成责任书：{campaign.title}")
    job.phase = "letters"
    campaign.job, campaign.status = job, "generating"
    session.flush()
    return job


def _step(session: Session, job: Job, services: Any, now: datetime) -> bool:
    """One chunk: letters first, then the combined DOCX, then (if wanted and possible) its PDF."""
    campaign = get_campaign(session, int(job.params["campaign_id"]))
    docs: DocumentServices = services.documents
    if job.phase in ("", "letters"):
        generated = generate_chunk(session, docs, campaign, now, int(job.params.get("chunk", CHUNK_SIZE)))
        job.done, job.total = progress(session, campaign.id)
        if generated == 0:
            job.phase = "combine"
            if campaign.status == "generating":
                campaign.status = "signing"
        return False
    if job.phase == "combine":
        build_combined(session, docs, campaign, now)
        job.phase = "pdf"
        return not campaign.print_pdf
    build_combined_pdf(session, docs, campaign, now)
    return True


JOB = jobs.JobKind(JOB_KIND, "责任书批量生成", _step)


# --- the combined print file -------------------------------------------------------------
def _paragraph(text: str = "", page_break: bool = False) -> etree._Element:
    p = etree.Element(f"{_W}p")
    run = etree.SubElement(p, f"{_W}r")
    if page_break:
        etree.SubElement(run, f"{_W}br").set(f"{_W}type", "page")
    else:
        etree.SubElement(run, f"{_W}t").text = text
    return p


def _body(docx: bytes) -> tuple[etree._Element, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        xml = archive.read("word/document.xml")
    root = etree.fromstring(xml)
    return root, xml


def combine_docx(letters: list[bytes], cover: list[str]) -> bytes:
    """One DOCX: cover lines, then every letter, a page break between (same template, same parts)."""
    base_root, _ = _body(letters[0])
    body = base_root.find(f"{_W}body")
    section = deepcopy(body.find(f"{_W}sectPr"))
    for child in list(body):
        body.remove(child)
    for line in cover:
        body.append(_paragraph(line))
    for docx in letters:
        body.append(_paragraph(page_break=True))
        root, _ = _body(docx)
        for child in root.find(f"{_W}body"):
            if child.tag != f"{_W}sectPr":
                body.append(child)
    body.append(section)
    return _replace_part(letters[0], "word/document.xml", etree.tostring(base_root, xml_declaration=True,
                                                                      encoding="UTF-8", standalone=True))


def _replace_part(docx: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, content if item.filename == name else source.read(item.filename))
    return out.getvalue()


def copies_note(campaign: LetterCampaign, count: int) -> str:
    copies = int(campaign.text.get("copies", 3))
    return (f"共{count}份责任书，每份一式{cn_number(copies)}份（{campaign.text.get('copies_note', '')}），"
            f"每份请打印{copies}份，合计{count * copies}份。")


def build_combined(session: Session, docs: DocumentServices, campaign: LetterCampaign, now: datetime) -> None:
    letters = list(session.scalars(
        select(ResponsibilityLetter).where(ResponsibilityLetter.campaign_id == campaign.id,
                                           ResponsibilityLetter.status.in_(("issued", "signed")))
        .order_by(ResponsibilityLetter.grid_path, ResponsibilityLetter.id)))
    if not letters:
        return
    contents = [docs.store.read(letter.document.file_sha256) for letter in letters]
    note = copies_note(campaign, len(letters))
    cover = [f"{campaign.title}合订打印稿", note, f"生成时间：{now:%Y-%m-%d %H:%M}"]
    stored = docs.store.put(session, combine_docx(contents, cover), DOCX, now)
    campaign.combined_docx_sha256, campaign.combined_pdf_sha256 = stored.sha256, None
    campaign.combined_note, campaign.combined_stale = note, False
    session.flush()


def build_combined_pdf(session: Session, docs: DocumentServices, campaign: LetterCampaign, now: datetime) -> None:
    """PDF of the combined file in one LibreOffice call; without LibreOffice the DOCX is enough."""
    if not campaign.combined_docx_sha256:
        return
    try:
        pdf = docs.pdf.convert_many([docs.store.read(campaign.combined_docx_sha256)])[0]
    except (PdfUnavailable, PdfConversionError) as error:
        campaign.combined_note += f"（未生成PDF：{error}）" if isinstance(error, PdfUnavailable) else "（PDF转换失败）"
        session.flush()
        return
    campaign.combined_pdf_sha256 = docs.store.put(session, pdf, PDF, now).sha256
    session.flush()


def rebuild_combined(session: Session, campaign: LetterCampaign, now: datetime) -> Job:
    """After a re-issue: a job that only rebuilds the combined print file."""
    job = jobs.enqueue(session, kind=JOB_KIND, now=now, total=0, subject=f"letter_campaign:{campaign.id}",
                       params={"campaign_id": campaign.id}, title=f"重新生成合订本：{campaign.title}")
    job.phase = "combine"
    campaign.job = job
    session.flush()
    return job
