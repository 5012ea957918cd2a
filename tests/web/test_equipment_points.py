"""Issue 19 item 7: the 器材存放点 register — kept by admins and clerks in their scope, exported to Excel,
printed as a list (DOCX and PDF) and carried by the organisation workbook."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

import docx
import pdfplumber
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.docx_checks import check_gbt9704, check_pdf_text
from webapp.cases import org_workbook
from webapp.cases.org_workbook import WorkbookRefused
from webapp.clock import TZ
from webapp.documents.docx_text import paragraph_text
from webapp.models import AuditEvent, EquipmentPoint
from webapp.registers import equipment_points

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=TZ)
POINT = {"name": "松林村器材点", "address": "松林村村委会一楼", "equipment": "灭火器 10具\n水带 2盘；消防桶 6只",
         "keeper": "林守一", "keeper_phone": "13907120001", "last_checked_on": "2026-11-05"}


def _point(session, name: str) -> EquipmentPoint | None:
    session.expire_all()
    return session.scalar(select(EquipmentPoint).where(EquipmentPoint.name == name))


def test_a_clerk_adds_changes_and_deletes_a_point(session, sign_in, small_town):
    clerk = sign_in("clerk")
    area = small_town.village.children[0]
    bad = clerk.post("/equipment-points/new", {**POINT, "grid_id": area.id, "keeper_phone": "12345",
                                               "last_checked_on": "2099-01-01"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "格式不正确" in page and "日期不能晚于今天" in page
    assert 'value="松林村村委会一楼"' in page and _point(session, POINT["name"]) is None  # input kept, nothing saved
    assert clerk.post("/equipment-points/new", {**POINT, "grid_id": area.id}).status_code == 302
    point = _point(session, POINT["name"])
    assert point.town_id == small_town.town.id and point.grid_id == area.id
    assert point.equipment_lines() == ["灭火器 10具", "水带 2盘", "消防桶 6只"]  # "；" splits like a new line
    again = clerk.post("/equipment-points/new", {**POINT, "grid_id": small_town.village.id})
    assert again.status_code == 400 and "本镇已有名为“松林村器材点”" in again.get_data(as_text=True)
    listing = clerk.get("/equipment-points/").get_data(as_text=True)
    assert "松林村器材点" in listing and "林守一" in listing and "消防桶 6只" in listing

    changed = clerk.post(f"/equipment-points/{point.id}", {**POINT, "grid_id": area.id, "keeper": "林守二"})
    assert changed.status_code == 302 and _point(session, POINT["name"]).keeper == "林守二"
    assert clerk.post(f"/equipment-points/{point.id}/delete").status_code == 302
    assert _point(session, POINT["name"]) is None
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"equipment_point_save", "equipment_point_delete"} <= actions


def test_scope_and_role_are_checked_and_a_refusal_is_logged(session, sign_in, small_town):
    other_area = small_town.other_village.children[0]
    clerk = sign_in("clerk")
    assert clerk.post("/equipment-points/new", {**POINT, "name": "柳岸器材点", "grid_id": other_area.id}).status_code \
        == 302
    point = _point(session, "柳岸器材点")
    village_clerk = sign_in("village_clerk")  # scope: the first village only
    assert "柳岸器材点" not in village_clerk.get("/equipment-points/").get_data(as_text=True)
    refused = [village_clerk.get(f"/equipment-points/{point.id}"),
               village_clerk.post(f"/equipment-points/{point.id}", {**POINT, "grid_id": other_area.id}),
               village_clerk.post(f"/equipment-points/{point.id}/delete"),
               # a grid outside the scope, posted by hand
               village_clerk.post("/equipment-points/new", {**POINT, "name": "越权", "grid_id": other_area.id}),
               sign_in("inspector").get("/equipment-points/"),
               sign_in("leader").get("/equipment-points/list.docx")]
    assert [r.status_code for r in refused][:3] == [403, 403, 403]
    assert refused[3].status_code in (400, 403) and _point(session, "越权") is None
    assert [r.status_code for r in refused[4:]] == [403, 403]
    assert _point(session, "柳岸器材点") is not None
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "access_denied")) is not None


def test_the_excel_export_keeps_formula_like_text_as_text(session, sign_in, small_town):
    clerk = sign_in("clerk")
    assert clerk.post("/equipment-points/new", {**POINT, "keeper": "=HYPERLINK(\"x\")",
                                                "grid_id": small_town.village.id}).status_code == 302
    response = clerk.get("/equipment-points/export.xlsx")
    sheet = load_workbook(BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == equipment_points.HEADERS
    assert rows[2][:2] == ("松林村器材点", "松林村") and rows[2][3] == "灭火器 10具；水带 2盘；消防桶 6只"
    keeper = sheet.cell(row=3, column=5)
    assert keeper.value == "=HYPERLINK(\"x\")" and keeper.data_type == "s"


def test_the_organisation_workbook_carries_the_points_both_ways(session, small_town):
    town = small_town.town
    rows = {equipment_points.TITLE: [
        ["镇器材库", "", "镇政府东侧", "灭火器 20具；水带 6盘", "周保管", "13907120002", "2026-01-06"],
        ["松林器材箱", "松林村/松林一组", "", "灭火器 4具", "", "", ""]]}
    result = org_workbook.import_workbook(session, town, BytesIO(org_workbook.filled_workbook(rows)), now=NOW)
    assert dict(result.sheets)[equipment_points.TITLE].added == ["镇器材库", "松林器材箱"]
    exported = load_workbook(BytesIO(org_workbook.export_workbook(session, town)))[equipment_points.TITLE]
    values = [list(r) for r in exported.iter_rows(min_row=2, values_only=True)]
    assert ["镇器材库", town.name, "镇政府东侧", "灭火器 20具；水带 6盘", "周保管", "13907120002", "2026-01-06"] \
        in values
    bad = {equipment_points.TITLE: [["好点", "", "", "", "", "", ""], ["坏点", "不存在的村", "", "", "", "", ""],
                                     ["电话错", "", "", "", "", "123", ""], ["日期错", "", "", "", "", "", "去年"]]}
    with pytest.raises(WorkbookRefused) as refused:
        org_workbook.import_workbook(session, town, BytesIO(org_workbook.filled_workbook(bad)), now=NOW)
    assert [(p.sheet, p.row) for p in refused.value.rows] == [(equipment_points.TITLE, n) for n in (3, 4, 5)]
    session.rollback()
    assert _point(session, "好点") is None  # one refused row: nothing of the file is imported


def _list_points(clerk, small_town) -> None:
    for index, grid_node in enumerate([small_town.town, small_town.village, small_town.village.children[1]]):
        data = {**POINT, "name": f"器材点{index + 1}<&>{{{{ x }}}}", "grid_id": grid_node.id}
        assert clerk.post("/equipment-points/new", data).status_code == 302


def _cells(document) -> list[str]:
    return [paragraph_text(p._p) for table in document.tables for row in table.rows for cell in row.cells
            for p in cell.paragraphs]


def test_the_printed_list_is_a_form_table_with_every_point(session, sign_in, small_town, tmp_path):
    clerk = sign_in("clerk")
    _list_points(clerk, small_town)
    response = clerk.get("/equipment-points/list.docx")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    document = docx.Document(BytesIO(response.data))
    texts = [paragraph_text(p._p) for p in document.paragraphs]
    title = f"{small_town.town.name}消防器材存放点一览表"
    assert texts[0] == title and "共3处" in texts
    cells = _cells(document)
    assert cells[:5] == ["序号", "存放点", "（网格、地址）", "存放器材", "保管人"]
    assert "器材点1<&>{{ x }}" in cells and "（全镇）" in cells and "（松林村/松林二组）" in cells
    assert cells.count("消防桶 6只") == 3 and cells.count("13907120001") == 3 and "2026-11-05" in cells
    check_gbt9704(response.data, "--no-header", tmp_path=tmp_path, name="equipment-points")


@pytest.mark.slow
def test_the_printed_list_renders_to_pdf(app, session, sign_in, small_town, tmp_path):
    from webapp.web.responses import runtime

    with app.app_context():
        if not runtime().documents.pdf.available():
            pytest.skip("LibreOffice is not installed")
    clerk = sign_in("clerk")
    _list_points(clerk, small_town)
    response = clerk.get("/equipment-points/list.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    with pdfplumber.open(BytesIO(response.data)) as pdf:
        text = "".join(page.extract_text() for page in pdf.pages).replace(" ", "")
    assert "消防器材存放点一览表" in text and "器材点3" in text and "消防桶6只" in text
    check_pdf_text(clerk.get("/equipment-points/list.docx").data, response.data, tmp_path, "equipment-points")


def test_the_demo_town_has_points_from_its_workbook(session, demo):
    names = set(session.scalars(select(EquipmentPoint.name)))
    assert len(names) >= 4 and all(p.keeper and p.equipment for p in session.scalars(select(EquipmentPoint)))
