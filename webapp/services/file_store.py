"""Content-addressed local store: every file once, under its SHA-256, in the data dir (the default
backend; `webapp.services.storage.backends` picks it or the database store).

Files written during a transaction that rolls back are removed again, so a failed step
leaves no orphan file behind. Two transactions may store the same bytes at once: the row is
inserted with ON CONFLICT DO NOTHING (the second waits for the first instead of failing), and
after a commit every file the transaction stored is written again if another transaction's
rollback removed it meanwhile, and a rollback writes back a removed file whose row another
transaction committed meanwhile.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from webapp.models import StoredFile

_NEW_FILES = "firegrid_new_files"
_STORED = "firegrid_stored_files"  # {path: bytes} of every put() in the transaction


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._root = str(self.root)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _name(self, sha256: str) -> str:
        """path() as a string, for reading: an export reads every file of a year, and pathlib interns each part
        (the interpreter's table of them grows by megabytes) at several times the cost."""
        return os.path.join(self._root, sha256[:2], sha256[2:4], sha256)

    def read(self, sha256: str) -> bytes:
        with open(self._name(sha256), "rb") as stream:
            return stream.read()

    def exists(self, sha256: str) -> bool:
        return os.path.exists(self._name(sha256))

    def open(self, sha256: str) -> BinaryIO:
        """The file for reading in pieces (FileNotFoundError when absent)."""
        return open(self._name(sha256), "rb")  # noqa: SIM115 - the caller closes it

    def adopt(self, session: Session, sha256: str, chunks: Iterator[bytes]) -> bool:
        """Keep the bytes of a file whose row exists (moved here from another backend), written as they
        come; False, keeping nothing, when they do not hash to `sha256`."""
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as temp:
            for chunk in chunks:
                digest.update(chunk)
                temp.write(chunk)
        if digest.hexdigest() != sha256:
            os.unlink(temp_name)
            return False
        os.replace(temp_name, target)
        return True

    def discard(self, session: Session, sha256: str) -> None:
        """Remove the bytes (after they were moved to another backend); the row stays."""
        self.path(sha256).unlink(missing_ok=True)

    def _write(self, sha256: str, content: bytes) -> bool:
        """Atomic write (temp file + rename); False when the file was already there."""
        target = self.path(sha256)
        if target.exists():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        with os.fdopen(handle, "wb") as temp:
            temp.write(content)
        os.replace(temp_name, target)
        return True

    def put(self, session: Session, content: bytes, media_type: str, now: datetime) -> StoredFile:
        sha256 = hashlib.sha256(content).hexdigest()
        if self._write(sha256, content):
            session.info.setdefault(_NEW_FILES, []).append(self.path(sha256))
        session.info.setdefault(_STORED, {})[self.path(sha256)] = content
        record = session.get(StoredFile, sha256)
        if record is None:
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            session.execute(insert(StoredFile).values(sha256=sha256, size=len(content), media_type=media_type,
                                                      created_at=now).on_conflict_do_nothing())
            record = session.get(StoredFile, sha256)
        return record

    def verify(self, sha256: str) -> bool:
        path = self.path(sha256)
        return path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256


@event.listens_for(Session, "after_commit")
def _keep_stored_files(session: Session) -> None:
    session.info.pop(_NEW_FILES, None)
    for path, content in session.info.pop(_STORED, {}).items():
        if not path.exists():  # another transaction wrote it first, then rolled back and removed it
            FileStore(path.parents[2])._write(path.name, content)


@event.listens_for(Session, "after_rollback")
def _remove_new_files(session: Session) -> None:
    stored = session.info.pop(_STORED, {})
    new_files = session.info.pop(_NEW_FILES, [])
    for path in new_files:
        path.unlink(missing_ok=True)
    if new_files:
        _restore_committed(session, new_files, stored)


def _restore_committed(session: Session, paths: list[Path], stored: dict[Path, bytes]) -> None:
    """Another transaction may have stored the same bytes and committed in the moment between this
    rollback and the removal above (its own after-commit check found the file still there): write back
    every removed file whose row is now committed."""
    with session.get_bind().connect() as connection:
        committed = set(connection.scalars(select(StoredFile.sha256).where(
            StoredFile.sha256.in_([path.name for path in paths]))))
    for path in paths:
        if path.name in committed and path in stored:
            FileStore(path.parents[2])._write(path.name, stored[path])
