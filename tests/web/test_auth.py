import pytest

from tests.factories import PASSWORD
from webapp.demo.organisation import DEMO_USERS


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


@pytest.mark.parametrize("target", [
    "//evil.example/", "/%09/evil.example", "/%0d%0aSet-Cookie:%20x=1", "/\\evil.example", "https://evil.example/",
    "/%0a/evil.example", "%2F%2Fevil.example", "/ /evil.example",
])
def test_open_redirect_is_refused(app, small_town, target):
    from tests.conftest import Browser

    visitor = Browser(app.test_client())
    visitor.get("/login")
    response = visitor.post(f"/login?next={target}", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_next_keeps_a_page_of_this_site(browser, small_town):
    browser.get("/login")
    response = browser.post("/login?next=/units/%3Fpage%3D2", {"username": "clerk", "password": PASSWORD})
    assert response.headers["Location"] == "/units/?page=2"


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
