"""Writing an export: one folder per item (files, PDF/A, metadata), then the BagIt bag and its zip.

Items are written in small batches: only one batch's DOCX bytes are ever in memory (for the one
LibreOffice call that converts the batch); every other file is copied from the store in chunks.
"""

from __future__ import annotations

import logging
import os
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import bagit
from sqlalchemy.orm import Session, object_session

from webapp.archive.catalogue import CatalogueRow
from webapp.archive.inspect import Inspection, copy_hashed, inspect_file, safe_name
from webapp.archive.metadata import (
    FILE_ROLES,
    SECRECY,
    FileEntry,
    case_history,
    date8,
    document_responsible,
    is_pdfa,
    item_metadata,
    write_metadata,
)
from webapp.archive.models import ArchiveItem
from webapp.archive.report import ArchiveReport
from webapp.clock import TZ
from webapp.documents.pdf import PdfUnavailable
from webapp.models import Document
from webapp.services.documents import DocumentServices, pdf_cache_path, store_pdfs
from webapp.services.file_store import FileStore

STORED_SUFFIXES = {".docx", ".xlsx", ".pdf", ".zip", ".jpg", ".jpeg", ".png"}

log = logging.getLogger(__name__)


class MissingStoredFile(Exception):
    """A file the database records is absent from the file store: the package would be incomplete."""

    def __init__(self, name: str, sha256: str) -> None:
        super().__init__(f"{name} ({sha256}) is missing from the file store")
        self.name, self.sha256 = name, sha256


class PdfStage:
    """PDF/A of each document: the one stored after issuing, else (older documents, or the job has not
    reached them yet) made now and stored the same way; notes what failed."""

    def __init__(self, docs: DocumentServices, enabled: bool = True, now: datetime | None = None) -> None:
        self.docs, self.enabled, self.now = docs, enabled, now or datetime.now(TZ)
        self.notes: list[str] = [] if enabled else ["本次导出按要求未生成 PDF/A，仅含 DOCX 原件。"]

    def cached(self, document: Document) -> Path:
        """A file to pack: the stored PDF/A itself in a local store; from the database store, a copy in the PDF
        cache (made once); a document without one: the cache an export before stored PDFs made."""
        store = self.docs.store
        if document.pdf_sha256 and isinstance(store, FileStore):
            return store.path(document.pdf_sha256)
        cache = pdf_cache_path(self.docs, document.file_sha256, pdfa=True)
        if document.pdf_sha256 and not cache.exists() and store.exists(document.pdf_sha256):
            cache.parent.mkdir(parents=True, exist_ok=True)
            with store.open(document.pdf_sha256) as source, cache.open("wb") as out:
                shutil.copyfileobj(source, out)
        return cache

    def prepare(self, documents: list[Document]) -> None:
        # An absent DOCX is left to the item writer, which names it in the export's failure.
        missing = list({d.file_sha256: d for d in documents
                        if not self.cached(d).exists() and self.docs.store.exists(d.file_sha256)}.values())
        if not self.enabled or not missing:
            return
        try:
            made = store_pdfs(object_session(missing[0]), self.docs, missing, self.now)
            pdfs = {d.file_sha256: d.pdf_sha256 for d in made}
            for document in documents:  # a second document with the same DOCX bytes gets the same PDF/A
                document.pdf_sha256 = document.pdf_sha256 or pdfs.get(document.file_sha256)
        except PdfUnavailable as error:
            self.enabled = False
            self.notes.append(f"{error} 本包仅含 DOCX 原件，页数为估算。")
            return
        note = "部分文件转换 PDF/A 失败，这些件仅含 DOCX。"
        if len(made) < len(missing) and note not in self.notes:
            self.notes.append(note)

    def path(self, document: Document) -> Path | None:
        path = self.cached(document)
        return path if self.enabled and path.exists() else None


@dataclass
class ItemFiles:
    folder: Path
    entries: list[FileEntry] = field(default_factory=list)
    pages: int = 0
    estimated: bool = False


