"""专项行动 pages: an admin makes and changes a campaign (every problem beside its field, input kept), anyone
of the town reads its figures and downloads its closing report; the inspection and patrol forms offer only
the campaigns open that day that cover the unit; another town's campaign is 403, an absurd id 404."""

from __future__ import annotations

import io
import re
from datetime import datetime

import docx
from sqlalchemy import select

from tests import factories
from webapp.clock import TZ
from webapp.models import AuditEvent, SpecialCampaign
from webapp.procedures.inspection.models import Inspection
from webapp.procedures.patrol.models import Patrol

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
CAMPAIGN = {"name": "打通生命通道专项行动", "starts_on": "2026-11-01", "ends_on": "2026-11-30",
            "categories": ["small_shop"],
            "checklist": "疏散通道是否畅通｜《中华人民共和国消防法》第二十八条\n安全出口是否锁闭"}
BASIS = "《中华人民共和国消防法》第二十八条"


def _campaign(session) -> SpecialCampaign | None:  # noqa: ANN001
    session.expire_all()
    return session.scalar(select(SpecialCampaign))


def test_an_admin_makes_a_campaign_and_the_town_reads_it(app, session, sign_in, small_town):
    app.extensions["firegrid.clock"].set(NOW)
    admin = sign_in("admin")
    bad = admin.post("/campaigns/new", {**CAMPAIGN, "ends_on": "2026-10-01", "categories": ["nonsense"],
                                        "area_ids": [999999]})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in page and "请从列表中选择场所类别" in page
    assert "只能选择本镇的网格" in page and 'value="打通生命通道专项行动"' in page and _campaign(session) is None
    village = small_town.village
    done = admin.post("/campaigns/new", {**CAMPAIGN, "area_ids": [village.id]})
    assert done.status_code == 302
    found = _campaign(session)
    assert (found.categories, found.area_ids, found.checklist) == (["small_shop"], [village.id], [
        {"name": "疏散通道是否畅通", "legal_basis": BASIS}, {"name": "安全出口是否锁闭", "legal_basis": ""}])
    edit_page = admin.get(f"/campaigns/{found.id}/edit").get_data(as_text=True)
    assert f"疏散通道是否畅通｜{BASIS}\n安全出口是否锁闭" in edit_page  # the lines as typed
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "special_campaign_save")) is not None
    clash = admin.post("/campaigns/new", CAMPAIGN)
    assert clash.status_code == 400 and "本镇已有同名的专项行动" in clash.get_data(as_text=True)
    leader = sign_in("leader")
    listing = leader.get("/campaigns/").get_data(as_text=True)
    assert "打通生命通道专项行动" in listing and "进行中" in listing
    detail = leader.get(f"/campaigns/{found.id}").get_data(as_text=True)
    assert "检查次数" in detail and "巡查次数" in detail and "安全出口是否锁闭" in detail and village.name in detail
    assert BASIS in detail and "不合格" in detail
    report = leader.get(f"/campaigns/{found.id}/report.docx")
    assert report.status_code == 200
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(report.data)).paragraphs)
    assert "打通生命通道专项行动总结报告" in text
    assert leader.post(f"/campaigns/{found.id}/edit", CAMPAIGN).status_code == 403  # leaders read only
    village_clerk = sign_in("village_clerk")  # reads the town's campaigns, changes none
    assert "修改</a>" not in village_clerk.get(f"/campaigns/{found.id}").get_data(as_text=True)
    assert "新建专项行动" not in village_clerk.get("/campaigns/").get_data(as_text=True)
    assert village_clerk.get(f"/campaigns/{found.id}/edit").status_code == 403
    assert village_clerk.get("/campaigns/new").status_code == 403
    assert "修改</a>" in admin.get(f"/campaigns/{found.id}").get_data(as_text=True)


def test_the_visit_forms_offer_only_open_campaigns_covering_the_unit(app, session, sign_in, small_town):
    app.extensions["firegrid.clock"].set(NOW)
    admin = sign_in("admin")
    assert admin.post("/campaigns/new", CAMPAIGN).status_code == 302
    assert admin.post("/campaigns/new", {**CAMPAIGN, "name": "明年专项", "starts_on": "2027-01-01",
                                         "ends_on": "2027-01-31"}).status_code == 302
    inspector = sign_in("inspector")
    shop, restaurant = small_town.units["丰收便利店"], small_town.units["松香面馆"]
    offered = inspector.get(f"/patrol/new?unit_id={shop.id}").get_data(as_text=True)
    assert "打通生命通道专项行动" in offered and "明年专项" not in offered
    assert "打通生命通道专项行动" not in inspector.get(f"/patrol/new?unit_id={restaurant.id}").get_data(as_text=True)
    record = inspector.get(f"/procedures/inspection/start?unit_id={shop.id}").get_data(as_text=True)
    assert "打通生命通道专项行动" in record and "明年专项" not in record
    assert record.index("检查时间") < record.index("专项行动") < record.index("检查人员")  # shown after the date
    drive, later = session.scalars(select(SpecialCampaign).order_by(SpecialCampaign.id)).all()
    refused = inspector.post(f"/patrol/new?unit_id={shop.id}", {"unit_id": shop.id, "outcome": "none",
                                                                 "special_campaign_id": later.id})
    assert refused.status_code == 400 and "请选择在该日期开展、且覆盖该单位的专项行动" in refused.get_data(as_text=True)
    done = inspector.post(f"/patrol/new?unit_id={shop.id}", {"unit_id": shop.id, "outcome": "none",
                                                              "special_campaign_id": drive.id})
    assert done.status_code == 302
    assert session.scalar(select(Patrol)).special_campaign_id == drive.id
    assert "<td data-label=\"数量\">1</td>" in inspector.get(f"/campaigns/{drive.id}").get_data(as_text=True)


