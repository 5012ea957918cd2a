"""Content-addressed store in the database (FIREGRID_FILE_STORE=database): app hosts share nothing but it.

A file's bytes are rows of `stored_file_chunk` (1 MiB each) beside its `stored_file` row, written in the
same transaction: a rollback takes both away, so no orphan bytes and no row without bytes, with no
after-commit bookkeeping. Two transactions storing the same new bytes: the second's ON CONFLICT insert
waits for the first; if the first commits, its chunks are there; if it rolls back, the second writes them.
Reads go through the current session (`session_source`), so a step reads a file it stored moments ago,
before its commit; `open` fetches one chunk per query, so memory stays flat whatever the file's size.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from webapp.models import StoredFile, StoredFileChunk

CHUNK_SIZE = 1024 * 1024


def _insert(session: Session, table):  # noqa: ANN001, ANN202
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)


def _pieces(content: bytes) -> Iterator[bytes]:
    return (content[start:start + CHUNK_SIZE] for start in range(0, len(content), CHUNK_SIZE))


class ChunkReader(io.RawIOBase):
    """A stored file as a readable stream, one chunk query at a time."""

    def __init__(self, session: Session, sha256: str) -> None:
        super().__init__()
        self.session, self.sha256, self.seq, self.buffer = session, sha256, 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:  # noqa: ANN001
        if not self.buffer:
            chunk = self.session.scalar(select(StoredFileChunk.data).where(
                StoredFileChunk.sha256 == self.sha256, StoredFileChunk.seq == self.seq))
            if chunk is None:
                return 0
            self.buffer, self.seq = bytes(chunk), self.seq + 1
        size = min(len(target), len(self.buffer))
        target[:size] = self.buffer[:size]
        self.buffer = self.buffer[size:]
        return size


class DatabaseFileStore:
    def __init__(self, session_source: Callable[[], Session]) -> None:
        self.session_source = session_source

    def put(self, session: Session, content: bytes, media_type: str, now: datetime) -> StoredFile:
        sha256 = hashlib.sha256(content).hexdigest()
        if session.get(StoredFile, sha256) is None:
            session.execute(_insert(session, StoredFile).values(
                sha256=sha256, size=len(content), media_type=media_type, created_at=now).on_conflict_do_nothing())
        if not self._has(session, sha256):
            self._write(session, sha256, _pieces(content))
        return session.get(StoredFile, sha256)

    def adopt(self, session: Session, sha256: str, chunks: Iterator[bytes]) -> bool:
        """Keep the bytes of a file whose row exists (moved here from another backend), flushing each
        chunk as it comes; False, keeping nothing (savepoint rolled back), when they do not hash to `sha256`."""
        digest = hashlib.sha256()

        def hashed() -> Iterator[bytes]:
            for chunk in chunks:
                digest.update(chunk)
                yield chunk

        savepoint = session.begin_nested()
        self._write(session, sha256, hashed())
        if digest.hexdigest() != sha256:
            savepoint.rollback()
            return False
        savepoint.commit()
        return True

    def discard(self, session: Session, sha256: str) -> None:
        session.execute(delete(StoredFileChunk).where(StoredFileChunk.sha256 == sha256))

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as stream:
            return stream.read()

    def open(self, sha256: str) -> io.BufferedReader:
        """The file for reading in pieces (FileNotFoundError when absent)."""
        session = self.session_source()
        if not self._has(session, sha256):
            raise FileNotFoundError(sha256)
        return io.BufferedReader(ChunkReader(session, sha256), CHUNK_SIZE)

    def exists(self, sha256: str) -> bool:
        return self._has(self.session_source(), sha256)

    def verify(self, sha256: str) -> bool:
        if not self.exists(sha256):
            return False
        digest = hashlib.sha256()
        with self.open(sha256) as stream:
            while chunk := stream.read(CHUNK_SIZE):
                digest.update(chunk)
        return digest.hexdigest() == sha256

    @staticmethod
    def _has(session: Session, sha256: str) -> bool:
        return bool(session.scalar(select(exists().where(StoredFileChunk.sha256 == sha256,
                                                         StoredFileChunk.seq == 0))))

    @staticmethod
    def _write(session: Session, sha256: str, chunks: Iterator[bytes]) -> None:
        """One INSERT per chunk (ON CONFLICT: a concurrent writer of the same bytes wrote the same chunk);
        an empty file is one empty chunk, so every stored file has chunk 0."""
        seq = -1
        for seq, chunk in enumerate(chunks):
            session.execute(_insert(session, StoredFileChunk).values(sha256=sha256, seq=seq, data=chunk)
                            .on_conflict_do_nothing())
        if seq < 0:
            session.execute(_insert(session, StoredFileChunk).values(sha256=sha256, seq=0, data=b"")
                            .on_conflict_do_nothing())
