"""Login lock-out, per-address throttling and the unlock, through the login form on a real database."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select

from tests.conftest import Browser
from tests.factories import PASSWORD
from webapp.clock import TZ
from webapp.models import AuditEvent, User
from webapp.services import login

MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


def _visitor(app, address: str = "10.0.0.7") -> Browser:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    visitor = Browser(client)
    visitor.get("/login")
    return visitor


def _try(visitor: Browser, username: str, password: str):
    return visitor.post("/login", {"username": username, "password": password})


def _signed_in(visitor: Browser) -> bool:
    return visitor.get("/").status_code == 200


def test_five_wrong_passwords_lock_until_the_time_is_up(app, session, small_town):
    clock = app.extensions["firegrid.clock"]
    clock.set(MORNING)
    visitor = _visitor(app)
    for _ in range(5):
        response = _try(visitor, "clerk", "wrong-password")
        assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)
    refused = _try(visitor, "clerk", PASSWORD)
    assert refused.status_code == 401 and not _signed_in(visitor)
    assert session.scalar(select(func.count()).where(AuditEvent.action == "account_locked")) == 1
    failed = session.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert len(failed) == 6 and {e.remote_addr for e in failed} == {"10.0.0.7"}

    clock.set(MORNING.replace(minute=16))
    assert _try(visitor, "clerk", PASSWORD).status_code == 302 and _signed_in(visitor)


def test_unknown_user_gets_the_same_answer_and_the_same_hashing(app, session, small_town, monkeypatch):
    checked = []
    real_check = login.check_password_hash

    def counting_check(password_hash: str, password: str) -> bool:
        checked.append(password_hash.split("$")[0])
        return real_check(password_hash, password)

    monkeypatch.setattr(login, "check_password_hash", counting_check)
    visitor = _visitor(app)
    known = _try(visitor, "clerk", "wrong-password")
    unknown = _try(visitor, "nobody-here", "wrong-password")
    assert known.status_code == unknown.status_code == 401

    def message(response) -> str:
        page = response.get_data(as_text=True)
        return page[page.index('class="error"'):].split("</p>")[0]

    assert message(known) == message(unknown)
    assert len(checked) == 2 and checked[0] == checked[1]  # one hash each, of the same method
    logged = session.scalar(select(AuditEvent).where(AuditEvent.username == "nobody-here"))
    assert logged.action == "login_failed" and logged.user_id is None


def test_a_locked_account_answers_like_a_wrong_password(app, session, small_town):
    visitor = _visitor(app)
    wrong = [_try(visitor, "leader", "wrong-password") for _ in range(5)][-1]
    right_but_locked = _try(visitor, "leader", PASSWORD)
    assert right_but_locked.status_code == 401
    assert wrong.get_data(as_text=True).count("用户名或密码错误") == right_but_locked.get_data(as_text=True).count(
        "用户名或密码错误") == 1


def test_one_address_is_throttled_across_accounts(app, session, small_town):
    app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 3
    try:
        guesser = _visitor(app, "10.0.0.66")
        for username in ("clerk", "leader", "archivist"):
            assert _try(guesser, username, "wrong-password").status_code == 401
        throttled = _try(guesser, "inspector", PASSWORD)
        assert throttled.status_code == 401 and "本机登录失败次数过多" in throttled.get_data(as_text=True)
        assert session.get(User, small_town.users["inspector"].id).failed_logins == 0  # not counted against it
        colleague = _visitor(app, "10.0.0.67")
        assert _try(colleague, "inspector", PASSWORD).status_code == 302
    finally:
        app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 20


def test_admin_lifts_a_lock(app, session, small_town, sign_in):
    visitor = _visitor(app)
    for _ in range(5):
        _try(visitor, "clerk", "wrong-password")
    clerk = small_town.users["clerk"]
    admin = sign_in("admin")
    page = admin.get(f"/admin/users/{clerk.id}").get_data(as_text=True)
    assert "解除锁定" in page
    assert sign_in("leader").post(f"/admin/users/{clerk.id}/unlock").status_code == 403
    assert admin.post(f"/admin/users/{clerk.id}/unlock").status_code == 302
    assert _try(visitor, "clerk", PASSWORD).status_code == 302
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "user_unlock")).object_id == str(clerk.id)


def _at_once(app, visitors: list[Browser], passwords: list[str], monkeypatch,  # noqa: ANN001
             username: str = "office_head") -> list[int]:
    """Every visitor tries its password at the same moment, each password checked only once every attempt has
    reserved its try (the real check, held at a barrier: the tests' hashing is fast enough that the attempts
    would otherwise often run one after another); their answers' status codes, in order."""
    checked = threading.Barrier(len(visitors), timeout=60)
    verify = login._verify

    def verify_together(password_hash: str | None, password: str) -> bool:
        checked.wait()
        return verify(password_hash, password)

    monkeypatch.setattr(login, "_verify", verify_together)
    answers = [0] * len(visitors)

    def attempt(n: int) -> None:
        with app.app_context():
            answers[n] = _try(visitors[n], username, passwords[n]).status_code

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(visitors))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    monkeypatch.setattr(login, "_verify", verify)
    return answers


def test_one_person_logging_in_twice_at_once_gets_in_both_times(app, session, small_town, monkeypatch):
    """A double click on 登录, or a phone and a PC at the same moment: both are the right password."""
    visitors = [_visitor(app, f"10.2.0.{n}") for n in range(3)]
    assert _at_once(app, visitors, [PASSWORD] * 3, monkeypatch) == [302, 302, 302]
    assert all(_signed_in(visitor) for visitor in visitors)
    session.expire_all()
    assert session.scalar(select(User.failed_logins).where(User.username == "office_head")) == 0


def test_a_right_login_beside_wrong_ones_gets_in(app, session, small_town, monkeypatch):
    visitors = [_visitor(app, f"10.3.0.{n}") for n in range(4)]
    answers = _at_once(app, visitors, [PASSWORD, "guess-1", "guess-2", "guess-3"], monkeypatch)
    assert answers == [302, 401, 401, 401]  # the right one is not refused for the guesses beside it
    assert _signed_in(visitors[0]) and not _signed_in(visitors[1])


def test_thirty_parallel_logins_with_one_right_password(app, session, small_town):
    """29 wrong and 1 right at once: the account ends up locked and the right one is refused — at the
    form, or, when its check finished before five guesses had failed, its session ends with the lock."""
    visitors = [_visitor(app, f"10.1.0.{n}") for n in range(30)]
    right = 17
    barrier = threading.Barrier(len(visitors))
    answers: dict[int, int] = {}

    def attempt(n: int) -> None:
        barrier.wait()
        with app.app_context():
            answers[n] = _try(visitors[n], "office_head", PASSWORD if n == right else f"guess-{n}").status_code

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(visitors))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(set(answers.values())) in ([401], [302, 401]) and len(answers) == 30
    session.expire_all()
    user = session.scalar(select(User).where(User.username == "office_head"))
    assert user.locked_until is not None and user.locked_until > app.extensions["firegrid.clock"].now()
    assert session.scalar(select(func.count()).where(AuditEvent.action == "account_locked")) == 1
    assert not _signed_in(visitors[right])
    assert _try(_visitor(app), "office_head", PASSWORD).status_code == 401


@pytest.mark.parametrize("username", ["", " " * 3])
def test_blank_username_is_a_form_error_not_a_lookup(browser, small_town, username):
    browser.get("/login")
    response = browser.post("/login", {"username": username, "password": "x"})
    assert response.status_code == 400 and "请输入用户名" in response.get_data(as_text=True)