def test_another_towns_campaign_is_403_and_absurd_ids_404(app, session, sign_in, small_town):
    app.extensions["firegrid.clock"].set(NOW)
    assert sign_in("admin").post("/campaigns/new", CAMPAIGN).status_code == 302
    found = _campaign(session)
    other = factories.town(session, "柏树镇")
    factories.user(session, "stranger", "admin", scope=other)
    session.commit()
    stranger = sign_in("stranger")
    assert stranger.get(f"/campaigns/{found.id}").status_code == 403
    assert stranger.get(f"/campaigns/{found.id}/report.docx").status_code == 403
    assert "打通生命通道专项行动" not in stranger.get("/campaigns/").get_data(as_text=True)
    admin = sign_in("admin")
    for url in ("/campaigns/999999", "/campaigns/999999/edit", "/campaigns/99999999999999999999"):
        assert admin.get(url).status_code == 404, url


def _fields(page: str) -> dict[str, str]:
    """The inspection form's hidden entry fields as posted back (name → value)."""
    return dict(re.findall(r'name="(items-\d+-(?:item_id|item_name|campaign_item|lead_id))" type="hidden" '
                           r'value="([^"]*)"', page))


def test_the_inspection_form_adds_the_campaigns_items_and_a_failed_one_cites_its_basis(app, session, sign_in,
                                                                                        small_town):
    app.extensions["firegrid.clock"].set(NOW)
    assert sign_in("admin").post("/campaigns/new", CAMPAIGN).status_code == 302
    drive = _campaign(session)
    inspector, shop = sign_in("inspector"), small_town.units["丰收便利店"]
    inspectors = [small_town.users["inspector"].id, small_town.users["inspector2"].id]
    base = {"unit_id": shop.id, "inspected_on": "2026-11-20", "inspected_time": "09:30", "inspector_ids": inspectors}
    plain = _fields(inspector.get(f"/procedures/inspection/start?unit_id={shop.id}").get_data(as_text=True))
    assert plain and not any(key.endswith("campaign_item") and value for key, value in plain.items())
    # choosing the campaign loads its items after the place type's, each with its basis shown
    filled = {"items-0-result": "hazard", "items-0-description": "灭火器过期", "items-0-location": "收银台"}
    chosen = inspector.post("/procedures/inspection/start", {**base, **plain, **filled,
                                                             "special_campaign_id": drive.id})
    page = chosen.get_data(as_text=True)
    assert chosen.status_code == 400 and "所选专项行动" in page
    assert "灭火器过期" in page and 'value="收银台"' in page  # what was filled in stays
    fields = _fields(page)
    names = [fields[f"items-{i}-item_name"] for i in range(len(fields) // 4 + 8) if f"items-{i}-item_name" in fields]
    assert names[-2:] == ["疏散通道是否畅通", "安全出口是否锁闭"] and len(names) > 2
    assert [fields.get(f"items-{i}-campaign_item", "") for i in range(len(names))][-2:] == names[-2:]
    assert f"专项行动检查内容；依据：{BASIS}" in page
    exits = len(names) - 2
    data = {**base, **fields, "special_campaign_id": drive.id, "unit_representative": "店主"}
    data.update({f"items-{i}-result": "passed" for i in range(len(names))})
    data.update({f"items-{exits}-result": "hazard", f"items-{exits}-description": "后门堆放纸箱",
                 f"items-{exits}-location": "后门"})
    done = inspector.post("/procedures/inspection/start", data, content_type="multipart/form-data")
    assert done.status_code == 302, done.get_data(as_text=True)[-2000:]
    session.expire_all()
    inspection = session.scalar(select(Inspection))
    assert inspection.special_campaign_id == drive.id
    assert [(h.item_name, h.description, h.legal_basis) for h in inspection.hazards] == [
        ("疏散通道是否畅通", "后门堆放纸箱", BASIS)]
    detail = inspector.get(f"/campaigns/{drive.id}").get_data(as_text=True)
    row = re.search(r"疏散通道是否畅通</td>(.*?)</tr>", detail, re.S).group(1)
    assert re.findall(r'data-label="(?:检查|不合格|已整改)">(\d+)<', row) == ["1", "1", "0"]
    # the notice's draft proposes the campaign's basis for the hazard
    clerk = sign_in("clerk")
    draft = clerk.inbox_task_id("拟制整改通知书")
    page = clerk.get(f"/tasks/{draft}").get_data(as_text=True)
    assert re.search(rf'<input[^>]*name="notice_hazards-0-legal_basis"[^>]*value="{BASIS}"', page), page[-3000:]
