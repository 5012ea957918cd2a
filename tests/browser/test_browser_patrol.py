"""Issue 19 in a real browser on a 390 px phone: the unit's QR address → 开始巡查 → a hazard with a photo →
it shows on the unit page and on the hazard ledger → the unit's next inspection form brings it."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from tests.browser.support import check_page, png

pytest.importorskip("playwright.sync_api", reason="the `playwright` Python package is not installed")
from playwright.sync_api import expect  # noqa: E402

UNIT = "兴隆日杂店"
SENTENCE = "店内楼梯下给电动车充电"


@pytest.mark.slow
def test_patrol_hazard_from_the_qr_address_to_the_next_inspection(log_in, live_server, tmp_path):
    page = log_in("inspector")
    page.goto(f"/units/?q={UNIT}")
    page.get_by_role("link", name=UNIT, exact=True).click()
    code = page.locator(".unit-code strong code").inner_text()
    page.goto(f"/u/{code}")  # what the QR code on the door opens
    expect(page.get_by_role("heading", level=1)).to_contain_text(UNIT)
    check_page(page, "patrol-01-unit-page")
    page.get_by_role("link", name="开始巡查").first.click()
    check_page(page, "patrol-02-form")
    expect(page.get_by_role("button", name="未发现问题")).to_be_visible()

    page.get_by_text("发现隐患", exact=True).click()  # unfold the hazard
    page.get_by_role("button", name="提交隐患").click()  # nothing filled in: said beside the buttons
    expect(page.get_by_role("alert").filter(has_text="请至少填写一项隐患")).to_be_visible()
    check_page(page, "patrol-03-errors")

    hazard = page.get_by_role("group", name="隐患1")
    hazard.get_by_label("隐患类别").select_option("电动自行车违规停放充电")
    hazard.get_by_label("一句话描述").fill(SENTENCE)
    photo = tmp_path / "现场.png"
    photo.write_bytes(png(40, 30))
    hazard.get_by_label("现场照片（可多张）").set_input_files(str(photo))
    page.get_by_role("button", name="提交隐患").click()

    expect(page.get_by_text("1项隐患已作为线索转检查核实")).to_be_visible()
    history = page.locator("#patrol-history")
    expect(history).to_contain_text(SENTENCE)
    expect(history).to_contain_text("待检查核实")
    expect(history).to_contain_text("照片1张")
    check_page(page, "patrol-04-unit-page-after")

    clerk = log_in("clerk")
    ledger = clerk.request.get("/inspection/ledger.xlsx?year=2026")
    assert ledger.ok
    rows = [r for r in load_workbook(io.BytesIO(ledger.body())).active.iter_rows(values_only=True)
            if r and r[2] == UNIT]
    assert [(r[6], r[7], r[15]) for r in rows] == [("巡查线索：电动自行车违规停放充电", SENTENCE, "待检查核实")]

    page.get_by_role("link", name="记录检查").click()
    check_page(page, "patrol-05-inspection-form")
    lead = page.get_by_role("group", name=re.compile(r"巡查线索：电动自行车违规停放充电"))
    expect(lead.get_by_label("问题描述")).to_have_value(SENTENCE)
    expect(lead.get_by_label("存在隐患")).to_be_checked()
