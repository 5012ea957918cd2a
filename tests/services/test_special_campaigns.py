"""专项行动 through the services on a real database: tagging inspections and patrols (only to a campaign open
that day and covering the unit), the figures from exactly the tagged records, and the closing report."""

from __future__ import annotations

import io
from datetime import date, datetime

import docx
import pytest
from sqlalchemy import select

from tests.docx_checks import check_gbt9704
from tests.services.test_patrol_services import _inspection_data, hazard, patrol_with
from webapp.cases import actions as cases
from webapp.cases import special_campaigns
from webapp.clock import TZ
from webapp.services.errors import InvalidInput, OutOfScope

MOMENT = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)
EXITS, CHARGING = "疏散通道是否畅通", "电动自行车是否在室内充电"
BASIS = "《中华人民共和国消防法》第二十八条"


@pytest.fixture()
def runtime(app):  # noqa: ANN001, ANN201
    return app.extensions["firegrid.runtime"]


def campaign(session, town, name="打通生命通道专项行动", *, categories=(), areas=(), start=date(2026, 11, 1),  # noqa: ANN001, ANN201
             end=date(2026, 11, 30)):
    values = special_campaigns.CampaignInput(name=name, starts_on=start, ends_on=end, categories=list(categories),
                                             area_ids=[a.id for a in areas],
                                             checklist=[f"{EXITS}｜{BASIS}", "", CHARGING])
    found = special_campaigns.save(session, user=town.users["admin"], values=values, now=MOMENT)
    session.commit()
    return found


def inspect(session, runtime, town, unit_name: str, campaign_id: int = 0, *, hazards: int = 0,  # noqa: ANN001, ANN201
            failed: dict[str, bool] | None = None, not_applicable: tuple[str, ...] = ()):
    """An inspection through the service; tagged to a campaign it checks the campaign's items as the form
    lists them: `failed` (name → corrected on the spot) are hazards, `not_applicable` 不适用, the others pass."""
    unit = town.units[unit_name]
    data = _inspection_data(session, town, unit_name, {})
    data["special_campaign_id"] = campaign_id
    for entry in data["items"][:hazards]:
        entry.update(result="hazard", description="疏散通道堆放杂物", location="后门", photos=[],
                     corrected_on_spot=False)
    failed = failed or {}
    for item in special_campaigns.items_of(session, campaign_id):
        result = "hazard" if item.name in failed else "na" if item.name in not_applicable else "passed"
        data["items"].append({"item_id": "", "campaign_item": item.name, "item_name": item.name, "result": result,
                              "description": f"{item.name}：否", "location": "一楼", "photos": [],
                              "corrected_on_spot": failed.get(item.name, False)})
    instance = cases.start_case(session, runtime, procedure_key="inspection", user=town.users["inspector"],
                                grid=unit.grid, unit=unit, title="检查", now=MOMENT, data=data)
    session.commit()
    return instance


def figures(session, found) -> dict[str, str]:  # noqa: ANN001
    return {f.label: f.value for f in special_campaigns.figures(session, found)}


def test_a_campaign_reports_exactly_its_tagged_inspections_and_patrols(session, runtime, small_town):
    drive = campaign(session, small_town)
    other = campaign(session, small_town, "冬季消防检查")
    for name in ("丰收便利店", "松香面馆", "丰收便利店"):
        inspect(session, runtime, small_town, name, drive.id, hazards=1)
    inspect(session, runtime, small_town, "快乐网咖", 0, hazards=2)  # untagged: not counted
    inspect(session, runtime, small_town, "柳岸客栈", other.id)  # another campaign's
    patrol_with(session, runtime, small_town, "丰收便利店", [hazard("疏散通道堵塞", "后门堆放纸箱", fixed=True)],
                moment=MOMENT, special_campaign_id=drive.id)
    patrol_with(session, runtime, small_town, "松香面馆", [], moment=MOMENT)
    assert figures(session, drive) == {"检查次数": "3", "检查单位": "2", "检查发现隐患": "3", "检查隐患已整改": "0",
                                       "巡查次数": "1", "巡查发现隐患": "1", "巡查当场改正": "1"}
    assert figures(session, other)["检查次数"] == "1" and figures(session, other)["检查发现隐患"] == "0"


def test_a_tag_must_be_open_that_day_and_cover_the_unit(session, runtime, small_town):
    shops = campaign(session, small_town, "小商店专项", categories=["small_shop"], areas=[small_town.village])
    later = campaign(session, small_town, "元旦专项", start=date(2026, 12, 20), end=date(2027, 1, 5))
    with pytest.raises(InvalidInput, match="不在专项行动“小商店专项”的对象范围内") as refused:
        inspect(session, runtime, small_town, "松香面馆", shops.id)  # a restaurant
    assert "special_campaign_id" in refused.value.fields
    session.rollback()
    with pytest.raises(InvalidInput, match="不在行动期内"):
        inspect(session, runtime, small_town, "丰收便利店", later.id)
    session.rollback()
    inspector = small_town.users["inspector"]
    day = MOMENT.date()
    assert [c.name for c in special_campaigns.choices(session, inspector, day, small_town.units["丰收便利店"])] == [
        "小商店专项"]
    assert special_campaigns.choices(session, inspector, day, small_town.units["快乐网咖"]) == []
    assert [c.name for c in special_campaigns.choices(session, inspector, date(2026, 12, 25), None)] == ["元旦专项"]


def test_every_problem_of_a_campaign_at_once(session, small_town):
    campaign(session, small_town)
    values = special_campaigns.CampaignInput(name="打通生命通道专项行动", starts_on=date(2026, 11, 5),
                                             ends_on=date(2026, 11, 1), categories=["no_such_kind"], area_ids=[],
                                             checklist=[])
    with pytest.raises(InvalidInput) as refused:
        special_campaigns.save(session, user=small_town.users["clerk"], values=values, now=MOMENT)
    assert set(refused.value.fields) == {"name", "ends_on", "categories"}