class ItemWriter:
    """Writes one item's folder and reports on each file it writes."""

    def __init__(self, docs: DocumentServices, root: Path, report: ArchiveReport, pdfs: PdfStage,
                 fallback_organ: str = "") -> None:
        self.docs, self.root, self.report, self.pdfs = docs, root, report, pdfs
        self.fallback_organ = fallback_organ  # the 立档单位, for a document neither data nor town names a body for

    def write(self, session: Session, item: ArchiveItem, documents: list[Document]) -> CatalogueRow:
        files = ItemFiles(self.root / safe_name(item.archive_code))
        files.folder.mkdir()
        for index, document in enumerate(documents, start=1):
            self._document(files, index, document)
        history = case_history(session, documents)
        if any(d.instance_id for d in documents) and not history:
            self.report.fail("integrity", f"{item.archive_code}：案件办理过程记录缺失")
        main = documents[0]
        organ = document_responsible(main) or self.fallback_organ
        if not organ:
            self.report.fail("integrity", f"{item.archive_code}：缺少责任者（文件未写明发文机关，也不属于某个镇）")
        metadata = item_metadata(item, documents, files.entries, history, files.pages, files.estimated, organ)
        for path in write_metadata(files.folder, metadata):
            self.report.check_opens(f"{item.archive_code}/{path.name}", inspect_file(path))
        self.report.counts["items"] += 1
        note = "页数为估算" if files.estimated else ""
        return CatalogueRow(0, item.archive_code, main.number or "", organ, main.title,
                            date8(main.issued_at), "" if SECRECY == "无" else SECRECY, files.pages, note)

    def _document(self, files: ItemFiles, index: int, document: Document) -> None:
        stem = safe_name(f"{index:02d}_{document.filename.removesuffix('.docx')}")
        entry = self._copy(files, f"{stem}.docx", "main", document, document.file_sha256, document.file.size,
                           document.filename)
        pages = self._inspect(files, entry)
        pdf = self.pdfs.path(document)
        if pdf is not None:
            pdf_pages = self._inspect(files, self._copy_path(files, f"{stem}.pdf", "pdf", document, pdf))
            pages = pdf_pages if pdf_pages and pdf_pages.pages else pages
        self._add_pages(files, pages)
        for number, attachment in enumerate(document.attachments, start=1):
            name = safe_name(f"{index:02d}_{FILE_ROLES[attachment.role]}{number}_{attachment.name}")
            added = self._copy(files, name, attachment.role, document, attachment.file_sha256, attachment.file.size,
                               attachment.name)
            self._add_pages(files, self._inspect(files, added))

    def _copy(self, files: ItemFiles, name: str, role: str, document: Document, sha256: str,
              size: int, shown_name: str) -> FileEntry:
        label = f"{files.folder.name}/{name}"
        if not self.docs.store.exists(sha256):
            raise MissingStoredFile(shown_name, sha256)
        with self.docs.store.open(sha256) as stream:
            digest, written = copy_hashed(stream, files.folder / name)
        self.report.check_file(label, expected_sha=sha256, sha=digest, expected_size=size, size=written)
        return self._entry(files, name, role, document, written, digest)

    def _copy_path(self, files: ItemFiles, name: str, role: str, document: Document, source: Path) -> FileEntry:
        with source.open("rb") as stream:
            digest, written = copy_hashed(stream, files.folder / name)
        self.report.counts["files"] += 1
        return self._entry(files, name, role, document, written, digest)

    def _entry(self, files: ItemFiles, name: str, role: str, document: Document, size: int,
               digest: str) -> FileEntry:
        entry = FileEntry(name, role, size, digest, document.id)
        files.entries.append(entry)
        return entry

    def _inspect(self, files: ItemFiles, entry: FileEntry) -> Inspection:
        """Open the file (usability), look for macros or programs (security), name its format (PDF/A?)."""
        inspection = inspect_file(files.folder / entry.name)
        label = f"{files.folder.name}/{entry.name}"
        self.report.check_opens(label, inspection)
        entry.format = inspection.format
        if entry.role == "pdf" and inspection.opens and not is_pdfa(inspection.format):
            self.report.notes.append(f"{label}：未通过 PDF/A 检查，按普通 PDF 著录。")
        return inspection

    @staticmethod
    def _add_pages(files: ItemFiles, inspection: Inspection | None) -> None:
        if inspection is not None and inspection.pages:
            files.pages += inspection.pages
            files.estimated = files.estimated or inspection.pages_estimated


def make_bag(folder: Path, info: dict[str, str]) -> bagit.Bag:
    """Turn the folder into a BagIt bag: payload under data/, SHA-256 manifests, bag-info.txt."""
    return bagit.make_bag(str(folder), bag_info=info, processes=1, checksums=["sha256"])


def zip_folder(folder: Path, out: Path) -> None:
    """Zip the bag under one top folder; already-compressed formats are stored, text is deflated."""
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for path in _walk(folder):
            compress = zipfile.ZIP_STORED if path.suffix.lower() in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
            archive.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}", compress_type=compress)
    tmp.replace(out)


def _walk(folder: Path) -> Iterator[Path]:
    """Files in name order, one directory listing at a time."""
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            yield Path(root) / name
