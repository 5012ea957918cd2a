"""The file store's guarantees on both backends (local folder, database chunks) and moving files between them."""

from __future__ import annotations

import hashlib
import os
import threading

import pytest
from sqlalchemy import func, select, update

from webapp.cli import main
from webapp.extensions import db
from webapp.models import Document, GridNode, StoredFile, StoredFileChunk
from webapp.services import documents
from webapp.services.file_store import FileStore
from webapp.services.storage import backends as file_backends
from webapp.services.storage.database import CHUNK_SIZE, DatabaseFileStore

BIG = os.urandom(CHUNK_SIZE * 2 + 123)  # three chunks in the database


def _backend(app, kind):
    return file_backends.build(kind, app.config["DATA_DIR"], lambda: db.session)


@pytest.fixture(params=["local", "database"])
def store(request, app, session, monkeypatch):
    """The app's store set to each backend in turn (the setting FIREGRID_FILE_STORE picks it at start-up)."""
    backend = _backend(app, request.param)
    monkeypatch.setattr(app.extensions["firegrid.runtime"].documents, "store", backend)
    return backend


def _now(app):
    return app.extensions["firegrid.clock"].now()


def test_unknown_backend_is_refused_by_name(app):
    with pytest.raises(ValueError, match="local, database"):
        file_backends.build("s3", app.config["DATA_DIR"], lambda: db.session)


def test_a_big_file_round_trips_in_pieces(app, session, store):
    sha256 = store.put(session, BIG, "application/octet-stream", _now(app)).sha256
    assert store.read(sha256) == BIG  # before the commit, in the same transaction
    session.commit()
    with store.open(sha256) as stream:
        first = stream.read(1000)
        assert first == BIG[:1000] and first + stream.read() == BIG
    assert store.exists(sha256) and store.verify(sha256)
    assert not store.exists("0" * 64) and not store.verify("0" * 64)
    with pytest.raises(FileNotFoundError):
        store.open("0" * 64)
    if isinstance(store, DatabaseFileStore):
        sizes = session.scalars(select(func.length(StoredFileChunk.data)).where(StoredFileChunk.sha256 == sha256)
                                .order_by(StoredFileChunk.seq)).all()
        assert sizes == [CHUNK_SIZE, CHUNK_SIZE, 123]


def test_an_empty_file_and_the_same_bytes_twice(app, session, store):
    empty = store.put(session, b"", "text/plain", _now(app))
    again = store.put(session, b"", "text/plain", _now(app))
    session.commit()
    assert empty.sha256 == again.sha256 == hashlib.sha256(b"").hexdigest()
    assert store.read(empty.sha256) == b"" and store.verify(empty.sha256)


def test_a_rollback_removes_what_it_stored(app, session, store):
    kept = store.put(session, b"kept", "text/plain", _now(app)).sha256
    session.commit()
    gone = store.put(session, b"rolled back " + BIG, "text/plain", _now(app)).sha256
    assert store.exists(gone)
    session.rollback()
    assert not store.exists(gone) and session.get(StoredFile, gone) is None
    assert store.verify(kept)
    assert session.scalar(select(func.count()).select_from(StoredFileChunk).where(
        StoredFileChunk.sha256 == gone)) == 0


def test_failed_issue_uses_no_number_and_leaves_no_bytes(app, session, small_town, store):
    runtime = app.extensions["firegrid.runtime"]
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    context = dict(runtime.documents.library.spec("notice").sample, title="会回滚的通知")
    with pytest.raises(RuntimeError):
        documents.issue(session, runtime.documents, template_key="notice", context=context, title="会回滚的通知",
                        prefix_key="town_notice", subject=documents.Subject(town), user=None, now=_now(app))
        raise RuntimeError("printer on fire")
    session.rollback()
    assert session.scalar(select(StoredFile.sha256).limit(1)) is None
    assert session.scalar(select(StoredFileChunk.sha256).limit(1)) is None
    issued = documents.issue(session, runtime.documents, template_key="notice", context=context, title="通知",
                             prefix_key="town_notice", subject=documents.Subject(town), user=None, now=_now(app))
    session.commit()
    assert issued.number.endswith(f"〔{_now(app).year}〕1号") and store.verify(issued.file_sha256)


