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
    assert session.get(NumberPrefix, (small_town.town.id, "town_notice")).prefix == "松府发"


def test_unknown_grammar_refused(session, small_town):
    with pytest.raises(InvalidInput, match="编号格式"):
        settings.update_number_prefix(session, small_town.town, "town_notice", organ="x", prefix="y", grammar="roman")


def test_every_prefix_a_procedure_issues_under_is_declared_once():
    from tests.factories import PREFIX_KINDS
    from webapp.cases import registry

    declared = {use.key: use.grammar for use in registry.number_uses()}
    assert declared == {key: grammar for key, (_o, _p, grammar) in PREFIX_KINDS.items()}


def test_a_town_without_a_prefix_sees_it_unset_and_sets_it(app, session, sign_in, small_town):
    session.delete(session.get(NumberPrefix, (small_town.town.id, "referral")))
    session.commit()
    admin = sign_in("admin")
    page = admin.get("/admin/settings/calendar").get_data(as_text=True)
    row = re.search(r"<tr><td>火灾隐患移交函</td>.*?</tr>", page, re.S).group(0)
    url = f"/admin/settings/prefixes/referral?town={small_town.town.id}"
    assert "未配置" in row and f'href="{url}">设置<' in row
    form = admin.get(url).get_data(as_text=True)
    assert re.search(r'<option selected value="wenhao">|<option value="wenhao" selected>', form)  # a 函
    assert admin.post(url, {"organ": "松林镇人民政府", "prefix": "松消移", "grammar": "wenhao"}).status_code == 302
    session.expire_all()
    created = session.get(NumberPrefix, (small_town.town.id, "referral"))
    assert (created.organ, created.prefix, created.description) == ("松林镇人民政府", "松消移", "火灾隐患移交函")
    assert "未配置" not in admin.get("/admin/settings/calendar").get_data(as_text=True)
    assert admin.get("/admin/settings/prefixes/nonsense").status_code == 404


def test_a_county_admin_sets_each_towns_prefixes_apart(app, session, sign_in, small_town):
    from tests import factories

    other = factories.town(session, "柏树镇", region=small_town.town.parent)
    factories.user(session, "county_admin", "admin", scope=small_town.town.parent)
    session.commit()
    admin = sign_in("county_admin")
    page = admin.get(f"/admin/settings/calendar?town={other.id}").get_data(as_text=True)
    assert "发文字号：柏树镇" in page and f'href="/admin/settings/calendar?town={small_town.town.id}">松林镇<' in page
    url = f"/admin/settings/prefixes/town_notice?town={other.id}"
    assert admin.post(url, {"organ": "柏树镇人民政府", "prefix": "柏府发", "grammar": "wenhao"}).status_code == 302
    session.expire_all()
    assert session.get(NumberPrefix, (other.id, "town_notice")).prefix == "柏府发"
    assert session.get(NumberPrefix, (small_town.town.id, "town_notice")).prefix == "松林府发"
    town_admin = sign_in("admin")
    assert town_admin.get(url).status_code == 403  # another town's ?town= is refused (issue 17: towns isolated)
    own = town_admin.get("/admin/settings/prefixes/town_notice").get_data(as_text=True)
    assert "松林府发" in own and "柏树镇" not in own  # a town admin sees only their own town


def test_admin_keeps_the_committee_member_units(app, session, sign_in, small_town):
    from webapp.models import CommitteeMember

    admin = sign_in("admin")
    page = admin.get("/admin/settings/committee").get_data(as_text=True)
    assert "松林派出所" in page and "组长" in page
    bad = admin.post("/admin/settings/committee", {"organ": "松林派出所", "committee_role": "member",
                                                   "contact_person": "甲"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "已是成员单位" in text and 'value="甲"' in text
    assert admin.post("/admin/settings/committee", {"organ": "松林镇市场监督管理所", "committee_role": "member",
                                                    "contact_person": "范所长", "sort_order": "9"}).status_code == 302
    session.expire_all()
    added = session.scalar(select(CommitteeMember).where(CommitteeMember.organ == "松林镇市场监督管理所"))
    assert (added.town_id, added.contact_person) == (small_town.town.id, "范所长")
    added_id = added.id
    assert admin.post(f"/admin/settings/committee/{added_id}/delete").status_code == 302
    session.expire_all()
    assert session.get(CommitteeMember, added_id) is None
    assert sign_in("clerk").get("/admin/settings/committee").status_code == 403
