"""The audit log: what it records (failed logins, downloads, exports, settings), its filters, its Excel
export, the auditor role, and the client address behind a proxy."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import Browser
from webapp import create_app
from webapp.models import AuditEvent


def _rows(visitor: Browser, url: str) -> str:
    """The table body of an audit page (the filter's own option labels left out)."""
    page = visitor.get(url).get_data(as_text=True)
    return page[page.index("<tbody>"):page.index("</tbody>")]


def _actions(session) -> list[str]:
    session.expire_all()
    return [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_excel_export_and_failed_login_are_recorded(app, session, small_town, sign_in):
    visitor = Browser(app.test_client())
    visitor.get("/login")
    visitor.post("/login", {"username": "=HYPERLINK(\"http://x\")", "password": "wrong-password"})
    clerk = sign_in("clerk")
    assert clerk.get("/units/export.xlsx").status_code == 200
    actions = _actions(session)
    assert "login_failed" in actions and "excel_export" in actions
    exported = session.scalar(select(AuditEvent).where(AuditEvent.action == "excel_export"))
    assert exported.username == "clerk" and "单位台账" in exported.summary


def test_archive_settings_change_is_recorded(session, small_town, sign_in):
    admin = sign_in("admin")
    form = admin.get("/archive/settings").get_data(as_text=True)
    assert "全宗号" in form
    import re

    values = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', form))
    textareas = dict(re.findall(r'name="(\w+)"[^>]*>([^<]*)</textarea>', form))
    response = admin.post("/archive/settings", {**values, **textareas, "fonds": "Z999"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert "settings_change" in _actions(session)


def test_auditor_reads_and_filters_the_log_but_manages_no_accounts(app, session, small_town, sign_in):
    from tests import factories

    factories.user(session, "auditor", "auditor", scope=small_town.town)
    session.commit()
    visitor = Browser(app.test_client())
    visitor.get("/login")
    visitor.post("/login", {"username": "clerk", "password": "wrong-password"})
    sign_in("leader")
    auditor = sign_in("auditor")
    assert auditor.get("/admin/users").status_code == 403
    assert auditor.get(f"/admin/users/{small_town.users['clerk'].id}").status_code == 403
    everything = _rows(auditor, "/admin/audit")
    assert "审计日志" in auditor.get("/").get_data(as_text=True)
    assert "登录失败" in everything and "leader" in everything
    failed_only = _rows(auditor, "/admin/audit?action=login_failed")
    assert "登录失败" in failed_only and "leader" not in failed_only
    by_user = _rows(auditor, "/admin/audit?username=leader")
    assert "leader" in by_user and "登录失败" not in by_user
    today = app.extensions["firegrid.clock"].now().date()
    assert "没有符合条件的记录" in _rows(auditor, "/admin/audit?date_to=2001-01-01")
    assert "leader" in _rows(auditor, f"/admin/audit?date_from={today}&date_to={today}")
    assert auditor.get("/admin/audit?date_from=nonsense").status_code == 200

    export = auditor.get("/admin/audit.xlsx?action=login_failed")
    assert export.status_code == 200 and export.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(BytesIO(export.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("时间", "用户", "操作")
    assert [r[2] for r in rows[1:]] == ["登录失败"]


def test_a_username_like_a_formula_is_text_in_the_export(app, session, small_town, sign_in):
    from tests import factories

    factories.user(session, "county_admin", "admin", scope=small_town.town.parent)
    session.commit()
    visitor = Browser(app.test_client())
    visitor.get("/login")
    visitor.post("/login", {"username": "=1+1", "password": "wrong-password"})
    # a name that is no account belongs to no town: the top-of-grid admin reads it
    export = sign_in("county_admin").get("/admin/audit.xlsx?action=login_failed")
    cell = load_workbook(BytesIO(export.data)).active["B2"]
    assert cell.value == "=1+1" and cell.data_type == "s"


def test_proxy_count_decides_which_address_is_recorded(app, session, small_town, tmp_path):
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    visitor = Browser(app.test_client())
    visitor.get("/login")
    visitor.post("/login", {"username": "ghost", "password": "wrong-password"}, headers=forwarded)
    direct = session.scalar(select(AuditEvent).where(AuditEvent.username == "ghost"))
    assert direct.remote_addr == "127.0.0.1"  # no proxy configured: a client cannot forge its address

    behind_proxy = create_app({**{k: app.config[k] for k in ("WORKFLOWS_DIR", "DATA_DIR", "SECRET_KEY",
                                                             "SQLALCHEMY_DATABASE_URI")},
                               "TESTING": True, "PROXY_COUNT": 1})
    proxied = Browser(behind_proxy.test_client())
    proxied.get("/login")
    proxied.post("/login", {"username": "ghost2", "password": "wrong-password"}, headers=forwarded)
    session.expire_all()
    assert session.scalar(select(AuditEvent).where(AuditEvent.username == "ghost2")).remote_addr == "203.0.113.9"


def test_a_town_admin_reads_their_own_towns_trail_and_the_top_admin_reads_all(app, session, small_town, sign_in):
    from tests import factories

    neighbour = factories.town(session, "竹溪镇", region=small_town.town.parent)
    factories.user(session, "neighbour_clerk", "clerk", scope=neighbour)
    factories.user(session, "county_admin", "admin", scope=small_town.town.parent)
    session.commit()
    for username in ("clerk", "neighbour_clerk"):  # a failed login against an existing account of each town
        visitor = Browser(app.test_client())
        visitor.get("/login")
        visitor.post("/login", {"username": username, "password": "wrong-password"})
    sign_in("neighbour_clerk")
    sign_in("leader")

    own_town = _rows(sign_in("admin"), "/admin/audit")
    assert "leader" in own_town and ">clerk<" in own_town.replace(" ", "")
    assert "neighbour_clerk" not in own_town
    assert "neighbour_clerk" not in _export_users(sign_in("admin"))

    everything = _rows(sign_in("county_admin"), "/admin/audit")
    assert "neighbour_clerk" in everything and "leader" in everything


def _export_users(visitor: Browser) -> set[str]:
    sheet = load_workbook(BytesIO(visitor.get("/admin/audit.xlsx").data)).active
    return {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
