"""Issue 11 in a real browser: inspection with a photo on a phone → notice issued and signed from the
inbox → deadline passes (`firegrid tick --now`) → re-inspection closes the case."""

from __future__ import annotations

import re

import pytest

from tests.browser.support import (
    check_page,
    field_error,
    follow_menu,
    inbox_row,
    open_inbox,
    open_task,
    png,
    read_preview,
)

pytest.importorskip("playwright.sync_api", reason="the `playwright` Python package is not installed")
from playwright.sync_api import expect  # noqa: E402

UNIT = "顺发便利店"
INSPECTED_ON = "2026-10-19"  # a Monday
HAZARD = "疏散通道堆放杂物"
DEADLINE = "2026-10-26"  # 一般隐患: 5 working days after the inspection
REINSPECT_DUE = "2026-10-29"  # 复查 within 3 working days of the deadline


def first_item(page):  # noqa: ANN001, ANN201
    """The first checklist entry: a fieldset (role group) whose legend starts with "1. "."""
    return page.get_by_role("group", name=re.compile(r"^1\. "))


def record_inspection(page, tmp_path) -> None:  # noqa: ANN001
    """The inspector finds the unit, opens 记录检查 and records a hazard with a photo."""
    follow_menu(page, "单位")
    check_page(page, "01-inspector-units")
    page.get_by_label("关键词").fill(UNIT)
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name=UNIT, exact=True).click()
    page.get_by_role("link", name="记录检查").click()
    check_page(page, "02-inspection-form")

    expect(page.get_by_label("检查日期")).to_have_value(INSPECTED_ON)  # today
    page.get_by_label("检查时间").fill("09:30")
    page.get_by_label("许建军").check()
    page.get_by_label("邓海燕").check()
    first = first_item(page)
    first.get_by_label("存在隐患").check()
    page.get_by_role("button", name="发起").click()  # no description yet: the form must say so
    expect(first_item(page).locator(".field", has=page.get_by_label("问题描述"))
           .get_by_role("alert")).to_have_text("存在隐患时请描述问题。")
    check_page(page, "03-inspection-form-errors")

    first = first_item(page)
    first.get_by_label("问题描述").fill(HAZARD)
    first.get_by_label("具体位置").fill("后门通道")
    photo = tmp_path / "hazard.png"
    photo.write_bytes(png())
    first.get_by_label("现场照片").set_input_files(str(photo))
    page.get_by_label("被检查单位代表").fill("店主")
    page.get_by_role("button", name="发起").click()
    expect(page.get_by_role("status")).to_contain_text("已发起")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"消防检查：{UNIT}")
    expect(page.get_by_role("link", name="照片1")).to_be_visible()
    check_page(page, "04-inspection-case")


@pytest.mark.slow
def test_inspection_notice_deadline_and_reinspection(log_in, live_server, tmp_path):
    live_server.set_clock(f"{INSPECTED_ON}T09:40")
    inspector = log_in("inspector")
    check_page(inspector, "00-inspector-home")
    record_inspection(inspector, tmp_path)
    live_server.set_clock(f"{INSPECTED_ON}T15:00")
    clerk, leader = log_in("clerk"), log_in("leader")
    issue_notice(clerk)
    number = sign_notice(leader, live_server.data_dir)
    live_server.set_clock("2026-10-23T10:00")  # served a day late: the 送达 step is overdue
    serve_notice(clerk, tmp_path)

    assert "处理到期定时事项 0 件" in live_server.tick(f"{DEADLINE}T23:00")  # the deadline day is not over
    open_inbox(inspector)
    expect(inbox_row(inspector, "复查")).to_have_count(0)
    assert "处理到期定时事项 1 件" in live_server.tick("2026-10-27T00:00:01")
    live_server.set_clock("2026-11-02T09:00")  # the inspector comes back after the 复查 due date
    follow_menu(leader, "检查整改")
    check_page(leader, "08-leader-inspection-dashboard")
    reinspect(inspector, tmp_path)
    expect(inspector.get_by_role("link", name=re.compile(re.escape(number)))).to_be_visible()  # the notice, on file
    follow_menu(inspector, "已办")
    expect(inbox_row(inspector, "复查")).to_contain_text("已办结")
    check_page(inspector, "12-inspector-done")


