"""Check-in location in a real browser: static/checkin.js fills the inspection form's hidden location fields
from navigator.geolocation when the user allows it, and says so; without permission the form says why.
(127.0.0.1 is a secure context like HTTPS; a phone on the LAN needs HTTPS, see README.)"""

from __future__ import annotations

import pytest

from tests.browser.support import PASSWORD, PHONE

pytest.importorskip("playwright.sync_api", reason="the `playwright` Python package is not installed")
from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.slow


def inspection_form(chromium, live_server, **context_options):  # noqa: ANN001, ANN003, ANN201
    context = chromium.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
                                   base_url=live_server.url, **context_options)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("用户名").fill("inspector")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/")
    page.goto("/procedures/inspection/start")
    return context, page


def test_allowed_location_fills_the_hidden_fields(chromium, live_server):  # noqa: ANN001
    context, page = inspection_form(chromium, live_server, permissions=["geolocation"],
                                    geolocation={"latitude": 30.274085, "longitude": 120.155070, "accuracy": 18})
    try:
        expect(page.get_by_role("status")).to_have_text("已获取签到位置（精度约 18 米）。")
        expect(page.locator("#checkin_latitude")).to_have_value("30.274085")
        expect(page.locator("#checkin_longitude")).to_have_value("120.155070")
        expect(page.locator("#checkin_accuracy")).to_have_value("18")
    finally:
        context.close()


def test_refused_location_leaves_them_empty_and_says_why(chromium, live_server):  # noqa: ANN001
    context, page = inspection_form(chromium, live_server)  # no permission granted: headless Chromium denies
    try:
        expect(page.get_by_role("status")).to_contain_text("未获取签到位置")
        expect(page.locator("#checkin_latitude")).to_have_value("")
    finally:
        context.close()
