"""Issue 17 item 4: two towns on one server, each its own fonds (全宗). A town's export holds its documents
only, its 件号 restart, and every archive URL of the other town answers 403 (logged) to its archivist
and admin."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from tests import factories
from tests.services.test_archive_export import at, catalogue_codes
from webapp.archive import codes as archive_codes
from webapp.archive.export import ExportOptions, export_year
from webapp.archive.models import ArchiveExport, ArchiveItem, ArchiveSettings
from webapp.models import AuditEvent, GridNode, User
from webapp.services import documents
from webapp.services.documents import Subject


@dataclass
class TwoTowns:
    a: GridNode
    b: GridNode
    titles: dict[int, list[str]]  # town id → titles of its issued documents


def _issue(session, docs, town: GridNode, clerk: User, month: int, title: str) -> None:
    documents.issue(session, docs, template_key="notice", context=docs.library.spec("notice").sample, title=title,
                    prefix_key="town_notice", subject=Subject(town), user=clerk, now=at(f"2026-0{month}-08T10:00"))


@pytest.fixture()
def two_towns(app, session, small_town) -> TwoTowns:
    """Town A (the small town) with two notices, town B of the same region with one, and B's own staff."""
    docs = app.extensions["firegrid.runtime"].documents
    town_b = factories.town(session, "柏树镇", region=small_town.town.parent)
    factories.village(session, town_b, "柏树村", areas=("柏树一组",))
    for username, role in (("admin_b", "admin"), ("archivist_b", "archivist"), ("clerk_b", "clerk")):
        factories.user(session, username, role, scope=town_b)
    titles = {small_town.town.id: ["关于松林检查的通知", "关于松林整改的通知"], town_b.id: ["关于柏树检查的通知"]}
    clerks = {small_town.town.id: small_town.users["clerk"],
              town_b.id: session.scalar(select(User).where(User.username == "clerk_b"))}
    for town in (small_town.town, town_b):
        for month, title in enumerate(titles[town.id], start=2):
            _issue(session, docs, town, clerks[town.id], month, title)
    session.commit()
    return TwoTowns(small_town.town, town_b, titles)


def _titles_in(package: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return sorted(json.loads(archive.read(name))["题名"] for name in archive.namelist()
                      if name.endswith("元数据.json"))


def test_each_town_exports_its_own_documents_under_its_own_fonds_and_serials(app, session, two_towns, tmp_path):
    docs = app.extensions["firegrid.runtime"].documents
    archive_codes.update_settings(session, two_towns.b, fonds="Z002", source_organization="柏树镇人民政府",
                                  pattern=archive_codes.DEFAULT_CODE_PATTERN, default_organ="BGS", organ_codes={},
                                  retention_rules={}, item_groups=[])
    results = {}
    for town in (two_towns.a, two_towns.b):
        results[town.id] = export_year(session, docs, town=town, year=2026, out=tmp_path / f"{town.id}.zip",
                                       now=at("2026-12-31T16:00"), options=ExportOptions(pdf=False))
    session.commit()
    a, b = results[two_towns.a.id], results[two_towns.b.id]
    assert catalogue_codes(a.path) == ["Z001-WS·2026-D30-BGS-0001", "Z001-WS·2026-D30-BGS-0002"]
    assert catalogue_codes(b.path) == ["Z002-WS·2026-D30-BGS-0001"]  # 件号 restart in town B's own fonds
    assert _titles_in(a.path.read_bytes()) == sorted(two_towns.titles[two_towns.a.id])
    assert _titles_in(b.path.read_bytes()) == two_towns.titles[two_towns.b.id]
    assert a.passed and b.passed, (a.report, b.report)  # each town's number ledger is checked apart: no gaps
    items = {i.archive_code: i.town_id for i in session.scalars(select(ArchiveItem))}
    assert sorted(items.values()) == sorted([two_towns.a.id] * 2 + [two_towns.b.id])


def test_same_fonds_and_code_in_two_towns_do_not_clash(app, session, two_towns, tmp_path):
    """Two towns that have not entered their fonds numbers yet both start at Z001-…-0001."""
    docs = app.extensions["firegrid.runtime"].documents
    codes = [catalogue_codes(export_year(session, docs, town=town, year=2026, out=tmp_path / f"{town.id}.zip",
                                         now=at("2026-12-31T16:00"), options=ExportOptions(pdf=False)).path)[0]
             for town in (two_towns.a, two_towns.b)]
    session.commit()
    assert codes == ["Z001-WS·2026-D30-BGS-0001"] * 2


def _export_of_b(sign_in, session, two_towns) -> ArchiveExport:
    archivist_b = sign_in("archivist_b")
    assert archivist_b.post(f"/archive/export?town={two_towns.b.id}", {"year": "2026", "pdf": ""}).status_code == 302
    record = session.scalar(select(ArchiveExport))
    assert record.town_id == two_towns.b.id and record.status == "done" and record.item_count == 1, record.message
    download = archivist_b.get(f"/archive/exports/{record.id}.zip")
    assert download.status_code == 200 and "%E6%9F%8F%E6%A0%91%E9%95%87" in download.headers["Content-Disposition"]
    return record


def test_every_archive_url_of_town_b_is_refused_to_town_a(app, session, sign_in, two_towns):
    # town A's chief holds both roles, so every refusal below is for the town, not for a missing role
    factories.user(session, "chief", "admin", "archivist", scope=two_towns.a)
    session.commit()
    record = _export_of_b(sign_in, session, two_towns)
    b = two_towns.b.id
    town_b_urls = [
        ("get", f"/archive/?town={b}"), ("get", f"/archive/?town={b}&year=2026"),
        ("post", f"/archive/export?town={b}"), ("get", f"/archive/exports/{record.id}.zip"),
        ("post", f"/archive/exports/{record.id}/retry"), ("post", f"/archive/exports/{record.id}/cancel"),
        ("get", f"/archive/settings?town={b}"), ("post", f"/archive/settings?town={b}"),
    ]
    data = {"year": "2026", "fonds": "Z666", "pattern": archive_codes.DEFAULT_CODE_PATTERN, "default_organ": "BGS"}
    users = ("archivist", "admin", "chief")
    for username in users:
        visitor = sign_in(username)
        for method, url in town_b_urls:
            response = visitor.get(url) if method == "get" else visitor.post(url, data)
            assert response.status_code == 403, (username, method, url, response.status_code)
    session.expire_all()
    refusals = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")
                                    .order_by(AuditEvent.id)))
    assert len(refusals) == len(users) * len(town_b_urls)  # each one logged
    chief = refusals[-len(town_b_urls):]
    assert all("不在您的管辖范围内" in event.summary for event in chief), [e.summary for e in chief]
    assert any("柏树镇" in event.summary for event in chief)
    settings_b = session.scalar(select(ArchiveSettings).where(ArchiveSettings.town_id == b))
    assert settings_b is None or settings_b.fonds_code != "Z666"
    assert session.get(ArchiveExport, record.id).status == "done"  # not cancelled by the refused posts


