"""Issue 19 item 4: the checklist by place type — the admin keeps each type's items in order, with their
检查要点 and basis, in the page and through Excel; a failed item reaches the 整改通知书 with its basis."""

from __future__ import annotations

import html
import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from webapp.procedures.inspection import setup as inspection_setup
from webapp.procedures.inspection.checklist_sheet import HEADERS
from webapp.procedures.inspection.models import ChecklistItem
from webapp.services.spreadsheets import table_workbook

NEW_ITEM = {"name": "群租房分隔", "guidance": "不得用可燃材料分隔出租，每间有独立疏散条件。",
            "legal_basis": "《中华人民共和国消防法》第二十八条", "categories": ["rental_housing", "multi_use"],
            "sort_order": "0", "is_active": "y"}


def _names(session, town, category: str | None, active_only: bool = False) -> list[str]:
    session.expire_all()
    items = inspection_setup.items_for_type(session, town, category)
    return [i.name for i in items if i.is_active or not active_only]


def test_each_place_type_shows_its_own_items_in_order(session, sign_in, small_town):
    admin = sign_in("admin")
    page = admin.get("/inspection/checklist?category=rental_housing").get_data(as_text=True)
    assert "电动自行车停放充电" in page and "防火巡查和消防档案" not in page  # the latter: key units only
    key_unit = admin.get("/inspection/checklist?category=key_unit").get_data(as_text=True)
    assert "防火巡查和消防档案" in key_unit and "《中华人民共和国消防法》第十七条" in key_unit
    assert "电动自行车停放充电" not in key_unit
    # a new item on a type's page starts ticked for that type
    ticked = re.findall(r'<input[^>]*\bchecked\b[^>]*name="categories"[^>]*value="(\w+)"', page)
    assert ticked == ["rental_housing"]


def test_a_refused_item_keeps_the_input_and_shows_the_error_beside_the_field(session, sign_in, small_town):
    admin = sign_in("admin")
    refused = admin.post("/inspection/checklist?category=rental_housing", {**NEW_ITEM, "legal_basis": "法" * 201})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="legal_basis-error"' in page and "不能超过200个字" in page
    assert 'value="群租房分隔"' in page and "不得用可燃材料分隔出租" in page  # as typed
    assert admin.post("/inspection/checklist?category=rental_housing", NEW_ITEM).status_code == 302
    item = session.scalar(select(ChecklistItem).where(ChecklistItem.name == "群租房分隔"))
    assert item.categories == ["rental_housing", "multi_use"] and item.guidance.startswith("不得用可燃材料")
    # one item, several types: both types' lists show it, a shop's does not
    assert "群租房分隔" in _names(session, small_town.town, "multi_use")
    assert "群租房分隔" not in _names(session, small_town.town, "small_shop")
    clash = admin.post("/inspection/checklist", {**NEW_ITEM, "categories": []})
    assert clash.status_code == 400 and "已存在" in clash.get_data(as_text=True)


def test_the_admin_reorders_and_deactivates_within_a_place_type(session, sign_in, small_town):
    admin, town = sign_in("admin"), small_town.town
    admin.get("/inspection/checklist")  # the town's defaults
    before = _names(session, town, "rental_housing")
    second = session.scalar(select(ChecklistItem).where(ChecklistItem.name == before[1]))
    moved = admin.post(f"/inspection/checklist/{second.id}/move?category=rental_housing", {"direction": "up"})
    assert moved.status_code == 302 and "category=rental_housing" in moved.headers["Location"]
    assert _names(session, town, "rental_housing")[:2] == [before[1], before[0]]
    third = session.scalar(select(ChecklistItem).where(ChecklistItem.name == before[2]))
    assert admin.post(f"/inspection/checklist/{third.id}/active?category=rental_housing",
                      {"active": "0"}).status_code == 302
    session.expire_all()
    for_inspection = [i.name for i in inspection_setup.checklist_for(session, small_town.village, "rental_housing")]
    assert before[2] not in for_inspection and before[2] in _names(session, town, "rental_housing")
    assert "停用" in admin.get("/inspection/checklist?category=rental_housing").get_data(as_text=True)
    # only an admin keeps the checklist
    clerk = sign_in("clerk")
    assert clerk.post(f"/inspection/checklist/{third.id}/active", {"active": "1"}).status_code == 403
    assert clerk.get("/inspection/checklist.xlsx").status_code == 403


def _upload(admin, rows: list[list[object]]):  # noqa: ANN202
    content = table_workbook("检查项目", HEADERS, rows)
    return admin.post("/inspection/checklist/import", {"file": (BytesIO(content), "检查项目.xlsx")},
                      content_type="multipart/form-data")


