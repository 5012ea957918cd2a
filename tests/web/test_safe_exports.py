"""Formula injection (issue 17, item 3): text that Excel would run as a formula is written as text."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

import webapp
from webapp.services.spreadsheets import append_row, table_workbook

NASTY = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://example.invalid","点我")']


def _read(content: bytes):  # noqa: ANN202
    return load_workbook(io.BytesIO(content)).active


@pytest.mark.parametrize("text", NASTY)
def test_formula_like_text_is_written_as_text(text):
    sheet = _read(table_workbook("表", ["名称", "数量"], [[text, -3], ["普通", 2]]))
    cell = sheet["A2"]
    assert cell.data_type == "s" and cell.value == text and cell.quotePrefix
    assert sheet["B2"].value == -3 and sheet["B2"].data_type == "n"  # numbers stay numbers
    assert sheet["A3"].value == "普通" and not sheet["A3"].quotePrefix


def test_write_only_sheets_keep_formula_like_text_as_text(tmp_path):
    book = Workbook(write_only=True)
    sheet = book.create_sheet("目录")
    append_row(sheet, ["=1+1", 5])
    book.save(tmp_path / "out.xlsx")
    cell = load_workbook(tmp_path / "out.xlsx").active["A1"]
    assert (cell.data_type, cell.value, cell.quotePrefix) == ("s", "=1+1", True)


def test_unit_ledger_publicity_and_fire_exports_show_the_text(session, sign_in, small_town):
    clerk = sign_in("clerk")
    response = clerk.post("/units/new", {"name": "=1+1", "category": "small_shop", "address": "@地址",
                                         "grid_id": str(small_town.village.children[0].id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    sheet = _read(clerk.get("/units/export.xlsx").data)
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "=1+1")
    assert row[0].data_type == "s" and row[3].value == "@地址" and row[3].data_type == "s"

    village = str(small_town.village.id)
    assert clerk.post("/evaluation/publicity", {
        "grid_id": village, "member_id": "0", "held_on": "2026-05-12", "kind": "drill", "five_into": "进学校",
        "title": "=1+1", "audience": "-师生", "attendance": "20"}).status_code == 302
    sheet = _read(clerk.get("/evaluation/publicity.xlsx?year=2026").data)
    assert (sheet["E2"].value, sheet["E2"].data_type, sheet["F2"].value) == ("=1+1", "s", "-师生")
    assert clerk.post("/evaluation/fires", {"grid_id": village, "occurred_on": "2026-08-03", "place": "=1+1",
                                            "deaths": "0", "injuries": "0", "loss": "12"}).status_code == 302
    sheet = _read(clerk.get("/evaluation/fires.xlsx?year=2026").data)
    assert (sheet["C2"].value, sheet["C2"].data_type) == ("=1+1", "s")


def test_every_excel_export_goes_through_the_shared_writer():
    """Hazard ledger, 发文登记簿 and the letters' reminder list hand their rows to table_workbook; the archive's
    streaming catalogue appends through append_row: no module builds or fills a sheet of its own."""
    root = Path(webapp.__file__).parent
    sources = {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*.py")}
    assert sorted(name for name, text in sources.items() if "Workbook(" in text) == [
        "archive/catalogue.py", "services/spreadsheets.py"]
    own_appends = [name for name, text in sources.items() if "sheet.append(" in text]
    assert own_appends == ["services/spreadsheets.py"]