def test_another_towns_campaign_is_out_of_scope(session, small_town):
    from tests import factories

    found = campaign(session, small_town)
    other_town = factories.town(session, "柏树镇")
    stranger = factories.user(session, "stranger", "clerk", scope=other_town)
    with pytest.raises(OutOfScope):
        special_campaigns.get(session, stranger, found.id)
    assert special_campaigns.get(session, small_town.users["village_inspector"], found.id) is found


def test_the_closing_report_names_the_figures_and_passes_the_checker(session, runtime, small_town, tmp_path):
    drive = campaign(session, small_town)
    inspect(session, runtime, small_town, "丰收便利店", drive.id, hazards=1)
    content = special_campaigns.closing_report(session, runtime.documents, drive, today=date(2026, 12, 1))
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)
    cells = "\n".join(c.text for t in docx.Document(io.BytesIO(content)).tables for r in t.rows for c in r.cells)
    rows = [[c.text for c in r.cells] for r in docx.Document(io.BytesIO(content)).tables[2].rows]
    assert "打通生命通道专项行动总结报告" in text and rows == [
        ["检查内容", "依据", "检查", "不合格", "已整改"], [EXITS, BASIS, "1", "0", "0"], [CHARGING, "", "1", "0", "0"]]
    assert "检查次数" in cells and "2026-11-01 至 2026-11-30" in cells
    check_gbt9704(content, "--no-header", tmp_path=tmp_path, name="campaign_report", no_warnings=True)


def test_twenty_tagged_inspections_are_exactly_what_the_campaign_reports(session, runtime, small_town):
    drive = campaign(session, small_town)
    names = list(small_town.units)
    for index in range(20):
        inspect(session, runtime, small_town, names[index % len(names)], drive.id,
                failed={EXITS: index % 2 == 0} if index % 5 == 0 else {},
                not_applicable=(CHARGING,) if index % 4 == 0 else ())
    inspect(session, runtime, small_town, names[0])  # untagged
    assert figures(session, drive)["检查次数"] == "20" and figures(session, drive)["检查单位"] == "4"
    # per item: index 0, 5, 10, 15 failed the exits (0 and 10 put right on the spot); every 4th had no charging
    assert [(f.name, f.checked, f.failed, f.rectified) for f in special_campaigns.item_figures(session, drive)] == [
        (EXITS, 20, 4, 2), (CHARGING, 15, 0, 0)]


def test_a_failed_campaign_item_is_a_hazard_citing_the_campaigns_basis(session, runtime, small_town):
    from webapp.procedures.inspection.models import CampaignCheck, Inspection
    from webapp.procedures.inspection.records import notice_context

    drive = campaign(session, small_town)
    instance = inspect(session, runtime, small_town, "丰收便利店", drive.id, failed={EXITS: False, CHARGING: False})
    found = session.scalar(select(Inspection).where(Inspection.instance_id == instance.id))
    assert [(h.item_name, h.legal_basis, h.status) for h in found.hazards] == [
        (EXITS, BASIS, "open"), (CHARGING, "", "open")]
    assert [(c.item_name, c.result, c.hazard_id) for c in session.scalars(select(CampaignCheck))] == [
        (EXITS, "hazard", found.hazards[0].id), (CHARGING, "hazard", found.hazards[1].id)]
    # the notice draft proposes each hazard with its basis, as for a failed checklist item
    rows = [{"hazard_id": str(h.id), "description": h.description, "location": h.location,
             "legal_basis": h.legal_basis} for h in found.hazards]
    context = notice_context(session, instance, {"notice_hazards": rows, "deadline": "2026-12-02"}, MOMENT)
    assert [(h["description"], h["legal_basis"]) for h in context["hazards"]] == [
        (f"{EXITS}：否", BASIS), (f"{CHARGING}：否", "")]


def test_an_item_the_campaign_does_not_list_is_refused(session, runtime, small_town):
    drive = campaign(session, small_town)
    unit = small_town.units["丰收便利店"]
    data = _inspection_data(session, small_town, "丰收便利店", {})
    data["special_campaign_id"] = drive.id
    data["items"].append({"item_id": "", "campaign_item": "别的行动的项目", "item_name": "别的行动的项目",
                          "result": "passed"})
    with pytest.raises(InvalidInput, match="专项检查内容与所选专项行动不一致"):
        cases.start_case(session, runtime, procedure_key="inspection", user=small_town.users["inspector"],
                         grid=unit.grid, unit=unit, title="检查", now=MOMENT, data=data)


def test_the_checklist_lines_keep_their_basis_and_bad_lines_are_refused(session, small_town):
    drive = campaign(session, small_town)
    assert drive.checklist == [{"name": EXITS, "legal_basis": BASIS}, {"name": CHARGING, "legal_basis": ""}]
    assert [special_campaigns.item_line(i) for i in drive.items] == [f"{EXITS}｜{BASIS}", CHARGING]
    drive.checklist = ["旧式的一行"]  # saved before items had a basis
    assert drive.items == [special_campaigns.CampaignItem("旧式的一行", "")]
    values = special_campaigns.CampaignInput(name="另一行动", starts_on=date(2026, 11, 1), ends_on=date(2026, 11, 30),
                                             categories=[], area_ids=[], checklist=[EXITS, f"{EXITS}|{BASIS}"])
    with pytest.raises(InvalidInput) as refused:
        special_campaigns.save(session, user=small_town.users["admin"], values=values, now=MOMENT)
    assert refused.value.fields == {"checklist": "专项检查内容有重复的项目。"}
