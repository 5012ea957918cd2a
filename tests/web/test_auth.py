from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD
from webapp.clock import TZ
from webapp.demo.organisation import DEMO_USERS
from webapp.models import AuditEvent


def test_login_page_is_chinese(browser, small_town):
    response = browser.get("/login")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "用户名" in page and "密码" in page


def test_every_demo_account_logs_in(app, demo):
    from tests.conftest import Browser

    for username, display_name, *_ in DEMO_USERS:
        visitor = Browser(app.test_client())
        visitor.login(username)
        assert display_name in visitor.get("/").get_data(as_text=True)


def test_pages_need_login(browser, small_town):
    response = browser.get("/units/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_post_without_csrf_token_is_refused(browser, small_town):
    response = browser.request("POST", "/login", data={"username": "clerk", "password": PASSWORD})
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)


def test_five_wrong_passwords_lock_the_account(app, browser, small_town, session):
    clock = app.extensions["firegrid.clock"]
    clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=TZ))
    browser.get("/login")
    for _ in range(4):
        response = browser.post("/login", {"username": "clerk", "password": "wrong-password"})
        assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)
    locked = browser.post("/login", {"username": "clerk", "password": "wrong-password"})
    assert "账户已锁定15分钟" in locked.get_data(as_text=True)
    still_locked = browser.post("/login", {"username": "clerk", "password": PASSWORD})
    assert still_locked.status_code == 401 and "锁定" in still_locked.get_data(as_text=True)
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "account_locked")) is not None

    clock.set(datetime(2026, 11, 23, 9, 16, tzinfo=TZ))
    assert browser.post("/login", {"username": "clerk", "password": PASSWORD}).status_code == 302


def test_open_redirect_is_refused(browser, small_town):
    browser.get("/login")
    response = browser.post("/login?next=//evil.example/", {"username": "clerk", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_session_cookie_is_http_only(browser, small_town):
    browser.get("/login")
    response = browser.post("/login", {"username": "clerk", "password": PASSWORD})
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_healthz(browser):
    response = browser.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_logout(sign_in, small_town):
    clerk = sign_in("clerk")
    assert clerk.post("/logout").status_code == 302
    assert clerk.get("/units/").status_code == 302


def test_lock_expires_after_configured_minutes(app, session, small_town):
    from webapp.services import accounts
    from webapp.services.accounts import LoginRefused

    start = datetime(2026, 3, 2, 8, 0, tzinfo=TZ)
    for _ in range(5):
        with pytest.raises(LoginRefused):
            accounts.authenticate(session, "leader", "nope", now=start, max_failures=5, lock_minutes=15)
    with pytest.raises(LoginRefused, match="锁定"):
        accounts.authenticate(session, "leader", PASSWORD, now=start + timedelta(minutes=14),
                              max_failures=5, lock_minutes=15)
    user = accounts.authenticate(session, "leader", PASSWORD, now=start + timedelta(minutes=15, seconds=1),
                                 max_failures=5, lock_minutes=15)
    assert user.username == "leader"
