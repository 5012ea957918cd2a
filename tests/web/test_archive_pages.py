"""The archivist's page: preview with unfinished work, export, download; the admin's settings page."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from tests.services.test_archive_export import build_year
from webapp.models.archive import ArchiveExport, ArchiveSettings, OrganCode
from webapp.services.archive_export import export_path
from webapp.services.archive_verify import verify_package


def test_archivist_previews_exports_and_downloads(app, session, login_as):
    archivist = login_as("archivist")
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


def test_export_goes_to_the_background_above_the_limit(app, session, login_as):
    from webapp.services import jobs

    archivist = login_as("archivist")
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


def test_only_archivists_export_and_admin_edits_settings(app, session, login_as):
    assert login_as("clerk").get("/archive/").status_code == 403
    admin = login_as("admin")
    form = admin.get("/archive/settings").get_data(as_text=True)
    assert "rectification_notice,reinspection_opinion" in form
    bad = admin.post("/archive/settings", {"fonds": "Z001", "pattern": "{fonds}-{nope}", "default_organ": "BGS"})
    assert "档号格式有误" in bad.get_data(as_text=True)
    ok = admin.post("/archive/settings", {
        "fonds": "0194", "source_organization": "青石镇人民政府", "default_organ": "BGS",
        "pattern": "{fonds}-{category}·{year}-{retention}-{organ}-{serial:04d}",
        "organ_codes": "青石镇人民政府=QSF\n青石镇消防安全委员会=XAW", "retention_rules": "notice=D10",
        "item_groups": "rectification_notice,reinspection_opinion"})
    assert ok.status_code == 302
    session.expire_all()
    assert session.get(ArchiveSettings, 1).fonds_code == "0194"
    assert session.get(OrganCode, "青石镇人民政府").code == "QSF"
