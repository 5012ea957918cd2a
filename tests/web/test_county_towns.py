"""A county adds a town (/county/towns, `firegrid setup` without an admin), and the demo's two towns are
made through the setup and the organisation workbook import (HTTP and CLI on the real database)."""

from __future__ import annotations

import re
from datetime import datetime
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import func, select

from webapp.cases import org_workbook
from webapp.cli import main
from webapp.demo import organisation as demo_org
from webapp.models import AuditEvent, CommitteeMember, GridNode, NumberPrefix, User
from webapp.procedures.inspection.models import ReferralReceiver

NEW_TOWN = "松涛镇"


def _towns(session) -> list[str]:  # noqa: ANN001
    return list(session.scalars(select(GridNode.name).where(GridNode.level == "town").order_by(GridNode.id)))


def _error_beside(page: str, field: str) -> str:
    """The error text shown beside the field with this name (the field macro's `<id>-error` block)."""
    found = re.search(rf'id="{field}-error">(.*?)</div>', page, re.S)
    assert found, f"no error beside {field}"
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_county_admin_adds_a_town_then_imports_its_workbook(session, login_as):
    county_admin = login_as("county_admin")
    page = county_admin.get("/county/towns").get_data(as_text=True)
    assert 'data-town="青石镇"' in page and 'data-town="柳塘镇"' in page and "新增镇（街道）" in page
    response = county_admin.post("/county/towns", {"town": NEW_TOWN, "prefix_town_notice": "松政发",
                                                   "government": "", "committee": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    town = session.scalar(select(GridNode).where(GridNode.name == NEW_TOWN))
    assert town.level == "town" and town.parent.name == demo_org.REGION
    prefixes = {p.key: p for p in session.scalars(select(NumberPrefix).where(NumberPrefix.town_id == town.id))}
    assert prefixes["town_notice"].prefix == "松政发" and prefixes["town_notice"].organ == "松涛镇人民政府"
    assert prefixes["rectification"].prefix == "松涛消整"
    assert session.scalar(select(CommitteeMember.organ).where(CommitteeMember.town_id == town.id)) == "松涛镇人民政府"
    assert session.scalar(select(func.count(User.id)).where(User.scope_id == town.id)) == 0  # no admin asked for
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "town_add")).summary == NEW_TOWN

    listed = county_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert f'data-town="{NEW_TOWN}"' in listed and "已新增松涛镇" in listed
    link = f"/admin/organisation/?town={town.id}"
    assert link in listed
    rows = {org_workbook.GRID: [["松涛村", ""], ["松涛村", "一组"]],
            org_workbook.ACCOUNTS: [["clerk_songtao", "松涛文书", "文书", "松涛镇", ""]]}
    upload = {"file": (BytesIO(org_workbook.filled_workbook(rows)), "org.xlsx")}
    result = county_admin.post(link, upload, content_type="multipart/form-data")
    assert result.status_code == 200 and "clerk_songtao" in result.get_data(as_text=True)
    assert session.scalar(select(User).where(User.username == "clerk_songtao")).scope_id == town.id
    assert "松涛村/一组" in [n.display_path() for n in session.scalars(select(GridNode))]


