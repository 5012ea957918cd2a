"""Issue 11 in a real browser: 发文 — the clerk drafts, 核稿 sends it back with an opinion, the clerk
redrafts, the leader signs after reading the preview, and the issued DOCX is downloaded and opened."""

from __future__ import annotations

import pytest

from tests.browser.support import check_page, docx_text, field_error, follow_menu, open_task, read_preview

pytest.importorskip("playwright.sync_api", reason="the `playwright` Python package is not installed")
from playwright.sync_api import expect  # noqa: E402

TITLE = "关于开展冬季消防安全大检查的通知"
BODY = "为做好冬季火灾防控工作，现通知如下：\n一、排查隐患\n各村（社区）逐户排查出租屋、九小场所。"
MORE = "\n二、工作要求\n各村（社区）于12月15日前报送排查情况。"
OPINION = "请补充工作要求和报送时限"


def start_draft(clerk) -> None:  # noqa: ANN001
    """发文登记 → 拟稿发文: choose the kind, give the title, then the 拟稿 step opens from the inbox."""
    follow_menu(clerk, "发文登记")
    check_page(clerk, "20-notice-register-empty")
    clerk.get_by_role("link", name="拟稿发文").click()
    clerk.get_by_label("文种").select_option("通知")
    clerk.get_by_label("标题").fill(TITLE)
    check_page(clerk, "21-notice-start")
    clerk.get_by_role("button", name="发起").click()
    expect(clerk.get_by_role("status")).to_contain_text("已发起")
    open_task(clerk, "拟稿", TITLE)


def first_draft(clerk) -> None:  # noqa: ANN001
    clerk.get_by_role("button", name="提交").click()  # nothing filled in yet
    expect(field_error(clerk, "正文")).to_have_text("请输入正文。")
    addressees = clerk.get_by_role("group", name="主送机关")
    expect(addressees.get_by_role("alert")).to_have_text("请至少选择或填写一个主送机关。")
    check_page(clerk, "22-notice-draft-errors")
    clerk.get_by_label("各村（社区）").check()
    clerk.get_by_label("正文", exact=True).fill(BODY)
    clerk.get_by_label("印发份数").fill("12")
    clerk.get_by_role("button", name="提交").click()
    expect(clerk.get_by_role("status")).to_contain_text("已提交")


def send_back(office_head) -> None:  # noqa: ANN001
    open_task(office_head, "核稿", TITLE)
    check_page(office_head, "23-notice-review")
    office_head.get_by_label("退回", exact=True).check()
    office_head.get_by_role("button", name="提交").click()  # a send-back needs its reason
    expect(field_error(office_head, "意见")).to_have_text("退回时必须填写退回理由。")
    office_head.get_by_label("退回", exact=True).check()
    office_head.get_by_label("意见", exact=True).fill(OPINION)
    office_head.get_by_role("button", name="提交").click()
    expect(office_head.get_by_role("status")).to_contain_text("已退回")


def redraft(clerk, data_dir) -> None:  # noqa: ANN001
    open_task(clerk, "拟稿", TITLE)
    expect(clerk.get_by_role("alert").filter(has_text="已被退回")).to_contain_text(OPINION)  # above the form
    body = clerk.get_by_label("正文", exact=True)
    expect(body).to_have_value(BODY)
    check_page(clerk, "24-notice-redraft")
    body.fill(BODY + MORE)
    clerk.get_by_role("button", name="预览（不保存）").click()  # what is typed, before it is saved
    assert "各村（社区）于12月15日前报送排查情况" in read_preview(clerk, data_dir)
    expect(clerk.get_by_label("正文", exact=True)).to_have_value(BODY + MORE)
    check_page(clerk, "24a-notice-draft-preview")
    clerk.get_by_role("button", name="提交").click()
    expect(clerk.get_by_role("status")).to_contain_text("已提交")


def approve(page, step: str, opinion: str):  # noqa: ANN001, ANN201
    page.get_by_label("同意", exact=True).check()
    page.get_by_label("意见", exact=True).fill(opinion)
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status")).to_contain_text(f"“{step}”已提交")


def sign_off(leader, live_server) -> None:  # noqa: ANN001
    """On the phone, the leader reads the notice's pages in the task page (nothing to download), then signs."""
    open_task(leader, "签发", TITLE)
    text = read_preview(leader, live_server.data_dir)
    assert "逐户排查出租屋" in text and "各村（社区）于12月15日前报送排查情况" in text  # the redrafted 正文
    expect(leader.get_by_label("同意", exact=True)).not_to_be_checked()  # the leader decides, nothing preset
    check_page(leader, "25-notice-sign-off")
    preview = leader.frame_locator("iframe.doc-frame")
    preview.get_by_role("link", name="文字版（便于手机阅读）").click()  # the same document as text, phone-sized
    expect(preview.get_by_text("各村（社区）于12月15日前报送排查情况。")).to_be_visible()
    check_page(leader, "25a-notice-sign-off-text")
    approve(leader, "签发", "同意印发")
    expect(leader.get_by_role("link", name="青石府发〔2026〕1号", exact=True)).to_be_visible()


def download_issued(clerk, tmp_path) -> None:  # noqa: ANN001
    """印发登记: the clerk downloads the issued DOCX from the task page and records the distribution."""
    open_task(clerk, "印发登记", TITLE)
    check_page(clerk, "26-notice-distribution")
    with clerk.expect_download() as download:
        clerk.get_by_role("link", name=f"青石府发〔2026〕1号 {TITLE}（DOCX）").click()
    assert download.value.suggested_filename.endswith(".docx")
    issued = tmp_path / "issued.docx"
    download.value.save_as(issued)
    lines = docx_text(issued).splitlines()
    assert TITLE in lines and "青石府发〔2026〕1号" in lines
    assert any("工作要求" in line for line in lines)
    clerk.get_by_label("印发份数").fill("12")
    clerk.get_by_role("button", name="提交").click()
    expect(clerk.get_by_role("heading", level=1)).to_contain_text("已办结")
    check_page(clerk, "27-notice-case-closed")


@pytest.mark.slow
def test_notice_sent_back_redrafted_signed_and_downloaded(log_in, live_server, tmp_path):
    live_server.set_clock("2026-11-09T09:00")
    clerk, office_head, leader = log_in("clerk"), log_in("office_head"), log_in("leader")
    start_draft(clerk)
    first_draft(clerk)
    send_back(office_head)
    redraft(clerk, live_server.data_dir)
    open_task(office_head, "核稿", TITLE)
    approve(office_head, "核稿", "已核")
    sign_off(leader, live_server)
    download_issued(clerk, tmp_path)

    archivist = log_in("archivist")
    follow_menu(archivist, "发文登记")
    row = archivist.get_by_role("row").filter(has_text="青石府发〔2026〕1号")
    expect(row).to_contain_text(TITLE)
    check_page(archivist, "28-archivist-register")
    with archivist.expect_download() as download:
        row.get_by_role("link", name="青石府发〔2026〕1号").click()
    archived = tmp_path / "archived.docx"
    download.value.save_as(archived)
    assert {TITLE, "青石府发〔2026〕1号"} <= set(docx_text(archived).splitlines())
    follow_menu(archivist, "归档")
    expect(archivist.get_by_role("cell", name="青石府发〔2026〕1号")).to_be_visible()
    check_page(archivist, "29-archive")
