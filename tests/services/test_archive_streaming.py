"""Issue 24: the archive export packs in one pass from what was recorded when each file was stored (no
python-docx per item), and its 四性检测 still catches a stored file that was damaged after that."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import event, select, update

from tests.services.test_archive_export import JPEG, at, build_year
from tests.services.test_archive_usability import _break_xml_part
from webapp.archive.catalogue import CatalogueRow, CatalogueWriter
from webapp.archive.export import ExportOptions, export_year
from webapp.archive.verify import verify_package
from webapp.documents import inspection as file_inspection
from webapp.documents.inspection import Inspection, inspect_large_ooxml
from webapp.documents.properties import CoreProperties
from webapp.models import AttachmentRole, Document, DocumentAttachment, GridNode, StoredFile, User
from webapp.services import documents
from webapp.services.documents import Subject


@pytest.fixture()
def docs(app):
    return app.extensions["firegrid.runtime"].documents


def _export(session, docs, tmp_path: Path) -> tuple[dict, Path]:
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    result = export_year(session, docs, town=town, year=2026, out=tmp_path / "a.zip", now=at("2026-12-31T16:00"),
                         options=ExportOptions(pdf=False))
    session.commit()
    return result.report, tmp_path / "a.zip"


def _opened_docx(monkeypatch) -> list[str]:  # noqa: ANN001
    """The names of the DOCX files python-docx opens from now on (it still opens them)."""
    opened, open_docx = [], file_inspection._open_docx

    def watched(path: Path) -> Inspection:
        opened.append(path.name)
        return open_docx(path)

    monkeypatch.setattr(file_inspection, "_open_docx", watched)
    return opened


def test_issued_and_attached_files_are_inspected_once_when_stored(session, small_town, app, docs):
    year = build_year(session, app)
    notice = session.get(Document, year.notice_ids[0])
    found = Inspection.from_json(notice.file.inspection)
    assert (found.opens, found.kind, found.pages_estimated) == (True, "docx", True) and found.pages >= 1
    photo = session.scalar(select(DocumentAttachment).where(DocumentAttachment.document_id == year.record_id))
    assert Inspection.from_json(photo.file.inspection) == Inspection(True, pages=1, kind="image")


def test_export_opens_no_item_docx_and_records_files_stored_before_records(session, small_town, app, docs, tmp_path,
                                                                           monkeypatch):
    build_year(session, app)
    opened = _opened_docx(monkeypatch)
    report, path = _export(session, docs, tmp_path)
    assert report["通过"] and opened == []

    session.execute(update(StoredFile).values(inspection=None))  # as for files stored before issue 24
    session.commit()
    opened.clear()
    report, path = _export(session, docs, tmp_path)
    assert report["通过"] and len(opened) == 5  # each item's DOCX, once: now recorded
    packed = select(Document.file_sha256).where(Document.status == "issued").union(
        select(DocumentAttachment.file_sha256))
    assert session.scalars(select(StoredFile.inspection).where(StoredFile.sha256.in_(packed))).all().count(None) == 0
    with zipfile.ZipFile(path) as archive:
        metadata = [json.loads(archive.read(n)) for n in archive.namelist() if n.endswith("元数据.json")]
    assert all(m["页数"] >= 1 and m["页数为估算"] for m in metadata)
    assert verify_package(path).ok


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_a_docx_damaged_in_the_store_after_issue_is_reported(session, small_town, app, docs, tmp_path, damage):
    year = build_year(session, app)
    notice = session.get(Document, year.notice_ids[0])
    stored = docs.store.path(notice.file_sha256)
    original = stored.read_bytes()
    # what the disk might do: lose the file's end (its zip directory), or garble bytes in the middle
    broken = original[: len(original) // 2] if damage == "truncated" else (
        original[:2000] + bytes(len(original) - 4000) + original[-2000:])
    try:
        stored.write_bytes(broken)
        report, path = _export(session, docs, tmp_path)
    finally:
        stored.write_bytes(original)  # the store is shared by the session's tests
    checks = report["检测项"]
    name = notice.filename.removesuffix(".docx")
    assert not report["通过"]
    assert any(name in p and "摘要或大小不符" in p for p in checks["真实性"]["问题"]), checks
    assert any(name in p and ("无法" in p or "损坏" in p) for p in checks["可用性"]["问题"]), checks
    assert any(name in p for p in verify_package(path).problems)
    assert Inspection.from_json(session.get(StoredFile, notice.file_sha256).inspection).opens  # the record stays


def _statements(session, docs, tmp_path: Path) -> int:  # noqa: ANN001
    """SELECT statements one export runs (filing a new item inserts its row, once)."""
    count = [0]

    def counted(_connection, _cursor, statement: str, *_args) -> None:  # noqa: ANN001, ANN002
        count[0] += statement.lstrip().upper().startswith("SELECT")

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", counted)
    try:
        _export(session, docs, tmp_path)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count[0]


def _records(session, docs, small_town, per_village: int, start: int) -> None:  # noqa: ANN001
    """Inspection records with a photo each, in both villages (a village signs for its own: another class)."""
    record = docs.library.spec("inspection_record").sample
    clerk = session.scalar(select(User).where(User.username == "clerk"))
    for village in (small_town.village, small_town.other_village):
        for index in range(start, start + per_village):
            made = documents.create_record(session, docs, template_key="inspection_record", context=record,
                                           title=f"消防安全检查记录{index}", subject=Subject(village), user=clerk,
                                           now=at(f"2026-07-{index + 1:02d}T10:00"))
            documents.attach(session, docs, made, content=JPEG + bytes([index]), name="检查照片.jpg",
                             media_type="image/jpeg", role=AttachmentRole.PHOTO, now=at("2026-07-28T10:00"))
    session.commit()


def test_export_queries_do_not_grow_with_items(session, small_town, app, docs, tmp_path):
    build_year(session, app)
    first = _statements(session, docs, tmp_path)  # 4 items, all new
    assert _statements(session, docs, tmp_path) <= first  # the same 4, filed before
    _records(session, docs, small_town, 1, 0)
    fewer = _statements(session, docs, tmp_path)  # 6 items
    _records(session, docs, small_town, 4, 1)
    more = _statements(session, docs, tmp_path)  # 14 items, as many classes
    assert more == fewer, (first, fewer, more)  # no query per item or per file


@pytest.mark.parametrize(("name", "part"), [("归档文件目录.docx", "word/document.xml"),
                                            ("归档文件目录.xlsx", "xl/worksheets/sheet1.xml")])
def test_the_catalogue_is_read_through_as_a_stream_and_a_broken_part_fails(tmp_path, name, part):
    properties = CoreProperties("2026年度归档文件目录（全宗号 Z001）", "某镇人民政府", at("2026-12-31T16:00"))
    with CatalogueWriter(tmp_path, properties.title, properties) as catalogue:
        for seq in range(1, 30):
            catalogue.add(CatalogueRow(seq, f"Z001-WS·2026-D10-BGS-{seq:04d}", "", "某镇人民政府", "检查记录",
                                       "20260208", "", 1, ""))
    assert inspect_large_ooxml(tmp_path / name).opens
    _break_xml_part(tmp_path / name, part)
    broken = inspect_large_ooxml(tmp_path / name)
    assert not broken.opens and "无法打开" in broken.problem


@pytest.mark.parametrize(("name", "content"), [("a.jpg", JPEG), ("b.jpg", b"MZ\x90\x00"), ("c.png", b""),
                                               ("d.txt", b"x"), ("e.exe", b"x")])
def test_bytes_recorded_at_upload_are_judged_as_the_file_would_be(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    assert file_inspection.inspect_content(content, name) == file_inspection.inspect_file(tmp_path / name)


def test_the_bag_keeps_no_zip_member_in_memory_and_stays_a_valid_zip(tmp_path):
    """zipfile's list of members (its central directory) waits in a temporary file, not in memory: writing
    2,000 more members grows traced memory by far less than zipfile's ~0.5 kB a member; the zip reads back
    with every member, in order, and every CRC right."""
    import io
    import tracemalloc
    from datetime import datetime

    from webapp.archive.package import BagZip

    bag = BagZip(tmp_path / "bag.zip", "Z001-WS-2026", datetime(2026, 12, 31, 9, 30))
    # the names are made before memory is traced: only what the bag keeps is counted
    names = [f"Z001-WS·2026-D30-BGS-{index:04d}/01_关于检查的通知{index}.docx" for index in range(2100)]

    def add(start: int, stop: int) -> None:
        for index in range(start, stop):
            if index % 2:
                bag.add_stream(names[index], io.BytesIO(b"x" * index))
            else:
                bag.add_bytes(names[index], f"内容{index}".encode())

    add(0, 100)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    add(100, 2100)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown < 100_000, grown  # zipfile's own list: ~1 MB for these 2,000 members
    bag.close({"Fonds": "Z001"})
    with zipfile.ZipFile(tmp_path / "bag.zip") as package:
        assert package.testzip() is None
        listed = package.namelist()
        assert listed[:len(names)] == [f"Z001-WS-2026/data/{name}" for name in names]
        assert listed[len(names):] == [f"Z001-WS-2026/{tag}" for tag in (
            "bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt")]
        assert package.read(listed[1]) == b"x" and package.read(listed[2]) == "内容2".encode()
        manifest = package.read("Z001-WS-2026/manifest-sha256.txt").decode().splitlines()
        assert len(manifest) == len(names) and manifest[0].endswith(f"  data/{names[0]}")
    assert not (tmp_path / "bag.zip.part").exists()