def issue_notice(clerk) -> None:  # noqa: ANN001
    """The clerk drafts the 隐患整改通知书 from the inbox, keeping the proposed deadline."""
    open_task(clerk, "拟制整改通知书", UNIT)
    check_page(clerk, "05-clerk-notice-draft")
    hazard = clerk.get_by_role("group", name=re.compile(r"^1\. "))
    expect(hazard.get_by_label("隐患描述")).to_have_value(HAZARD)
    deadline, severity = clerk.get_by_label(re.compile(r"^整改期限")), clerk.get_by_label(re.compile(r"^隐患程度"))
    expect(deadline).to_have_value(DEADLINE)  # 5 working days after 10-19
    severity.select_option(label="较重（10个工作日）")
    expect(deadline).to_have_value("2026-11-02")  # the deadline follows the severity …
    deadline.fill("2026-10-28")
    severity.select_option(label="轻微（3个工作日）")
    expect(deadline).to_have_value("2026-10-28")  # … until the clerk sets one
    deadline.fill(DEADLINE)
    severity.select_option(label="一般（5个工作日）")
    hazard.get_by_label("法律依据").fill("《中华人民共和国消防法》第二十八条")
    clerk.get_by_role("button", name="提交").click()
    expect(clerk.get_by_role("status")).to_contain_text("已提交")


def sign_notice(leader, data_dir) -> str:  # noqa: ANN001
    """The leader opens the task from 待办, reads the notice in the page, then signs (同意); returns the number."""
    open_task(leader, "签发整改通知书", UNIT)
    text = read_preview(leader, data_dir)
    assert UNIT in text and HAZARD in text
    check_page(leader, "06-leader-sign-notice")
    leader.get_by_label("同意", exact=True).check()
    leader.get_by_label("意见", exact=True).fill("同意，请尽快送达。")
    leader.get_by_role("button", name="提交").click()
    expect(leader.get_by_role("status")).to_contain_text("已提交")
    notice = leader.get_by_role("link", name=re.compile(r"青石消整〔2026〕第\d{4}号"))
    expect(notice).to_be_visible()
    return re.search(r"青石消整〔2026〕第\d{4}号", notice.inner_text()).group(0)


def serve_notice(clerk, tmp_path) -> None:  # noqa: ANN001
    """送达: an incomplete form shows each error beside its field, in Chinese; then the receipt is recorded."""
    open_task(clerk, "送达整改通知书", UNIT)
    expect(clerk.get_by_text("已逾期")).to_be_visible()  # due 3 working days after the inspection
    clerk.get_by_label("送达日期").fill("2026-10-20")
    clerk.get_by_role("button", name="提交").click()
    expect(field_error(clerk, "签收人")).to_have_text("请填写签收人。")
    expect(field_error(clerk, "签收回执扫描件")).to_have_text("请上传扫描件或照片。")
    expect(clerk.get_by_label("签收人")).to_have_attribute("aria-invalid", "true")
    check_page(clerk, "07-clerk-serve-errors")
    clerk.get_by_label("送达日期").fill("2026-10-20")
    clerk.get_by_label("签收人").fill("任国庆")
    receipt = tmp_path / "receipt.png"
    receipt.write_bytes(png())
    clerk.get_by_label("签收回执扫描件").set_input_files(str(receipt))
    clerk.get_by_role("button", name="提交").click()
    expect(clerk.get_by_role("status")).to_contain_text("已提交")


def reinspect(inspector, tmp_path) -> None:  # noqa: ANN001
    """After the deadline the 复查 task is in the inspector's inbox, due and overdue; the hazard is fixed."""
    open_inbox(inspector)
    row = inbox_row(inspector, "复查")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(REINSPECT_DUE)
    expect(row.get_by_text("已逾期")).to_be_visible()
    check_page(inspector, "09-inspector-inbox-overdue")
    row.get_by_role("link").click()
    check_page(inspector, "10-reinspection-form")
    expect(inspector.get_by_label("复查日期")).to_have_value("2026-11-02")
    check = inspector.get_by_role("group", name=re.compile(rf"^1\. {HAZARD}"))
    check.get_by_label("已整改").check()
    after = tmp_path / "after.png"
    after.write_bytes(png(12, 9))
    check.get_by_label("复查照片").set_input_files(str(after))
    inspector.get_by_role("button", name="提交").click()
    expect(inspector.get_by_role("status")).to_contain_text("已提交")
    expect(inspector.get_by_role("heading", level=1)).to_contain_text("已办结")
    expect(inspector.get_by_role("link", name=re.compile(r"青石消复〔2026〕第\d{4}号"))).to_be_visible()
    check_page(inspector, "11-case-closed")