def test_add_town_shows_every_problem_beside_its_field_and_keeps_the_input(session, login_as):
    before = _towns(session)
    county_admin = login_as("county_admin")
    response = county_admin.post("/county/towns", {
        "town": "青石镇", "government": "青石镇政府（新）", "prefix_town_letter": "松〔函〕",
        "username": "admin", "password": "short", "confirm": "other"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "江岸区已有“青石镇”" in _error_beside(page, "town")
    assert "已被使用" in _error_beside(page, "username")
    assert "至少需要8位" in _error_beside(page, "password")
    assert "不一致" in _error_beside(page, "confirm")
    assert "括号" in _error_beside(page, "prefix_town_letter")
    assert 'value="青石镇政府（新）"' in page and 'value="松〔函〕"' in page  # input kept
    assert _towns(session) == before

    empty = county_admin.post("/county/towns", {"town": " ", "username": "admin_new"})
    assert empty.status_code == 400
    page = empty.get_data(as_text=True)
    assert "请填写镇（街道）名称" in _error_beside(page, "town") and _error_beside(page, "password")
    assert _towns(session) == before


def test_town_admins_and_the_county_reader_cannot_add_towns(session, login_as):
    for username in ("admin", "admin_liutang"):
        town_admin = login_as(username)
        assert town_admin.get("/county/towns").status_code == 403
        assert town_admin.post("/county/towns", {"town": NEW_TOWN}).status_code == 403
        assert "/county/towns" not in town_admin.get("/").get_data(as_text=True)  # no menu entry
    reader = login_as("county")
    assert reader.post("/county/towns", {"town": NEW_TOWN}).status_code == 403
    assert NEW_TOWN not in _towns(session)
    denials = session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
    assert len([d for d in denials if d.object_id == "/county/towns"]) == 5


def test_demo_towns_round_trip_through_their_workbooks(session, demo):
    """The demo's organisation came in through the workbook import, so its export imports unchanged."""
    assert _towns(session) == [demo_org.TOWN, demo_org.SECOND_TOWN]
    for name in _towns(session):
        town = session.scalar(select(GridNode).where(GridNode.name == name))
        exported = org_workbook.export_workbook(session, town)
        result = org_workbook.import_workbook(session, town, BytesIO(exported), now=datetime.now().astimezone())
        assert result.changes == 0 and not result.new_accounts, result.summary()
        sheets = {title: r for title, r in result.sheets}
        assert sheets[org_workbook.UNITS].unchanged == sum(len(n) for n in demo_org.TOWNS[_towns(session).index(
            name)].units.values())
    exported = load_workbook(BytesIO(org_workbook.export_workbook(session, town)))
    assert [row[0].value for row in exported["账号"].iter_rows(min_row=2)] == sorted(
        u[0] for u in demo_org.SECOND_USERS)
    receivers = session.scalars(select(ReferralReceiver.name).join(GridNode, ReferralReceiver.grid_id == GridNode.id)
                                .where(GridNode.name == demo_org.TOWN))
    assert set(receivers) == {r[1] for r in demo_org.RECEIVERS}


def test_county_overview_shows_both_demo_towns(session, login_as):
    for username in ("county", "county_admin"):
        page = login_as(username).get("/county/").get_data(as_text=True)
        assert 'data-town="青石镇"' in page and 'data-town="柳塘镇"' in page
    assert login_as("admin").get("/county/").status_code == 403  # a town's admin: not the county's page


def test_the_demo_accounts_of_the_second_town_and_the_county_sign_in(session, login_as):
    for username, display_name, *_ in [*demo_org.SECOND_USERS, *demo_org.COUNTY_USERS]:
        assert display_name in login_as(username).get("/").get_data(as_text=True)


def test_cli_setup_adds_a_next_town_without_an_admin(app, session, demo):
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["setup", "--region", demo_org.REGION, "--town", NEW_TOWN])
    assert result.exit_code == 0, result.output
    assert f"firegrid org import --town {NEW_TOWN}" in result.output and "松涛府发" in result.output
    assert NEW_TOWN in _towns(session)
    again = runner.invoke(main, ["setup", "--region", demo_org.REGION, "--town", NEW_TOWN, "--prefix",
                                 "town_notice=松〔发〕"])
    assert again.exit_code == 1 and "已有“松涛镇”" in again.output and "括号" in again.output


def test_a_town_added_with_its_admin_gets_one_who_changes_the_password_first(session, login_as):
    response = login_as("county_admin").post("/county/towns", {
        "town": NEW_TOWN, "username": "admin_songtao", "display_name": "松涛管理员",
        "password": "Songtao-2026!", "confirm": "Songtao-2026!"})
    assert response.status_code == 302
    admin = session.scalar(select(User).where(User.username == "admin_songtao"))
    assert admin.scope.name == NEW_TOWN and admin.roles == {"admin"} and admin.must_change_password
