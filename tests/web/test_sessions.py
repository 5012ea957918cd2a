"""Sessions the server can end: a copied cookie stops working after logout, a password change, a
deactivation or a role change; remember-me rotates and expires; idle and absolute timeouts."""

from __future__ import annotations

import time

from tests.conftest import Browser
from tests.factories import PASSWORD
from webapp.web.sessions import REMEMBER_COOKIE


def _copy_cookies(app, original: Browser) -> Browser:
    """Another browser holding exactly the cookies captured from `original` (what a thief would copy)."""
    thief = Browser(app.test_client())
    for name in ("session", REMEMBER_COOKIE):
        cookie = original.client.get_cookie(name)
        if cookie is not None:
            thief.client.set_cookie(name, cookie.value)
    return thief


def _works(visitor: Browser) -> bool:
    return visitor.get("/units/").status_code == 200


def _remembered_login(app, username: str) -> Browser:
    visitor = Browser(app.test_client())
    visitor.get("/login")
    response = visitor.post("/login", {"username": username, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    visitor.get("/")  # the page after login carries the new session's form token
    return visitor


def _only_remember_cookie(app, original: Browser) -> Browser:
    thief = Browser(app.test_client())
    thief.client.set_cookie(REMEMBER_COOKIE, original.client.get_cookie(REMEMBER_COOKIE).value)
    return thief


def test_captured_cookies_stop_working_after_logout(app, small_town, sign_in):
    clerk = _remembered_login(app, "clerk")
    session_thief, remember_thief = _copy_cookies(app, clerk), _only_remember_cookie(app, clerk)
    assert _works(session_thief) and _works(remember_thief)
    remember_thief = _only_remember_cookie(app, clerk)
    clerk.post("/logout")
    assert not _works(session_thief) and not _works(remember_thief) and not _works(clerk)


def test_captured_cookie_stops_working_after_a_password_change(app, small_town, sign_in):
    clerk = sign_in("clerk")
    thief = _copy_cookies(app, clerk)
    assert _works(thief)
    response = clerk.post("/account/password", {"old_password": PASSWORD, "new_password": "Sturdy-Ledger-42",
                                                "confirm": "Sturdy-Ledger-42"})
    assert response.status_code == 302
    assert _works(clerk) and not _works(thief)  # the changing session goes on, the copy does not
    clerk.post("/logout")
    assert Browser(app.test_client()).login("clerk", "Sturdy-Ledger-42")


def test_captured_cookie_stops_working_after_deactivation(app, small_town, sign_in):
    inspector = sign_in("inspector")
    thief = _copy_cookies(app, inspector)
    user = small_town.users["inspector"]
    response = sign_in("admin").post(f"/admin/users/{user.id}", {
        "display_name": user.display_name, "roles": sorted(user.roles), "scope_id": user.scope_id,
        "phone": ""})  # "enabled" left unticked
    assert response.status_code == 302
    assert not _works(thief) and not _works(inspector)


def test_captured_cookie_stops_working_after_an_admin_reset(app, small_town, sign_in):
    leader = sign_in("leader")
    thief = _copy_cookies(app, leader)
    assert sign_in("admin").post(f"/admin/users/{small_town.users['leader'].id}/password",
                                 {"password": ""}).status_code == 200
    assert not _works(thief) and not _works(leader)


def test_role_change_ends_the_session_but_a_phone_change_does_not(app, session, small_town, sign_in):
    admin = sign_in("admin")
    clerk = sign_in("clerk")
    user = small_town.users["clerk"]
    form = {"display_name": user.display_name, "roles": ["clerk"], "scope_id": user.scope_id, "enabled": "y",
            "phone": "13800000000"}
    assert admin.post(f"/admin/users/{user.id}", form).status_code == 302
    assert _works(clerk)
    assert admin.post(f"/admin/users/{user.id}", {**form, "roles": ["clerk", "inspector"]}).status_code == 302
    assert not _works(clerk)


def test_remember_cookie_is_short_lived_rotated_and_same_site(app, small_town):
    clerk = _remembered_login(app, "clerk")
    issued = clerk.client.get_cookie(REMEMBER_COOKIE)
    assert issued.same_site == "Lax" and issued.http_only
    assert issued.expires is not None and issued.expires.timestamp() - time.time() <= 7 * 86400 + 60
    returning = _only_remember_cookie(app, clerk)
    assert _works(returning)
    rotated = returning.client.get_cookie(REMEMBER_COOKIE)
    assert rotated.value != issued.value
    app.config["REMEMBER_DAYS"] = 0
    try:
        assert not _works(_only_remember_cookie(app, clerk))
        assert "保持登录" not in Browser(app.test_client()).get("/login").get_data(as_text=True)
    finally:
        app.config["REMEMBER_DAYS"] = 7


def test_idle_and_absolute_timeouts(app, small_town, sign_in):
    clerk = sign_in("clerk")
    with clerk.client.session_transaction() as stored:
        stored["seen_at"] -= 31 * 60
    response = clerk.get("/units/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]

    clerk = sign_in("clerk")
    with clerk.client.session_transaction() as stored:
        stored["login_at"] -= 13 * 3600
    assert clerk.get("/units/").status_code == 302

    clerk = sign_in("clerk")
    with clerk.client.session_transaction() as stored:
        stored["seen_at"] -= 29 * 60
    assert _works(clerk)


def _sets_session_cookie(response) -> bool:
    return any(value.startswith("session=") for value in response.headers.getlist("Set-Cookie"))


def test_seen_stamp_moves_by_the_minute(app, small_town, sign_in):
    """A page a few seconds after the last does not re-sign and re-send the session cookie; a minute later the
    stamp moves (and the idle timeout counts from it)."""
    clerk = sign_in("clerk")
    clerk.get("/units/")
    assert not _sets_session_cookie(clerk.get("/units/"))
    with clerk.client.session_transaction() as stored:
        stored["seen_at"] -= 61
        stale = stored["seen_at"]
    assert _sets_session_cookie(clerk.get("/units/"))
    with clerk.client.session_transaction() as stored:
        assert stored["seen_at"] >= stale + 61


def test_a_short_idle_timeout_keeps_a_session_used_within_it(app, small_town, sign_in, monkeypatch):
    """With a one-minute idle timeout, pages 45 s apart keep the session: the stamp then moves after 15 s, not a
    minute (which would end the session at the second page, 90 s after the stamp)."""
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 1)
    clerk = sign_in("clerk")
    for _ in range(2):
        with clerk.client.session_transaction() as stored:
            stored["seen_at"] -= 45
        assert _works(clerk)


def test_old_style_session_without_version_is_refused(app, small_town, sign_in):
    clerk = sign_in("clerk")
    with clerk.client.session_transaction() as stored:
        stored["_user_id"] = str(small_town.users["clerk"].id)
    assert not _works(clerk)
