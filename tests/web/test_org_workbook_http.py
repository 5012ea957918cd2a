"""The organisation workbook page: template and export downloads, the refused import's problem table, the
result page with each new account's one-time password, and the round trip through the browser."""

import re
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.org_workbook_support import FIVE_BAD, GOOD, five_bad_rows, workbook
from webapp.models import GridNode, Unit, User

PAGE = "/admin/organisation/"


def _upload(browser, book: BytesIO):  # noqa: ANN001, ANN202
    return browser.post(PAGE, {"file": (book, "组织架构.xlsx")}, content_type="multipart/form-data")


def test_template_has_every_sheet_and_only_admins_reach_the_page(small_town, sign_in):
    admin = sign_in("admin")
    page = admin.get(PAGE)
    assert page.status_code == 200 and "组织架构工作簿" in page.get_data(as_text=True)
    book = load_workbook(BytesIO(admin.get("/admin/organisation/template.xlsx").data))
    assert book.sheetnames[:7] == ["网格", "单位", "网格职务", "账号", "消安委成员单位", "器材存放点", "移交接收部门"]
    assert [c.value for c in book["账号"][1]] == ["用户名", "姓名", "角色", "管辖范围", "电话"]
    assert book["网格"].max_row == 1
    assert sign_in("clerk").get(PAGE).status_code == 403
    assert sign_in("village_clerk").get(PAGE).status_code == 403


def test_a_refused_workbook_lists_every_problem_and_imports_nothing(session, small_town, sign_in):
    nodes, users = session.scalar(select(func.count(GridNode.id))), session.scalar(select(func.count(User.id)))
    response = _upload(sign_in("admin"), workbook(five_bad_rows()))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    rows = re.findall(r"<tr><td>([^<]+)</td><td>第(\d+)行</td><td>([^<]+)</td></tr>", html)
    assert [(sheet, int(row)) for sheet, row, _ in rows] == FIVE_BAD
    assert "共5处" in html and "未导入任何数据" in html
    session.expire_all()
    assert session.scalar(select(func.count(GridNode.id))) == nodes
    assert session.scalar(select(func.count(User.id))) == users
    assert session.scalar(select(Unit.id).where(Unit.name == "桃源超市")) is None


def test_import_shows_each_new_password_once_and_that_account_logs_in(session, small_town, sign_in):
    admin = sign_in("admin")
    response = _upload(admin, workbook(GOOD))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    passwords = dict(re.findall(r"<tr><td>([a-z0-9]+)</td><td>[^<]*</td><td><code>([^<]+)</code></td></tr>", html))
    assert set(passwords) == {"zhouyuan", "wenshu2"}
    assert "只显示这一次" in html
    first_login = sign_in("wenshu2", passwords["wenshu2"]).get("/")  # logs in, then changes the one-time password
    assert first_login.status_code == 302 and first_login.headers["Location"].endswith("/account/password")

    exported = admin.get("/admin/organisation/export.xlsx")
    assert exported.status_code == 200
    again = _upload(admin, BytesIO(exported.data)).get_data(as_text=True)
    assert "初始密码" not in again
    cells = r"<tr><td>([^<]+)</td>\s*<td>(\d+)[^<]*</td>\s*<td>(\d+)[^<]*</td>\s*<td>(\d+)</td></tr>"
    counted = re.findall(cells, again)
    assert len(counted) == 7 and all(added == updated == "0" for _, added, updated, _ in counted)
    assert dict((title, int(unchanged)) for title, _, _, unchanged in counted)["单位"] == 6
