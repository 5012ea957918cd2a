"""Issue 18, first start: a server without accounts leads to the setup page (or `firegrid setup`), which
makes the town, its 发文字号 for every kind of document, the committee head and the first admin at once;
a refused value creates nothing; a county adds its next town the same way and numbers it apart."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import Browser
from webapp.cases import registry
from webapp.cli import main
from webapp.documents.docx_text import docx_blocks
from webapp.models import CommitteeMember, GridNode, NumberPrefix, User
from webapp.procedures.notice_issuance import notices
from webapp.services import documents
from webapp.services.documents import Subject

GOOD = {"region": "示例区", "town": "柏树镇", "government": "", "committee": "", "username": "bs_admin",
        "display_name": "管理员", "password": "long-enough-1", "confirm": "long-enough-1"}


def _counts(session) -> list[int]:
    return [session.scalar(select(func.count()).select_from(m)) for m in (GridNode, User, NumberPrefix)]


def test_first_start_leads_to_setup_and_a_refused_form_creates_nothing(app, session):
    visitor = Browser(app.test_client())
    assert visitor.get("/login").headers["Location"].endswith("/setup")
    visitor.get("/setup")
    response = visitor.post("/setup", {**GOOD, "region": "", "town": "", "password": "short", "confirm": "other"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("请填写区（县）名称。", "请填写镇（街道）名称。", "密码至少需要8位。", "两次输入的密码不一致。"):
        assert message in page, message
    assert 'value="bs_admin"' in page  # the input is kept
    assert _counts(session) == [0, 0, 0]


def test_setup_makes_a_town_whose_admin_is_logged_in_and_issues_under_its_own_marks(app, session, docs):
    visitor = Browser(app.test_client())
    visitor.get("/setup")
    response = visitor.post("/setup", GOOD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/settings/calendar")
    settings_page = visitor.get("/admin/settings/calendar").get_data(as_text=True)
    assert "发文字号：柏树镇" in settings_page and "柏树府发" in settings_page and "未配置" not in settings_page
    town = session.scalar(select(GridNode).where(GridNode.name == "柏树镇"))
    prefixes = {p.key: (p.organ, p.prefix) for p in session.scalars(select(NumberPrefix))}
    assert set(prefixes) == {use.key for use in registry.number_uses()}
    assert prefixes["town_notice"] == ("柏树镇人民政府", "柏树府发")
    assert prefixes["minutes_joint"] == ("柏树镇消防安全委员会", "柏树镇消防安全联席会议纪要")
    head = session.scalar(select(CommitteeMember).where(CommitteeMember.town_id == town.id))
    assert (head.organ, head.committee_role) == ("柏树镇人民政府", "head")
    admin = session.scalar(select(User).where(User.username == "bs_admin"))
    assert admin.scope_id == town.id and admin.has_role("admin")
    assert visitor.get("/setup").status_code == 404 and visitor.get("/login").status_code in (200, 302)

    context = notices.document_context(session, {"title": "关于冬春火灾防控的通知", "body": "正文。"},
                                       today=docs_today(app), town=town)
    issued = documents.issue(session, docs, template_key="notice", context=context, title="关于冬春火灾防控的通知",
                             prefix_key="town_notice", subject=Subject(town), user=admin, now=app_now(app))
    year = app_now(app).year
    assert issued.number == f"柏树府发〔{year}〕1号"
    text = "\n".join(block.text for block in docx_blocks(docs.store.read(issued.file_sha256)))
    assert "柏树镇人民政府文件" in text and f"柏树府发〔{year}〕1号" in text and "柏树镇党政办公室" in text


@pytest.fixture()
def docs(app):
    return app.extensions["firegrid.runtime"].documents


def app_now(app):
    return app.extensions["firegrid.clock"].now()


def docs_today(app):
    return app_now(app).date()


def test_cli_sets_up_a_county_town_by_town_each_numbering_apart(app, session, docs):
    runner = app.test_cli_runner()
    first = runner.invoke(main, ["setup", "--region", "示例区", "--town", "柏树镇", "--admin", "bs_admin",
                                 "--password", "long-enough-1", "--prefix", "town_notice=柏政发"])
    assert first.exit_code == 0, first.output
    assert "柏政发" in first.output
    second = runner.invoke(main, ["setup", "--region", "示例区", "--town", "杉木乡", "--admin", "sm_admin"],
                           env={"FIREGRID_SETUP_PASSWORD": "long-enough-2"})
    assert second.exit_code == 0, second.output
    again = runner.invoke(main, ["setup", "--region", "示例区", "--town", "杉木乡", "--admin", "x", "--password",
                                 "long-enough-3", "--prefix", "town_notice=杉〔府〕"])
    assert again.exit_code == 1 and "已有“杉木乡”" in again.output and "不要包含括号" in again.output
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(GridNode).where(GridNode.level == "region")) == 1
    numbers = []
    for name in ("柏树镇", "杉木乡"):
        town = session.scalar(select(GridNode).where(GridNode.name == name))
        context = notices.document_context(session, {"title": "通知", "body": "正文。"}, today=docs_today(app),
                                           town=town)
        issued = documents.issue(session, docs, template_key="notice", context=context, title="通知",
                                 prefix_key="town_notice", subject=Subject(town), user=None, now=app_now(app))
        numbers.append(re.sub(r"〔\d+〕", "〔年〕", issued.number))
    assert numbers == ["柏政发〔年〕1号", "杉木府发〔年〕1号"]
