"""一户一档: the unit's file from every procedure's entries, and its export as one DOCX form and one PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import registry
from webapp.cases.registry import UnitEvent
from webapp.documents import unit_file as layout
from webapp.documents.pdf import PdfUnavailable
from webapp.models import Document, GridNode, StoredFile, Unit
from webapp.services.documents import DocumentServices, make_missing_pdfs, pdf_bytes

TEMPLATE = "unit_file"


@dataclass(frozen=True)
class Entry:
    """One entry of the file with the documents it names (those still on record, in the order named)."""

    number: int  # 序号 in time order, the same on the page, in the form and in the PDF's bookmarks
    event: UnitEvent
    documents: tuple[Document, ...]


def entries(session: Session, unit: Unit, *, scope: GridNode) -> list[Entry]:
    """Every procedure's entries for the unit, oldest first, with their documents read in one query; only
    documents the reader may download (their grid inside `scope`, e.g. not a town-level letter for a village
    user), so the export gives no one more than the document pages do."""
    events = registry.unit_events(session, unit)
    ids = {i for event in events for i in event.document_ids}
    found = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))} if ids else {}
    return [Entry(number, event, tuple(found[i] for i in event.document_ids
                                       if i in found and scope.contains(found[i].grid)))
            for number, event in enumerate(events, start=1)]


def photo_keys(file: list[Entry]) -> set[str]:
    """The stored photos the file shows: the only uploads the unit page serves."""
    return {key for entry in file for key in entry.event.photo_keys}


def _documents(file: list[Entry]) -> list[tuple[Entry, Document]]:
    """Each document once, at the first entry that names it."""
    seen: set[int] = set()
    found = []
    for entry in file:
        for document in entry.documents:
            if document.id not in seen:
                seen.add(document.id)
                found.append((entry, document))
    return found


def _photo_refs(session: Session, docs: DocumentServices, file: list[Entry]) -> list[tuple[Entry, str]]:
    """The stored images the entries name, each once, at the first entry that names it."""
    keys = [key for entry in file for key in entry.event.photo_keys]
    images = {f.sha256 for f in session.scalars(select(StoredFile).where(StoredFile.sha256.in_(keys)))
              if f.media_type.startswith("image/")} if keys else set()
    seen: set[str] = set()
    refs = []
    for entry in file:
        for key in entry.event.photo_keys:
            if key in images and key not in seen and docs.store.exists(key):
                seen.add(key)
                refs.append((entry, key))
    return refs


def _photo(docs: DocumentServices, entry: Entry, key: str) -> layout.Photo:
    caption = f"第{entry.number}条 {entry.event.when.date().isoformat()} {entry.event.kind}"
    return layout.Photo(caption, docs.store.read(key))


def summary_context(unit: Unit, file: list[Entry], *, today: date, photo_count: int) -> dict:
    """The `unit_file` template's data: the unit's facts and the entries in time order."""
    return {
        "exported_on": today.isoformat(),
        "unit": {"name": unit.name, "category": unit.category_label, "code": unit.code, "address": unit.address,
                 "grid": unit.grid.display_path(), "responsible_person": unit.responsible_person,
                 "responsible_phone": unit.responsible_phone, "manager": unit.manager,
                 "manager_phone": unit.manager_phone},
        "entries": [{"date": e.event.when.date().isoformat(), "kind": e.event.kind, "summary": e.event.summary,
                     "state": e.event.state} for e in file],
        "document_count": len(_documents(file)), "photo_count": photo_count,
    }


def summary_docx(session: Session, docs: DocumentServices, unit: Unit, *, scope: GridNode, today: date) -> bytes:
    """The summary form alone (what is offered when no PDF can be made)."""
    file = entries(session, unit, scope=scope)
    count = len(_photo_refs(session, docs, file))
    return docs.renderer.render(TEMPLATE, summary_context(unit, file, today=today, photo_count=count))


def export_pdf(session: Session, docs: DocumentServices, unit: Unit, *, scope: GridNode, today: date) -> bytes:
    """The whole file as one PDF: the summary form, every entry's issued documents in time order, the photos.
    The documents' PDFs made after issuing are used as they are; the form, the photo pages and any document
    without a PDF yet are converted here (raises PdfUnavailable without LibreOffice, before any work)."""
    if not docs.pdf.available():
        raise PdfUnavailable()
    file = entries(session, unit, scope=scope)
    photos = [_photo(docs, entry, key) for entry, key in _photo_refs(session, docs, file)]
    sources = [docs.renderer.render(TEMPLATE, summary_context(unit, file, today=today, photo_count=len(photos)))]
    if photos:
        sources.append(layout.photo_appendix(unit.name, photos))
    documents = _documents(file)
    make_missing_pdfs(docs, [document for _, document in documents])
    converted = docs.pdf.convert_many(sources)
    parts = [layout.Part("一户一档", converted[0])]
    parts += [layout.Part(f"第{entry.number}条 {document.number or document.title}", pdf_bytes(docs, document))
              for entry, document in documents]
    if photos:
        parts.append(layout.Part("现场照片", converted[1]))
    return layout.merged(parts)
