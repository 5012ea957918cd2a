"""Issue 17 item 4: the inspection checklist (检查项目) belongs to a town; each town's admin keeps their own,
and another town's checklist answers 403 (logged)."""

from __future__ import annotations

from sqlalchemy import select

from tests import factories
from webapp.models import AuditEvent
from webapp.procedures.inspection import setup as inspection_setup
from webapp.procedures.inspection.models import ChecklistItem


def _town_b(session, small_town):
    town_b = factories.town(session, "柏树镇", region=small_town.town.parent)
    village_b = factories.village(session, town_b, "柏树村", areas=("柏树一组",))
    factories.user(session, "admin_b", "admin", scope=town_b)
    session.commit()
    return town_b, village_b


def test_each_town_keeps_its_own_checklist(session, sign_in, small_town):
    town_b, village_b = _town_b(session, small_town)
    admin = sign_in("admin")
    assert admin.post("/inspection/checklist", {"name": "消防控制室值班", "sort_order": "9"}).status_code == 302
    item_b = inspection_setup.all_items(session, town_b)[0]
    session.commit()
    b_names = [i.name for i in inspection_setup.all_items(session, town_b)]
    a_names = [i.name for i in inspection_setup.all_items(session, small_town.town)]
    assert "消防控制室值班" in a_names and "消防控制室值班" not in b_names
    # an inspection of a unit in town B lists town B's items (a unit's small grid finds its town)
    assert [i.id for i in inspection_setup.checklist_for(session, village_b.children[0], "small_shop")] == [
        i.id for i in inspection_setup.all_items(session, town_b) if i.applies_to("small_shop")]
    page = sign_in("admin_b").get("/inspection/checklist").get_data(as_text=True)
    assert item_b.name in page and "消防控制室值班" not in page

    refused = [admin.get(f"/inspection/checklist?town={town_b.id}"),
               admin.get(f"/inspection/checklist?item_id={item_b.id}"),
               admin.post(f"/inspection/checklist?item_id={item_b.id}", {"name": "改掉", "sort_order": "1"})]
    assert [r.status_code for r in refused] == [403, 403, 403]
    session.expire_all()
    assert session.get(ChecklistItem, item_b.id).name == item_b.name
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "access_denied")) is not None


def test_a_name_may_repeat_across_towns_but_not_within_one(session, sign_in, small_town):
    _town_b(session, small_town)
    item = {"name": "液化气瓶存放", "sort_order": "1"}
    assert sign_in("admin").post("/inspection/checklist", item).status_code == 302
    admin_b = sign_in("admin_b")
    assert admin_b.post("/inspection/checklist", item).status_code == 302
    again = admin_b.post("/inspection/checklist", item)
    assert again.status_code == 400 and "已存在" in again.get_data(as_text=True)
    assert len(list(session.scalars(select(ChecklistItem).where(ChecklistItem.name == "液化气瓶存放")))) == 2
