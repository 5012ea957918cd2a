"""Where stored files' bytes live: the backend setting (FIREGRID_FILE_STORE) and moving files between backends.

`local` (default): a folder in the data dir (`file_store.FileStore`). `database`: chunks in the database
(`storage.database.DatabaseFileStore`), so several app hosts share nothing but the database. Both keep a file
once by its SHA-256 and keep the store's guarantees: a rollback removes what it stored, no orphan files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import StoredFile
from webapp.services.file_store import FileStore
from webapp.services.storage.database import CHUNK_SIZE, DatabaseFileStore

BACKENDS = ("local", "database")


class FileBackend(Protocol):
    def put(self, session: Session, content: bytes, media_type: str, now: datetime) -> StoredFile: ...
    def read(self, sha256: str) -> bytes: ...
    def open(self, sha256: str) -> BinaryIO: ...
    def exists(self, sha256: str) -> bool: ...
    def verify(self, sha256: str) -> bool: ...
    def adopt(self, session: Session, sha256: str, chunks: Iterator[bytes]) -> bool: ...
    def discard(self, session: Session, sha256: str) -> None: ...


def build(kind: str, data_dir: Path, session_source: Callable[[], Session]) -> FileBackend:
    if kind == "local":
        return FileStore(Path(data_dir) / "files")
    if kind == "database":
        return DatabaseFileStore(session_source)
    raise ValueError(f"FIREGRID_FILE_STORE must be one of {', '.join(BACKENDS)}, not {kind!r}")


@dataclass
class MoveReport:
    copied: int = 0
    already: int = 0  # the target had the file, with the right hash
    missing: list[str] = field(default_factory=list)  # rows whose bytes neither backend holds
    corrupt: list[str] = field(default_factory=list)  # bytes that do not hash to their name

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupt


def _stored_hashes(session: Session, page: int = 500) -> Iterator[str]:
    """Every stored file's hash, a page at a time (keyset), so the list is never held whole."""
    last = ""
    while names := session.scalars(select(StoredFile.sha256).where(StoredFile.sha256 > last)
                                   .order_by(StoredFile.sha256).limit(page)).all():
        yield from names
        last = names[-1]


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK_SIZE):
        yield chunk


def move_file(session: Session, source: FileBackend, target: FileBackend, sha256: str, report: MoveReport) -> bool:
    """Copy one file, hashing it on the way and verifying the copy; True when the target now holds it."""
    if target.verify(sha256):
        report.already += 1
        return True
    if not source.exists(sha256):
        report.missing.append(sha256)
        return False
    with source.open(sha256) as stream:
        kept = target.adopt(session, sha256, _chunks(stream))
    session.commit()
    if not (kept and target.verify(sha256)):
        report.corrupt.append(sha256)
        return False
    report.copied += 1
    return True


def move_all(session: Session, source: FileBackend, target: FileBackend, *, remove_source: bool = False,
             progress: Callable[[int], None] | None = None) -> MoveReport:
    """Copy every stored file from `source` to `target` (one commit per file) and verify each SHA-256;
    with `remove_source`, a file leaves the source once its copy is verified."""
    report = MoveReport()
    for count, sha256 in enumerate(_stored_hashes(session), start=1):
        if move_file(session, source, target, sha256, report) and remove_source:
            source.discard(session, sha256)
            session.commit()
        if progress is not None and count % 100 == 0:
            progress(count)
    return report
