import re
from datetime import date

import pytest
from sqlalchemy import select

from webapp.models import NumberPrefix
from webapp.services import settings
from webapp.services.errors import InvalidInput


def test_admin_enters_holidays_for_an_unknown_year_and_deadlines_follow(app, session, sign_in, small_town):
    admin = sign_in("admin")
    assert admin.post("/admin/settings/calendar", {"day": "2027-01-04", "is_workday": "0", "note": "元旦调休"}
                      ).status_code == 302
    known = admin.post("/admin/settings/calendar", {"day": "2026-10-01", "is_workday": "0", "note": ""})
    assert known.status_code == 400 and "无需手工录入" in known.get_data(as_text=True)
    calendar = app.extensions["firegrid.runtime"].calendar(session)
    assert not calendar.is_workday(date(2027, 1, 4))
    assert calendar.add_workdays(date(2027, 1, 1), 1) == date(2027, 1, 5)  # Fri → (weekend, holiday) → Tue
    assert sign_in("clerk").get("/admin/settings/calendar").status_code == 403


def test_number_prefix_edit_validates(app, session, sign_in, small_town):
    admin = sign_in("admin")
    bad = admin.post("/admin/settings/prefixes/town_notice", {"organ": "松林镇人民政府", "prefix": "松林府〔发〕",
                                                              "grammar": "wenhao"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "不要包含括号" in page and 'value="松林府〔发〕"' in page
    ok = admin.post("/admin/settings/prefixes/town_notice", {"organ": "松林镇人民政府", "prefix": "松府发",
                                                             "grammar": "wenhao"})
    assert ok.status_code == 302
    session.expire_all()
    assert session.scalar(select(NumberPrefix.prefix).where(NumberPrefix.key == "town_notice")) == "松府发"


def test_unknown_grammar_refused(session, small_town):
    with pytest.raises(InvalidInput, match="编号格式"):
        settings.update_number_prefix(session, "town_notice", organ="x", prefix="y", grammar="roman")


def test_every_prefix_a_procedure_issues_under_is_declared_once():
    from tests.factories import PREFIX_KINDS
    from webapp.cases import registry
    from webapp.demo.organisation import NUMBER_PREFIXES

    declared = {use.key: use.grammar for use in registry.number_uses()}
    assert declared == {key: grammar for key, (_o, _p, grammar) in PREFIX_KINDS.items()}
    assert declared == {key: grammar for key, _o, _p, grammar, _d in NUMBER_PREFIXES}


def test_a_town_without_a_prefix_sees_it_unset_and_sets_it(app, session, sign_in, small_town):
    session.delete(session.get(NumberPrefix, "referral"))
    session.commit()
    admin = sign_in("admin")
    page = admin.get("/admin/settings/calendar").get_data(as_text=True)
    row = re.search(r"<tr><td>火灾隐患移交函</td>.*?</tr>", page, re.S).group(0)
    assert "未配置" in row and 'href="/admin/settings/prefixes/referral">设置<' in row
    form = admin.get("/admin/settings/prefixes/referral").get_data(as_text=True)
    assert re.search(r'<option selected value="di">|<option value="di" selected>', form)
    assert admin.post("/admin/settings/prefixes/referral", {"organ": "松林镇人民政府", "prefix": "松消移",
                                                            "grammar": "di"}).status_code == 302
    session.expire_all()
    created = session.get(NumberPrefix, "referral")
    assert (created.organ, created.prefix, created.description) == ("松林镇人民政府", "松消移", "火灾隐患移交函")
    assert "未配置" not in admin.get("/admin/settings/calendar").get_data(as_text=True)
    assert admin.get("/admin/settings/prefixes/nonsense").status_code == 404
