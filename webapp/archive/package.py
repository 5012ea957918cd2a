"""Writing an export in one streaming pass: each item's files, PDF/A and metadata go straight into the
zipped BagIt bag, each file read once from the store and hashed as it is written.

What the 四性检测 needs to know of a file (does it open, macros, pages, PDF/A) was found when the file
was stored and kept on its row; packing proves by the SHA-256 that the bytes are still those. A file
without a record (stored before records were kept), or whose bytes no longer match, is opened here.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from webapp.archive.catalogue import CatalogueRow
from webapp.archive.codes import FiledItem
from webapp.archive.metadata import (
    FILE_ROLES,
    SECRECY,
    CaseHistories,
    FileEntry,
    date8,
    document_responsible,
    is_pdfa,
    item_metadata,
    metadata_files,
)
from webapp.archive.report import ArchiveReport
from webapp.clock import TZ
from webapp.documents.inspection import CHUNK, Inspection, inspect_file, recorded, safe_name
from webapp.documents.pdf import PdfUnavailable
from webapp.models import Document, StoredFile
from webapp.services.documents import DocumentServices, pdf_cache_path, store_pdfs
from webapp.services.file_store import FileStore
from webapp.services.storage.backends import FileBackend

CONVERT_BATCH = 20  # documents per LibreOffice call (the PDF/A the job has not made yet): bounds the DOCX bytes held
STORED_SUFFIXES = {".docx", ".xlsx", ".pdf", ".zip", ".jpg", ".jpeg", ".png"}
# Smaller text is stored too: an item's metadata (a few kB) deflates only to about half, and each deflated
# member costs zlib a fresh ~256 kB state, which was a tenth of an export's time (+2% package size).
DEFLATE_FROM = 64 * 1024
MANIFEST_CHUNK = 1 << 16  # the manifest (a line per file) is copied into the zip in the memory a small one takes

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
        self.rows: dict[str, StoredFile] = {}  # the stored PDF/A rows of the batch being written

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
        for start in range(0, len(documents), CONVERT_BATCH):
            if self.enabled:  # a conversion may find LibreOffice missing: the rest are not tried
                self._convert_missing(documents[start:start + CONVERT_BATCH])
        if self.enabled:
            self._load_rows(documents)

    def _convert_missing(self, documents: list[Document]) -> None:
        # An absent DOCX is left to the item writer, which names it in the export's failure.
        missing = list({d.file_sha256: d for d in documents
                        if not self.cached(d).exists() and self.docs.store.exists(d.file_sha256)}.values())
        if not missing:
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

    def _load_rows(self, documents: list[Document]) -> None:
        """The batch's PDF/A rows in one query (each records what opening its PDF found)."""
        hashes = {d.pdf_sha256 for d in documents if d.pdf_sha256}
        session = object_session(documents[0]) if documents else None
        self.rows = {} if session is None or not hashes else {
            row.sha256: row for row in session.scalars(select(StoredFile).where(StoredFile.sha256.in_(hashes)))}

    def source(self, document: Document) -> tuple[Path | None, StoredFile | None]:
        """The PDF/A to pack: the stored one (and its row, which records its inspection) when the store holds
        it, else the cached file an export before stored PDFs made; (None, None) without either."""
        if not self.enabled:
            return None, None
        path = self.cached(document)
        if not path.exists():
            return None, None
        return path, self.rows.get(document.pdf_sha256 or "")


@dataclass
class ItemFiles:
    folder: str  # the item's folder in the bag's payload
    entries: list[FileEntry] = field(default_factory=list)
    pages: int = 0
    estimated: bool = False


