"""Official text fields refuse emoji and (one-line fields) newlines, beside the field (issue 16)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.form_support import error_beside
from tests.web.test_inspection_flow import record_form
from tests.web.test_notice_issuance import _open_case, at, draft_form
from webapp.forms.common import official_text_problem
from webapp.models import ProcessInstance


@pytest.fixture()
def clerk(app, sign_in, small_town):  # noqa: ANN001, ANN201
    app.extensions["firegrid.clock"].set(at("2026-03-02T09:00"))
    return sign_in("clerk")


def test_emoji_in_a_title_is_refused_beside_it(clerk, session):
    refused = clerk.post("/procedures/notice_issuance/start", {"kind": "通知", "title": "冬春防火🔥通知"})
    assert refused.status_code == 400
    assert error_beside(refused.get_data(as_text=True), "title", "不能包含表情符号")
    assert session.scalar(select(ProcessInstance)) is None


def test_newline_in_a_one_line_field_is_refused_but_body_paragraphs_pass(clerk, session):
    _, draft = _open_case(clerk, "关于开展冬春火灾防控工作的通知")
    refused = clerk.post(f"/tasks/{draft}", draft_form(title="关于开展冬春\n火灾防控工作的通知",
                                                       cc="松林派出所\r\n县消防大队"))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert error_beside(page, "title", "此项只能填写一行") and error_beside(page, "cc", "此项只能填写一行")
    emoji_body = clerk.post(f"/tasks/{draft}", draft_form(body="请各村做好防火工作👍\n请遵照执行。"))
    assert emoji_body.status_code == 400 and error_beside(emoji_body.get_data(as_text=True), "body", "表情符号")
    assert clerk.post(f"/tasks/{draft}", draft_form()).status_code == 302  # the body's newlines are paragraphs


def test_emoji_in_a_checklist_entry_names_the_entry(app, session, sign_in, small_town):
    app.extensions["firegrid.clock"].set(at("2026-09-28T10:00"))
    inspector = sign_in("inspector")
    form = record_form(inspector, session, next(iter(small_town.units.values())), {0: "灭火器过期😱"})
    refused = inspector.post("/procedures/inspection/start", form, content_type="multipart/form-data")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "第1项" in page and "不能包含表情符号" in page


def test_rare_characters_and_official_symbols_are_accepted():
    for text in ("𠀀𪚥", "〔2026〕14号", "①②③", "√", "※", "张三&李四<加油站>"):
        assert official_text_problem(text, one_line=True) is None
    assert official_text_problem("第一行\n第二行", one_line=False) is None
    assert "表情符号" in official_text_problem("火❤情", one_line=False)
