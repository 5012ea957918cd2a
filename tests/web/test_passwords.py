"""Password policy, the forced change of an initial password, self-service change, admin-made passwords."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Browser
from webapp.services.accounts import check_password
from webapp.services.errors import InvalidInput


@pytest.mark.parametrize(("password", "message"), [
    ("short1", "至少需要8位"), (" " * 8, "不能全为空格"), ("password", "过于常见"), ("Password1", "过于常见"),
    ("12345678", "过于常见"), ("aaaabbbb", "过于常见"), ("zhangwei-2026", "不能包含用户名"),
])
def test_policy_refuses_guessable_passwords(password, message):
    with pytest.raises(InvalidInput, match=message):
        check_password(password, "zhangwei")


def test_policy_accepts_a_fair_password():
    check_password("Sturdy-Ledger-42", "zhangwei")


def _new_account(admin: Browser, small_town, password: str = "") -> tuple[str, str]:
    response = admin.post("/admin/users/new", {
        "username": "wangfang", "display_name": "王芳", "roles": ["clerk"], "scope_id": small_town.town.id,
        "enabled": "y", "password": password})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    page = response.get_data(as_text=True)
    shown = re.search(r"<code>([^<]+)</code>", page)
    return page, shown.group(1) if shown else password


def test_admin_account_gets_a_random_password_shown_once_and_changed_at_first_login(app, small_town, sign_in):
    admin = sign_in("admin")
    page, password = _new_account(admin, small_town)
    assert "只显示这一次" in page and len(password) == 12
    assert password not in admin.get("/admin/users").get_data(as_text=True)

    newcomer = Browser(app.test_client())
    newcomer.get("/login")
    assert newcomer.post("/login", {"username": "wangfang", "password": password}).status_code == 302
    forced = newcomer.get("/units/")
    assert forced.status_code == 302 and forced.headers["Location"].endswith("/account/password")
    assert "初始密码" in newcomer.get("/account/password").get_data(as_text=True)
    changed = newcomer.post("/account/password", {"old_password": password, "new_password": "Quiet-Harbour-77",
                                                  "confirm": "Quiet-Harbour-77"})
    assert changed.status_code == 302
    assert newcomer.get("/units/").status_code == 200


def test_two_new_accounts_never_share_a_password(small_town, sign_in):
    admin = sign_in("admin")
    _, first = _new_account(admin, small_town)
    response = admin.post("/admin/users/new", {
        "username": "lijun", "display_name": "李军", "roles": ["clerk"], "scope_id": small_town.town.id,
        "enabled": "y", "password": ""})
    second = re.search(r"<code>([^<]+)</code>", response.get_data(as_text=True)).group(1)
    assert first != second


def test_admin_chosen_password_must_pass_the_policy(small_town, sign_in):
    response = sign_in("admin").post("/admin/users/new", {
        "username": "wangfang", "display_name": "王芳", "roles": ["clerk"], "scope_id": small_town.town.id,
        "enabled": "y", "password": "password"})
    assert response.status_code == 400 and "过于常见" in response.get_data(as_text=True)


def test_demo_accounts_keep_their_documented_password(login_as):
    assert login_as("clerk").get("/units/").status_code == 200


def test_self_service_change_needs_the_old_password(sign_in, small_town):
    clerk = sign_in("clerk")
    wrong_old = clerk.post("/account/password", {"old_password": "not-my-password", "new_password": "Quiet-Harbour-77",
                                                 "confirm": "Quiet-Harbour-77"})
    assert wrong_old.status_code == 400 and "原密码不正确" in wrong_old.get_data(as_text=True)
    mismatch = clerk.post("/account/password", {"old_password": "x", "new_password": "Quiet-Harbour-77",
                                                "confirm": "Quiet-Harbour-78"})
    assert mismatch.status_code == 400 and "两次输入的新密码不一致" in mismatch.get_data(as_text=True)
    weak = clerk.post("/account/password", {"old_password": "factory-pass-1", "new_password": "12345678",
                                            "confirm": "12345678"})
    assert weak.status_code == 400 and "过于常见" in weak.get_data(as_text=True)