class BagZip:
    """A BagIt bag written straight into a zip under one top folder: each payload file is hashed as it goes
    in (its only read), the manifest lines and zipfile's list of members wait in temporary files (memory
    stays flat however many items), and the tag files and manifests close the zip. Already-compressed formats
    and small files are stored, larger text deflated."""

    def __init__(self, out: Path, top: str, now: datetime) -> None:
        self.out, self.top = out, top
        self._part = out.with_name(out.name + ".part")
        self._zip = zipfile.ZipFile(self._part, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._members = _SpooledMembers()
        self._zip.filelist, self._zip.NameToInfo = self._members, _NoNames()  # type: ignore[assignment]
        self._manifest: IO[bytes] = tempfile.TemporaryFile(prefix="firegrid-manifest-")  # noqa: SIM115 - closed in close/abort
        self._date = now.timetuple()[:6]
        self.payload_bytes = self.payload_files = 0

    def _info(self, name: str, size: int | None = None) -> zipfile.ZipInfo:
        """`size`: of a member written whole (unknown for a stream)."""
        info = zipfile.ZipInfo(f"{self.top}/{name}", self._date)
        stored = os.path.splitext(name)[1].lower() in STORED_SUFFIXES or (size is not None and size < DEFLATE_FROM)
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def add_stream(self, name: str, source: BinaryIO, size_hint: int = 0) -> tuple[str, int]:
        """Copy a payload file (`name` under data/) in chunks; returns the SHA-256 and size of what went in."""
        digest, size = hashlib.sha256(), 0
        with self._zip.open(self._info(f"data/{name}"), "w", force_zip64=size_hint > 1 << 30) as target:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
        return self._listed(name, digest.hexdigest(), size)

    def add_bytes(self, name: str, content: bytes) -> tuple[str, int]:
        self._zip.writestr(self._info(f"data/{name}", len(content)), content)
        return self._listed(name, hashlib.sha256(content).hexdigest(), len(content))

    def add_file(self, name: str, path: Path) -> tuple[str, int]:
        with path.open("rb") as source:
            return self.add_stream(name, source, path.stat().st_size)

    def _listed(self, name: str, digest: str, size: int) -> tuple[str, int]:
        self._manifest.write(f"{digest}  data/{name}\n".encode())
        self.payload_bytes += size
        self.payload_files += 1
        return digest, size

    def close(self, info: dict[str, str]) -> None:
        """bagit.txt, bag-info.txt (with Payload-Oxum), the payload manifest and the tag manifest; then the zip
        takes the package's name."""
        info = {**info, "Bag-Software-Agent": "Firegrid",
                "Payload-Oxum": f"{self.payload_bytes}.{self.payload_files}"}
        tags = [self._tag("bagit.txt", b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n"),
                self._tag("bag-info.txt", "".join(f"{key}: {_one_line(info[key])}\n" for key in sorted(info)).encode())]
        self._manifest.seek(0)
        digest = hashlib.sha256()
        with self._zip.open(self._info("manifest-sha256.txt"), "w", force_zip64=True) as target:
            while chunk := self._manifest.read(MANIFEST_CHUNK):
                digest.update(chunk)
                target.write(chunk)
        tags.append(f"{digest.hexdigest()} manifest-sha256.txt\n")
        self._zip.writestr(self._info("tagmanifest-sha256.txt"), "".join(tags).encode())
        self._manifest.close()
        self._zip.close()
        self._members.close()
        self._part.replace(self.out)

    def _tag(self, name: str, content: bytes) -> str:
        self._zip.writestr(self._info(name), content)
        return f"{hashlib.sha256(content).hexdigest()} {name}\n"

    def abort(self) -> None:
        self._manifest.close()
        self._zip.close()
        self._members.close()
        self._part.unlink(missing_ok=True)


class _SpooledMembers:
    """The zip's list of members (ZipInfo) kept in a temporary file instead of memory.

    zipfile holds a ZipInfo per member until close writes them as the central directory: ~0.5 kB a member,
    3.5 members an item, the largest part of what an export's memory grew by. While writing, zipfile only
    appends to this list and counts it; at close it reads it once, in order (`_write_end_record`), so pickled
    entries read back in order serve it, and the zip's bytes stay zipfile's own. Tests pin the package valid.
    """

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="firegrid-zipdir-")  # noqa: SIM115 - closed in close
        self._count = 0

    def append(self, info: zipfile.ZipInfo) -> None:
        pickle.dump(info, self._file, pickle.HIGHEST_PROTOCOL)
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[zipfile.ZipInfo]:
        self._file.seek(0)
        for _ in range(self._count):
            yield pickle.load(self._file)  # noqa: S301 - our own file, written just before
        self._file.seek(0, os.SEEK_END)

    def close(self) -> None:
        self._file.close()


class _NoNames(dict):
    """zipfile's name → ZipInfo index, kept empty: it serves reading, and while writing only a warning about a
    repeated name (the bag's names are unique: each item's folder is its 档号, whose repeats the report fails)."""

    def __setitem__(self, name: str, info: zipfile.ZipInfo) -> None:
        pass


def _one_line(value: str) -> str:
    return str(value).replace("\r", "").replace("\n", "")


@contextmanager
def _on_disk(store: FileBackend, sha256: str, suffix: str) -> Iterator[Path]:
    """The stored bytes as a file to open: the local store's own file, else a temporary copy."""
    if isinstance(store, FileStore):
        yield store.path(sha256)
        return
    with tempfile.TemporaryDirectory(prefix="firegrid-archive-") as work:
        path = Path(work) / f"file{suffix}"
        with store.open(sha256) as source, path.open("wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
        yield path


class ItemWriter:
    """Writes one item's files and metadata into the bag and reports on each file it writes."""

    def __init__(self, docs: DocumentServices, bag: BagZip, report: ArchiveReport, pdfs: PdfStage,
                 fallback_organ: str = "") -> None:
        self.docs, self.bag, self.report, self.pdfs = docs, bag, report, pdfs
        self.fallback_organ = fallback_organ  # the 立档单位, for a document neither data nor town names a body for
        self.histories: CaseHistories = {}  # the events of the batch's cases (`metadata.case_histories`)
        self.organs: dict[int, str] = {}  # the batch's documents' 责任者 by id, as planning read them (`items`)

    def write(self, session: Session, item: FiledItem, documents: list[Document]) -> CatalogueRow:
        files = ItemFiles(safe_name(item.archive_code))
        for index, document in enumerate(documents, start=1):
            self._document(files, index, document)
        history = merged_history(self.histories, documents)
        if any(d.instance_id for d in documents) and not history:
            self.report.fail("integrity", f"{item.archive_code}：案件办理过程记录缺失")
        main = documents[0]
        organs = [self.organs[d.id] if d.id in self.organs else document_responsible(d) for d in documents]
        organ = organs[0] or self.fallback_organ
        if not organ:
            self.report.fail("integrity", f"{item.archive_code}：缺少责任者（文件未写明发文机关，也不属于某个镇）")
        metadata = item_metadata(item, documents, organs, files.entries, history, files.pages, files.estimated,
                                 organ)
        for name, content in metadata_files(metadata):
            _, size = self.bag.add_bytes(f"{files.folder}/{name}", content)
            self.report.check_opens(f"{item.archive_code}/{name}", Inspection(size > 0, "" if size else "空文件"))
        self.report.counts["items"] += 1
        note = "页数为估算" if files.estimated else ""
        return CatalogueRow(0, item.archive_code, main.number or "", organ, main.title,
                            date8(main.issued_at), "" if SECRECY == "无" else SECRECY, files.pages, note)

    def _document(self, files: ItemFiles, index: int, document: Document) -> None:
        stem = safe_name(f"{index:02d}_{document.filename.removesuffix('.docx')}")
        pages = self._stored(files, f"{stem}.docx", "main", document, document.file, document.filename)
        pdf, row = self.pdfs.source(document)
        if pdf is not None:
            pdf_pages = self._pdf(files, f"{stem}.pdf", document, pdf, row)
            pages = pdf_pages if pdf_pages and pdf_pages.pages else pages
        self._add_pages(files, pages)
        for number, attachment in enumerate(document.attachments, start=1):
            name = safe_name(f"{index:02d}_{FILE_ROLES[attachment.role]}{number}_{attachment.name}")
            self._add_pages(files, self._stored(files, name, attachment.role, document, attachment.file,
                                                attachment.name))

    def _stored(self, files: ItemFiles, name: str, role: str, document: Document, stored: StoredFile,
                shown_name: str) -> Inspection:
        """Pack a stored file, check its hash and size against its row, and report what opening it found."""
        label = f"{files.folder}/{name}"
        if not self.docs.store.exists(stored.sha256):
            raise MissingStoredFile(shown_name, stored.sha256)
        with self.docs.store.open(stored.sha256) as stream:
            digest, written = self.bag.add_stream(label, stream, stored.size)
        self.report.check_file(label, expected_sha=stored.sha256, sha=digest, expected_size=stored.size,
                               size=written)
        entry = self._entry(files, name, role, document, written, digest)
        intact = digest == stored.sha256 and written == stored.size
        inspection = recorded(stored.inspection, name) if intact else None
        if inspection is None:  # no record yet, or bytes that are not the ones recorded: open them now
            with _on_disk(self.docs.store, stored.sha256, Path(name).suffix.lower()) as path:
                inspection = _opened(path, name)
            if intact:  # the next export reads it
                stored.inspection = inspection.to_json()
        return self._inspected(label, entry, inspection)

    def _pdf(self, files: ItemFiles, name: str, document: Document, source: Path,
             stored: StoredFile | None) -> Inspection:
        label = f"{files.folder}/{name}"
        digest, written = self.bag.add_file(label, source)
        self.report.counts["files"] += 1
        entry = self._entry(files, name, "pdf", document, written, digest)
        intact = stored is not None and digest == stored.sha256
        inspection = recorded(stored.inspection, name) if intact else None
        if inspection is None:
            inspection = _opened(source, name)
            if intact:
                stored.inspection = inspection.to_json()
        return self._inspected(label, entry, inspection)

    def _entry(self, files: ItemFiles, name: str, role: str, document: Document, size: int,
               digest: str) -> FileEntry:
        entry = FileEntry(name, role, size, digest, document.id)
        files.entries.append(entry)
        return entry

    def _inspected(self, label: str, entry: FileEntry, inspection: Inspection) -> Inspection:
        """Report the file as opened (usability), with any macro or program (security); name its format."""
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


def _opened(path: Path, name: str) -> Inspection:
    """Open a file that is packed as `name` (the suffix decides how; a stored file's own has none)."""
    if path.suffix.lower() == Path(name).suffix.lower():
        return inspect_file(path)
    with tempfile.TemporaryDirectory(prefix="firegrid-archive-") as work:
        named = Path(work) / f"file{Path(name).suffix.lower()}"
        shutil.copyfile(path, named)
        return inspect_file(named)


def merged_history(histories: CaseHistories, documents: list[Document]) -> list[dict[str, Any]]:
    """Every event of the cases these documents came from, oldest first."""
    cases = {d.instance_id for d in documents if d.instance_id}
    events = sorted(event for case in cases for event in histories.get(case, []))
    return [event for _, event in events]
