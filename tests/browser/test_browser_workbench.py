"""The workbench on a 390 px phone: the menu folds behind 菜单 (no JavaScript needed), the 待办 badge
shows on the menu button and entry, a quick action starts a case, and the inbox row names its sender."""

from __future__ import annotations

import re

import pytest

from tests.browser.support import SCREENSHOTS, check_page, follow_menu, inbox_row

pytest.importorskip("playwright.sync_api", reason="the `playwright` Python package is not installed")
from playwright.sync_api import expect  # noqa: E402

TITLE = "关于做好岁末年初消防安全工作的通知"


def badge_count(page) -> int:  # noqa: ANN001
    badge = page.locator("label.menu-button .badge")
    return int(badge.inner_text()) if badge.count() else 0


@pytest.mark.slow
def test_phone_menu_folds_and_shows_the_todo_badge(log_in):
    clerk = log_in("clerk")
    menu = clerk.get_by_role("navigation", name="主菜单")
    expect(menu).to_be_hidden()
    expect(clerk.locator("label.menu-button")).to_be_visible()
    check_page(clerk, "60-workbench-home-phone")
    before = badge_count(clerk)

    clerk.get_by_role("region", name="快捷发起").get_by_role("link", name="发文（通知、通报、报告等）").click()
    clerk.get_by_label("文种").select_option("通知")
    clerk.get_by_label("标题").fill(TITLE)
    clerk.get_by_role("button", name="发起").click()
    expect(clerk.get_by_role("status")).to_contain_text("已发起")

    assert badge_count(clerk) == before + 1
    clerk.locator("label.menu-button").click()
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name=re.compile(r"^待办"))).to_contain_text(str(before + 1))
    assert clerk.evaluate("document.documentElement.scrollWidth") <= 390
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    clerk.screenshot(path=str(SCREENSHOTS / "61-workbench-menu-open-phone.png"))

    follow_menu(clerk, "待办")
    row = inbox_row(clerk, "拟稿").filter(has_text=TITLE)
    expect(row).to_contain_text("林晓雯")
    check_page(clerk, "62-workbench-inbox-phone")


@pytest.mark.slow
def test_desktop_menu_is_open_without_a_toggle(log_in):
    leader = log_in("leader", {"width": 1280, "height": 800})
    expect(leader.get_by_role("navigation", name="主菜单")).to_be_visible()
    expect(leader.locator("label.menu-button")).to_be_hidden()
    expect(leader.get_by_role("navigation", name="主菜单").get_by_role("link", name="发起")).to_have_count(0)
    check_page(leader, "63-workbench-home-desktop")
