"""Small pieces every blueprint uses: the clock, role checks, the acting user."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request
from flask_login import current_user, login_required

from webapp.clock import Clock
from webapp.models import GridNode, User
from webapp.models.users import ROLES
from webapp.services.errors import InvalidInput, NotFound, OutOfScope
from webapp.web import read_only
from webapp.web.converters import db_int


def clock() -> Clock:
    return current_app.extensions["firegrid.clock"]


def now() -> datetime:
    return clock().now()


def acting_user() -> User:
    """The logged-in user as a model instance (services take plain models, not proxies)."""
    return current_user._get_current_object()


def client_address() -> str:
    """The client's address (behind FIREGRID_PROXY_COUNT proxies, the one they forwarded)."""
    return request.remote_addr or ""


def record_action(*, action: str, object_type: str = "", object_id: object = "", summary: str = "") -> None:
    """Add an audit event for the signed-in user's action to this request's transaction (the view commits)."""
    from webapp.extensions import db
    from webapp.services import audit

    user = current_user._get_current_object() if current_user.is_authenticated else None
    audit.record(db.session, at=now(), user=user, action=action, object_type=object_type, object_id=object_id,
                 summary=summary, remote_addr=client_address())


def local_url(target: str | None, fallback: str) -> str:
    """Only a path on this site, so a crafted ?next= or form field cannot send users elsewhere. Browsers
    drop tabs and line breaks from a URL (so "/<tab>/evil" becomes "//evil") and read a backslash as "/",
    so a target holding any of them, a space, or a scheme or host, is ignored."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target or any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):
        return fallback
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else fallback


def year_arg() -> int:
    """The ?year= of a yearly page, this year by default; nonsense is refused in Chinese, not a 500."""
    year = request.args.get("year", type=db_int) or now().year
    if not 2000 <= year <= 2100:
        raise InvalidInput("年度无效，请输入2000至2100之间的年份。")
    return year


def page_arg() -> int:
    return min(max(request.args.get("page", 1, type=db_int), 1), 100_000)


def form_status() -> int:
    """A page re-rendered after a POST failed validation answers 400; the first GET answers 200."""
    return 400 if request.method == "POST" else 200


def referrer_path() -> str | None:
    """The page the user came from, when it is a page of this site."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def chosen_town() -> tuple[GridNode, list[GridNode]]:
    """The town a town-by-town page shows (`?town=`, else the first), and every town the user may choose:
    those in their scope, or the one their scope lies in. Another town's `?town=` is refused (403, logged),
    not quietly replaced by the user's own."""
    from webapp.extensions import db
    from webapp.services import grid

    user = acting_user()
    every = grid.towns(db.session)
    towns = [t for t in every if user.scope.contains(t) or t.contains(user.scope)]
    if not towns:
        raise NotFound("管辖范围内还没有镇（街道）。")
    wanted = request.args.get("town", type=int)
    chosen = next((t for t in towns if t.id == wanted), None)
    if chosen is None and any(t.id == wanted for t in every):
        raise OutOfScope("该镇（街道）不在您的管辖范围内。")
    return chosen or towns[0], towns


def chosen_row(rows: list, arg: str) -> Any:
    """The row of a settings list whose id the `?<arg>=` names (the one being edited), or None."""
    wanted = request.args.get(arg, type=int)
    return next((row for row in rows if row.id == wanted), None)


def town_scoped(user: User) -> bool:
    """Town-wide records (the archive fonds, the audit trail) are for users scoped at a town or above."""
    return user.scope.level in ("region", "town")


def require_town_scope(what: str) -> None:
    if current_user.is_authenticated and not town_scoped(current_user):
        raise OutOfScope(f"{what}涉及全镇，只有管辖范围为镇（街道）及以上的用户可以使用。")


def roles_required(*roles: str) -> Callable:
    """Login plus at least one of `roles` (a read-only role reads where a leader does, see read_only);
    otherwise OutOfScope → 403 and an audit entry."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            admitted = current_user.has_role(*roles) or (
                request.method in read_only.SAFE_METHODS and read_only.reads_as(current_user, roles))
            if not admitted:
                names = "、".join(ROLES[r] for r in roles)
                raise OutOfScope(f"此功能仅限{names}使用。")
            return view(*args, **kwargs)

        return wrapper

    return decorator