def test_excel_export_and_import_round_trip(session, sign_in, small_town):
    admin, town = sign_in("admin"), small_town.town
    assert admin.post("/inspection/checklist", {**NEW_ITEM, "name": "=1+1 公式样名称"}).status_code == 302
    exported = admin.get("/inspection/checklist.xlsx")
    sheet = load_workbook(BytesIO(exported.data)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert tuple(rows[0]) == HEADERS and len(rows) == len(inspection_setup.all_items(session, town)) + 1
    formula_row = next(i for i, r in enumerate(rows, start=1) if r[1] == "=1+1 公式样名称")
    assert sheet.cell(row=formula_row, column=2).data_type == "s"  # text, not a formula
    assert rows[formula_row - 1][4] == "出租屋、“三合一”场所"
    unchanged = _upload(admin, rows[1:])
    assert unchanged.status_code == 302, unchanged.get_data(as_text=True)[-3000:]
    assert "新增0项，修改0项" in admin.get("/inspection/checklist").get_data(as_text=True)

    edited = [list(r) for r in rows[1:]]
    edited[0][2] = "安全出口不少于两个，疏散门向外开启。"
    edited.append([None, "液化气瓶间", "单独设置，通风良好。", "《中华人民共和国消防法》第二十七条", "小餐饮", "是"])
    assert _upload(admin, edited).status_code == 302
    session.expire_all()
    first = session.scalar(select(ChecklistItem).where(ChecklistItem.name == rows[1][1],
                                                       ChecklistItem.town_id == town.id))
    added = session.scalar(select(ChecklistItem).where(ChecklistItem.name == "液化气瓶间"))
    assert first.guidance == "安全出口不少于两个，疏散门向外开启。" and added.categories == ["small_restaurant"]


def test_one_bad_row_refuses_the_file_and_every_problem_is_listed(session, sign_in, small_town):
    admin, town = sign_in("admin"), small_town.town
    admin.get("/inspection/checklist")
    count = len(inspection_setup.all_items(session, town))
    response = _upload(admin, [
        [1, "好的新项目", "", "《中华人民共和国消防法》第二十八条", "全部", "是"],
        [2, "类型写错", "", "《中华人民共和国消防法》第二十八条", "小卖部", "是"],
        [3, "依据太长", "", "法" * 201, "", "是"],
        ["第四", "启用写错", "", "《中华人民共和国消防法》第十六条", "", "也许"],
        [5, "好的新项目", "", "《中华人民共和国消防法》第二十八条", "", "是"],
    ])
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for expected in ("第3行：未知的场所类型“小卖部”", "第4行：“法律依据”不能超过200字", "第5行：“排序”应为整数",
                     "第5行：“启用”应填", "第6行：与第2行重复"):
        assert expected in page, expected
    session.expire_all()
    assert len(inspection_setup.all_items(session, town)) == count  # nothing written, not even row 2


def _prefilled(page: str, name: str) -> str:
    found = re.search(rf'<(?:input|textarea)[^>]*name="{re.escape(name)}"[^>]*?(?:value="([^"]*)"[^>]*)?>([^<]*)', page)
    assert found, name
    return html.unescape(found.group(1) if found.group(1) is not None else found.group(2)).strip()


@pytest.mark.slow
def test_a_failed_item_becomes_a_hazard_line_on_the_notice_with_its_basis(app, session, login_as):
    """The admin's item (with its basis) is on the unit type's list; the inspector fails it; the notice draft
    proposes the basis; the signed 整改通知书 cites it beside the hazard."""
    from tests.web.test_inspection_flow import at, document_text, start_inspection, unit_in

    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    unit = unit_in(session, "青石村")
    basis = "《中华人民共和国消防法》第二十三条"
    admin = login_as("admin")
    item = {"name": "液化气瓶存放间", "guidance": "气瓶不超过两瓶，单独存放。", "legal_basis": basis,
            "categories": [unit.category], "sort_order": "-1", "is_active": "y"}
    assert admin.post(f"/inspection/checklist?category={unit.category}", item).status_code == 302
    inspector, clerk, leader = login_as("inspector"), login_as("clerk"), login_as("leader")
    form = inspector.get(f"/procedures/inspection/start?unit_id={unit.id}").get_data(as_text=True)
    assert '1. 液化气瓶存放间</legend><p class="hint">气瓶不超过两瓶，单独存放。</p>' in form  # 检查要点 shown
    start_inspection(inspector, session, unit, {0: "气瓶六只堆放在后厨"})  # the new item is the first
    draft = clerk.inbox_task_id("拟制整改通知书")
    page = clerk.get(f"/tasks/{draft}").get_data(as_text=True)
    assert _prefilled(page, "notice_hazards-0-legal_basis") == basis
    data = {"severity": "general", "deadline": _prefilled(page, "deadline"), "note": ""}
    for field in ("hazard_id", "description", "location", "legal_basis"):
        data[f"notice_hazards-0-{field}"] = _prefilled(page, f"notice_hazards-0-{field}")
    assert clerk.post(f"/tasks/{draft}", data).status_code == 302
    sign = leader.inbox_task_id("签发整改通知书")
    assert leader.post(f"/tasks/{sign}", {"decision": "approve", "opinion": "同意"}).status_code == 302
    _, text, _ = document_text(session, app, "rectification_notice")
    assert "气瓶六只堆放在后厨" in text and f"违反{basis}的规定" in text