def test_same_new_bytes_in_two_transactions_survive_the_first_ones_rollback(app, session, store):
    content = b"%PDF-1.4 shared scan " + os.urandom(16)
    a_stored, b_started, result = threading.Event(), threading.Event(), {}

    def transaction_a():
        with app.app_context():
            store.put(db.session, content, "application/pdf", _now(app))
            a_stored.set()
            b_started.wait(10)
            threading.Event().wait(0.3)  # let B reach its insert (on PostgreSQL it waits for A's row)
            db.session.rollback()
            db.session.remove()

    def transaction_b():
        with app.app_context():
            a_stored.wait(10)
            b_started.set()
            result["sha"] = store.put(db.session, content, "application/pdf", _now(app)).sha256
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=transaction_a), threading.Thread(target=transaction_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert store.verify(result["sha"]) and store.read(result["sha"]) == content
    assert session.get(StoredFile, result["sha"]) is not None


def _files(app, session, count=3):
    local = _backend(app, "local")
    hashes = [local.put(session, f"file {i}".encode() + BIG[: i * 1000], "text/plain", _now(app)).sha256
              for i in range(count)]
    session.commit()
    return local, hashes


def test_move_to_the_database_and_back_verifies_every_file(app, session):
    local, hashes = _files(app, session)
    database = _backend(app, "database")
    moved = file_backends.move_all(session, local, database, remove_source=True)
    assert (moved.copied, moved.already, moved.ok) == (3, 0, True)
    assert all(database.verify(h) for h in hashes) and not any(local.exists(h) for h in hashes)
    again = file_backends.move_all(session, local, database)
    assert (again.copied, again.already) == (0, 3)
    back = file_backends.move_all(session, database, local, remove_source=True)
    assert back.copied == 3 and all(local.verify(h) for h in hashes) and not any(database.exists(h) for h in hashes)


def test_cli_refuses_corrupt_and_reports_missing_files(app, session):
    local, hashes = _files(app, session)
    assert isinstance(local, FileStore)
    local.path(hashes[0]).write_bytes(b"changed on disk")
    local.path(hashes[1]).unlink()
    result = app.test_cli_runner().invoke(main, ["files", "migrate", "--to", "database"])
    assert result.exit_code == 1, result.output
    assert f"校验失败：{hashes[0]}" in result.output and f"缺失：{hashes[1]}" in result.output
    assert "已迁移 1 个文件" in result.output
    database = _backend(app, "database")
    assert database.verify(hashes[2]) and not database.exists(hashes[0]) and not database.exists(hashes[1])


def test_archive_export_streams_files_from_the_database_store(app, session, small_town, tmp_path, monkeypatch):
    """The export copies every file from the database backend (a chunk per query) into a valid bag."""
    import bagit

    from tests.services.test_archive_export import _export, _unzip, build_year
    from webapp.archive.verify import verify_package

    docs = app.extensions["firegrid.runtime"].documents
    monkeypatch.setattr(docs, "store", _backend(app, "database"))
    build_year(session, app)
    result, path = _export(session, docs, tmp_path, pdf=False)
    assert result.item_count == 4 and verify_package(path).ok
    bag = bagit.Bag(str(_unzip(path, tmp_path / "bag")))
    bag.validate()
    stored = {row.sha256 for row in session.scalars(select(StoredFile))}
    assert stored and all(docs.store.verify(sha256) for sha256 in stored)
    payload = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "bag").rglob("*") if p.is_file()}
    exported = session.scalars(select(Document.file_sha256).where(Document.status != "void")).all()
    assert exported and set(exported) <= payload  # every exported DOCX, byte for byte as stored

    session.execute(update(StoredFile).values(inspection=None))  # files stored before inspections were kept
    session.commit()
    again, path = _export(session, docs, tmp_path, "again.zip", pdf=False)
    assert again.passed and verify_package(path).ok  # each opened from a temporary copy of its chunks
    assert None not in session.scalars(select(StoredFile.inspection).where(StoredFile.sha256.in_(exported))).all()