def test_town_a_pages_show_only_town_a(app, session, sign_in, two_towns):
    record = _export_of_b(sign_in, session, two_towns)
    page = sign_in("archivist").get("/archive/?year=2026").get_data(as_text=True)
    assert "关于松林检查的通知" in page and "关于柏树检查的通知" not in page
    assert f"/archive/exports/{record.id}.zip" not in page and "柏树镇" not in page  # no switch to a town not theirs
    admin = sign_in("admin")
    assert admin.post("/archive/settings", {"fonds": "0194", "pattern": archive_codes.DEFAULT_CODE_PATTERN,
                                            "default_organ": "BGS"}).status_code == 302
    session.expire_all()
    fonds = {s.town_id: s.fonds_code for s in session.scalars(select(ArchiveSettings))}
    assert fonds[two_towns.a.id] == "0194" and fonds.get(two_towns.b.id, "Z001") == "Z001"


def test_a_county_wide_archivist_switches_between_the_towns(app, session, sign_in, two_towns):
    factories.user(session, "county_archivist", "archivist", scope=two_towns.a.parent)
    session.commit()
    record = _export_of_b(sign_in, session, two_towns)
    visitor = sign_in("county_archivist")
    first = visitor.get("/archive/?year=2026").get_data(as_text=True)
    assert "柏树镇" in first and "关于松林检查的通知" in first and "关于柏树检查的通知" not in first
    other = visitor.get(f"/archive/?year=2026&town={two_towns.b.id}").get_data(as_text=True)
    assert "关于柏树检查的通知" in other and f"/archive/exports/{record.id}.zip" in other
    assert visitor.get(f"/archive/exports/{record.id}.zip").status_code == 200


def test_set_up_town_makes_the_towns_archive_settings(app, session):
    from webapp.cases import setup

    done = setup.set_up_town(session, setup.TownSetup(region="示例县", town="杉木镇", admin_username="shanmu",
                                                      admin_password="Sh4nmu-setup-9"), now=at("2026-01-05T09:00"))
    row = session.scalar(select(ArchiveSettings).where(ArchiveSettings.town_id == done.town.id))
    assert row is not None and row.source_organization == "杉木镇人民政府" and row.fonds_code == "Z001"
    assert ["rectification_notice", "reinspection_opinion"] in row.item_groups


def test_cli_exports_the_named_towns_year(app, session, two_towns, tmp_path):
    from webapp.cli import main

    runner = app.test_cli_runner()
    command = ["archive", "export", "--year", "2026", "--no-pdf"]
    ambiguous = runner.invoke(main, [*command, "--out", str(tmp_path / "x.zip")])
    assert ambiguous.exit_code != 0 and "--town" in ambiguous.output
    out = tmp_path / "b.zip"
    done = runner.invoke(main, [*command, "--town", "柏树镇", "--out", str(out)])
    assert done.exit_code == 0 and "已导出 1 件" in done.output, done.output
    assert _titles_in(out.read_bytes()) == two_towns.titles[two_towns.b.id]
