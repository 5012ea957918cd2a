"""Issue 17, items 12 and 13 over HTTP: forged uploads refused in Chinese beside the field; imports capped."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook

from webapp.services import unit_ledger


def test_html_behind_an_image_signature_is_refused_at_upload(session, sign_in, small_town):
    clerk = sign_in("clerk")
    forged = (io.BytesIO(b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"), "现场.png")
    response = clerk.post("/evaluation/publicity", {
        "grid_id": str(small_town.village.id), "member_id": "0", "held_on": "2026-01-05", "kind": "drill",
        "five_into": "进学校", "title": "演练", "attendance": "20", "photos": [forged]},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "文件“现场.png”不是有效的图片：其中夹带了网页代码。" in response.get_data(as_text=True)


def _ledger(rows: int, town: str) -> bytes:
    """A ledger workbook with `rows` bad rows; the sheet XML is written directly (openpyxl would take a minute
    for 200,000 rows), inside a workbook openpyxl made."""
    book = Workbook()
    book.active.title = "单位台账"
    buffer = io.BytesIO()
    book.save(buffer)

    def row(number: int, values: list[str]) -> str:
        cells = "".join(f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
                        for i, v in enumerate(values))
        return f'<row r="{number}">{cells}</row>'

    lines = [row(1, unit_ledger.HEADERS)] + [row(n, [f"单位{n}", "不存在的类别", f"{town}/无此村"])
                                             for n in range(2, rows + 2)]
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><sheetData>' + "".join(lines) + "</sheetData></worksheet>")
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = sheet.encode() if item.filename == "xl/worksheets/sheet1.xml" else source.read(item.filename)
            target.writestr(item.filename, data)
    return out.getvalue()


def _import(visitor, content: bytes):  # noqa: ANN001, ANN202
    return visitor.post("/units/import", {"file": (io.BytesIO(content), "台账.xlsx")},
                        content_type="multipart/form-data")


def test_import_lists_the_first_hundred_problems_and_counts_the_rest(session, sign_in, small_town):
    response = _import(sign_in("admin"), _ledger(300, small_town.town.name))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "导入失败，共600处错误" in page
    assert "第51行：未知的单位类别" in page and "第52行" not in page  # 100 problems: two per row
    assert "另有500处错误未列出" in page


def test_a_200000_row_workbook_is_refused_with_a_short_answer(session, sign_in, small_town):
    response = _import(sign_in("admin"), _ledger(200_000, small_town.town.name))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and f"超过{unit_ledger.MAX_ROWS}行" in page
    assert len(page) < 100_000
