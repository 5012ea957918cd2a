"""Sessions that the server can end: a per-user session version in every session and remember-me
cookie (User.get_id), idle and absolute timeouts, a rotated short-lived remember-me cookie, and the
forced change of an initial password."""

from __future__ import annotations

import secrets
import time

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from webapp.extensions import db, login_manager
from webapp.models import User

REMEMBER_COOKIE = "firegrid_remember"
# Pages a user who must replace an initial password may still open.
OPEN_WHILE_CHANGING = {"auth.change_password", "auth.logout", "static", "health.healthz"}
SEEN_STEP_SECONDS = 60  # how stale the session's last-seen stamp may be (see _mark_seen), at most
# The signed-in user's roles and scope come with the user in one statement: every page reads both (menu,
# scope checks). Built once: building it per request (Session.get with options) cost more than sending it.
WITH_ROLES_AND_SCOPE = (joinedload(User.role_rows), joinedload(User.scope))
_USER = select(User).options(*WITH_ROLES_AND_SCOPE).where(User.id == bindparam("user_id"))


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """"<id>:<version>": a cookie made before the version last rose (logout, password change …) is refused."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.scalars(_USER, {"user_id": int(user_id)}).unique().one_or_none()
    return user if user and user.session_version == int(version) else None


def _remember_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="firegrid-remember")


@login_manager.request_loader
def load_from_remember_cookie(req) -> User | None:  # noqa: ANN001
    """保持登录: a signed (user, version) no older than REMEMBER_DAYS starts a new session; the cookie rotates."""
    token = req.cookies.get(REMEMBER_COOKIE)
    days = current_app.config["REMEMBER_DAYS"]
    if not token or not days:
        return None
    try:
        session_id, _nonce = _remember_signer().loads(token, max_age=days * 86400)
    except (BadSignature, ValueError, TypeError):
        g.clear_remember = True
        return None
    user = load_user(str(session_id))
    if user is None or not user.is_active:
        g.clear_remember = True
        return None
    start_session(user, remember=True)
    return user


def start_session(user: User, *, remember: bool) -> None:
    """Log in on this request: fresh session stamps, and a (new) remember-me cookie when asked."""
    session.clear()
    login_user(user)
    session["login_at"] = session["seen_at"] = int(time.time())
    if remember and current_app.config["REMEMBER_DAYS"]:
        g.remember_user = user


def end_session() -> None:
    logout_user()
    session.clear()
    g.clear_remember = True


def _timed_out() -> bool:
    stamp = int(time.time())
    config = current_app.config
    idle = stamp - session.get("seen_at", 0) > config["SESSION_IDLE_MINUTES"] * 60
    too_old = stamp - session.get("login_at", 0) > config["SESSION_MAX_HOURS"] * 3600
    return idle or too_old


def _mark_seen() -> None:
    """Stamp the session as seen, to the minute: a new stamp re-signs and re-sends the session cookie, which
    every request did when the stamp moved each second. So the idle timeout may come up to a minute early,
    never late; a quarter of it at most, so that a short idle timeout never ends a session used within it."""
    stamp = int(time.time())
    step = min(SEEN_STEP_SECONDS, current_app.config["SESSION_IDLE_MINUTES"] * 15)
    if stamp - session.get("seen_at", 0) >= step:
        session["seen_at"] = stamp


def _check_session():
    if request.endpoint in ("static", "health.healthz") or not current_user.is_authenticated:
        return None
    if _timed_out():
        logout_user()
        session.clear()
        flash("登录已超时，请重新登录。", "warning")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    _mark_seen()
    if current_user.must_change_password and request.endpoint not in OPEN_WHILE_CHANGING:
        flash("请先修改初始密码。", "warning")
        return redirect(url_for("auth.change_password"))
    return None


def _write_remember_cookie(response):
    config = current_app.config
    if getattr(g, "remember_user", None) is not None:
        token = _remember_signer().dumps([g.remember_user.get_id(), secrets.token_urlsafe(8)])  # new each time
        response.set_cookie(REMEMBER_COOKIE, token,
                            max_age=config["REMEMBER_DAYS"] * 86400, secure=config["REMEMBER_COOKIE_SECURE"],
                            httponly=True, samesite="Lax")
    elif getattr(g, "clear_remember", False):
        response.delete_cookie(REMEMBER_COOKIE, secure=config["REMEMBER_COOKIE_SECURE"], httponly=True,
                               samesite="Lax")
    return response


def install(app: Flask) -> None:
    app.before_request(_check_session)
    app.after_request(_write_remember_cookie)
