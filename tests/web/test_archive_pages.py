"""The archivist's page: preview with unfinished work, export, download; the admin's settings page."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from tests.services.test_archive_export import build_year
from webapp.archive.export import export_path
from webapp.archive.models import ArchiveExport, ArchiveItem, ArchiveSettings, OrganCode
from webapp.archive.verify import verify_package
from webapp.models import Document


def test_archivist_previews_exports_and_downloads(app, session, sign_in, small_town):
    archivist = sign_in("archivist")
    build_year(session, app, finish_case=False)
    page = archivist.get("/archive/?year=2026").get_data(as_text=True)
    assert "归档" in page and "（导出时分配）" in page
    assert "恒发超市隐患整改" in page and "案件办理中" in page  # the running case waits, and says why
    assert "文字有误，重新发文" in page  # the voided number is explained

    response = archivist.post("/archive/export", {"year": "2026", "retentions": ["D30", "D10"]})
    assert response.status_code == 302
    record = session.scalar(select(ArchiveExport))
    assert record.status == "done" and record.item_count == 3, record.message
    download = archivist.get(f"/archive/exports/{record.id}.zip")
    assert download.status_code == 200 and "filename*=UTF-8''" in download.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        names = archive.namelist()
    assert any(n.endswith("bag-info.txt") for n in names) and any(n.endswith("归档文件目录.docx") for n in names)
    assert "Z001-WS·2026-D30-BGS-0001" in archivist.get("/archive/?year=2026").get_data(as_text=True)


def test_export_goes_to_the_background_above_the_limit(app, session, sign_in, small_town):
    from webapp.services import jobs

    archivist = sign_in("archivist")
    build_year(session, app)
    app.config["ARCHIVE_SYNC_LIMIT"] = 0
    try:
        response = archivist.post("/archive/export", {"year": "2026", "pdf": ""})
    finally:
        app.config.pop("ARCHIVE_SYNC_LIMIT")
    assert response.status_code == 302
    record = session.scalar(select(ArchiveExport))
    assert record.status == "running"
    clock = app.extensions["firegrid.clock"]
    assert jobs.run_due_jobs(session, app.extensions["firegrid.runtime"], worker="test", clock=clock.now) >= 1
    session.expire_all()
    record = session.get(ArchiveExport, record.id)
    assert record.status == "done" and record.passed, record.message
    result = verify_package(export_path(app.config["DATA_DIR"], record))
    assert result.ok and result.items == record.item_count, result.problems


def test_only_archivists_export_and_admin_edits_settings(app, session, sign_in, small_town):
    assert sign_in("clerk").get("/archive/").status_code == 403
    admin = sign_in("admin")
    form = admin.get("/archive/settings").get_data(as_text=True)
    assert "rectification_notice,reinspection_opinion" in form
    bad = admin.post("/archive/settings", {"fonds": "Z001", "pattern": "{fonds}-{nope}", "default_organ": "BGS"})
    assert "档号格式有误" in bad.get_data(as_text=True)
    ok = admin.post("/archive/settings", {
        "fonds": "0194", "source_organization": "松林镇人民政府", "default_organ": "BGS",
        "pattern": "{fonds}-{category}·{year}-{retention}-{organ}-{serial:04d}",
        "organ_codes": "松林镇人民政府=QSF\n松林镇消防安全委员会=XAW", "retention_rules": "notice=D10",
        "item_groups": "rectification_notice,reinspection_opinion"})
    assert ok.status_code == 302
    session.expire_all()
    town_id = small_town.town.id
    assert session.scalar(select(ArchiveSettings).where(ArchiveSettings.town_id == town_id)).fonds_code == "0194"
    assert session.get(OrganCode, (town_id, "松林镇人民政府")).code == "QSF"


def _records(session) -> list[ArchiveExport]:
    session.expire_all()
    return list(session.scalars(select(ArchiveExport).order_by(ArchiveExport.id)))


def test_failed_export_says_why_and_succeeds_on_retry_after_the_file_is_restored(app, session, sign_in, small_town):
    archivist = sign_in("archivist")
    year = build_year(session, app)
    scan = session.get(Document, year.rectification_id).attachments[0]
    stored = app.extensions["firegrid.runtime"].documents.store.path(scan.file_sha256)
    kept = stored.read_bytes()
    stored.unlink()  # a damaged file store: the receipt scan is gone

    archivist.post("/archive/export", {"year": "2026", "pdf": ""})
    [record] = _records(session)
    assert record.status == "failed" and "签收回执.jpg" in record.message, record.message
    assert session.scalar(select(ArchiveItem)) is None  # the failed run keeps no 档号
    page = archivist.get("/archive/?year=2026").get_data(as_text=True)
    assert "失败" in page and "文件“签收回执.jpg”在文件库中缺失" in page and "Traceback" not in page
    assert page.index("归档包") < page.index("将归档的件")  # progress and outcome above the item list

    stored.write_bytes(kept)
    assert sign_in("clerk").post(f"/archive/exports/{record.id}/retry").status_code == 403
    assert archivist.post(f"/archive/exports/{record.id}/retry").status_code == 302
    [record] = _records(session)
    assert record.status == "done" and record.passed, record.message
    assert archivist.get(f"/archive/exports/{record.id}.zip").status_code == 200
    assert archivist.post(f"/archive/exports/{record.id}/cancel").status_code == 400  # done: nothing to cancel


def test_queued_export_can_be_cancelled(app, session, sign_in, small_town):
    from webapp.services import jobs

    archivist = sign_in("archivist")
    build_year(session, app)
    app.config["ARCHIVE_SYNC_LIMIT"] = 0
    try:
        archivist.post("/archive/export", {"year": "2026", "pdf": ""})
        [record] = _records(session)
        assert "排队中" in archivist.get("/archive/?year=2026").get_data(as_text=True)
        assert sign_in("clerk").post(f"/archive/exports/{record.id}/cancel").status_code == 403
        assert archivist.post(f"/archive/exports/{record.id}/cancel").status_code == 302
        clock = app.extensions["firegrid.clock"]
        assert jobs.run_due_jobs(session, app.extensions["firegrid.runtime"], worker="t", clock=clock.now) == 0
        [record] = _records(session)
        assert record.status == "cancelled" and "已取消" in archivist.get("/archive/?year=2026").get_data(as_text=True)
    finally:
        app.config.pop("ARCHIVE_SYNC_LIMIT")


def test_background_export_that_keeps_failing_is_marked_failed(app, session, sign_in, small_town, monkeypatch):
    from webapp.services import jobs

    archivist = sign_in("archivist")
    build_year(session, app)
    app.config["ARCHIVE_SYNC_LIMIT"] = 0
    try:
        archivist.post("/archive/export", {"year": "2026", "pdf": ""})
    finally:
        app.config.pop("ARCHIVE_SYNC_LIMIT")

    def broken(*args, **kwargs):  # the worker itself breaks (not the export, which records its own failures)
        raise OSError("disk full")

    monkeypatch.setattr("webapp.archive.jobs.run_export", broken)
    clock = app.extensions["firegrid.clock"]
    for _ in range(jobs.MAX_ATTEMPTS):
        jobs.run_pending(session, app.extensions["firegrid.runtime"], worker="t", now=clock.now())
    monkeypatch.undo()
    [record] = _records(session)
    assert record.status == "failed" and "已停止" in record.message
    assert "重试" in archivist.get("/archive/?year=2026").get_data(as_text=True)


def test_item_list_is_paged(app, session, sign_in, small_town, monkeypatch):
    from webapp.archive import views as archive_view

    monkeypatch.setattr(archive_view, "ITEMS_PER_PAGE", 2)
    archivist = sign_in("archivist")
    build_year(session, app)
    first = archivist.get("/archive/?year=2026").get_data(as_text=True)
    second = archivist.get("/archive/?year=2026&page=2").get_data(as_text=True)
    assert "第 1 / 2 页，共 4 条" in first and "下一页" in first
    assert "第 2 / 2 页" in second and "上一页" in second
    assert ("消防安全检查记录" in first) != ("消防安全检查记录" in second)


def test_background_export_reports_progress_while_it_writes(app, session, sign_in, small_town, monkeypatch):
    from webapp.archive import export as archive_export
    from webapp.archive import jobs as archive_jobs
    from webapp.archive.package import ItemWriter
    from webapp.services import jobs

    archivist = sign_in("archivist")
    build_year(session, app)
    monkeypatch.setitem(app.config, "ARCHIVE_SYNC_LIMIT", 0)
    archivist.post("/archive/export", {"year": "2026", "pdf": ""})
    [record] = _records(session)
    monkeypatch.setattr(archive_export, "BATCH", 2)
    seen, write = [], ItemWriter.write

    def watched(self, session, item, documents):  # noqa: ANN001, ANN202  (observes, then writes as usual)
        seen.append(archive_jobs.progress(session, app.config["DATA_DIR"], record))
        return write(self, session, item, documents)

    monkeypatch.setattr(ItemWriter, "write", watched)
    clock = app.extensions["firegrid.clock"]
    jobs.run_due_jobs(session, app.extensions["firegrid.runtime"], worker="t", clock=clock.now)
    assert [(p.label, p.done, p.total) for p in seen] == [("生成中", 0, 4)] * 2 + [("生成中", 2, 4)] * 2
    [record] = _records(session)
    assert record.status == "done" and archive_jobs.progress(session, app.config["DATA_DIR"], record) is None


def test_a_package_built_on_another_host_downloads_from_the_database_store(app, session, sign_in, small_town,
                                                                          monkeypatch):
    """Hosts on the database file store share nothing but the database: the finished package goes into the
    store too, so a host without the file in its own data folder (not the one that built it) still serves it;
    on the local folder store a removed package is simply gone."""
    import hashlib

    from webapp.extensions import db
    from webapp.services.storage import backends as file_backends

    docs = app.extensions["firegrid.runtime"].documents
    stores = {kind: file_backends.build(kind, app.config["DATA_DIR"], lambda: db.session)
              for kind in ("database", "local")}
    monkeypatch.setattr(docs, "store", stores["database"])
    build_year(session, app)
    file_backends.move_all(session, stores["database"], stores["local"])  # the year's files in both stores
    session.commit()
    archivist = sign_in("archivist")
    for kind in ("database", "local"):
        monkeypatch.setattr(docs, "store", stores[kind])
        assert archivist.post("/archive/export", {"year": "2026", "retentions": ["D30", "D10"]}).status_code == 302
        record = session.scalar(select(ArchiveExport).order_by(ArchiveExport.id.desc()))
        assert record.status == "done", record.message
        export_path(app.config["DATA_DIR"], record).unlink()  # the other host never had it
        download = archivist.get(f"/archive/exports/{record.id}.zip")
        if kind == "database":
            assert download.status_code == 200 and hashlib.sha256(download.data).hexdigest() == record.sha256
            assert zipfile.ZipFile(io.BytesIO(download.data)).testzip() is None
        else:
            assert download.status_code == 404
