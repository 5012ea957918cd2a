"""Small pieces every blueprint uses: the clock, role checks, the acting user."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import current_app, request
from flask_login import current_user, login_required

from ..clock import Clock
from ..models import User
from ..models.users import ROLES
from ..services.errors import OutOfScope


def clock() -> Clock:
    return current_app.extensions["firegrid.clock"]


def now() -> datetime:
    return clock().now()


def acting_user() -> User:
    """The logged-in user as a model instance (services take plain models, not proxies)."""
    return current_user._get_current_object()  # noqa: SLF001


def client_address() -> str:
    return request.remote_addr or ""


def roles_required(*roles: str) -> Callable:
    """Login plus at least one of `roles`; otherwise OutOfScope → 403 and an audit entry."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                names = "、".join(ROLES[r] for r in roles)
                raise OutOfScope(f"此功能仅限{names}使用。")
            return view(*args, **kwargs)

        return wrapper

    return decorator
