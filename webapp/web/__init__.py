"""Blueprints: thin views that parse a form, call one service, then redirect or re-render."""

from __future__ import annotations

from flask import Flask, url_for
from flask_login import current_user

from ..extensions import db, login_manager
from ..models import User
from ..models.grid import UNIT_CATEGORIES
from ..models.users import ROLES
from .common import now
from .extension_points import NAV_ITEMS, UNIT_SECTIONS


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def register_web(app: Flask) -> None:
    from . import admin, auth, grid, health, home, units
    from .errors import register_error_handlers

    for module in (auth, home, grid, units, admin, health):
        app.register_blueprint(module.bp)
    register_error_handlers(app)
    app.jinja_env.globals.update(ROLES=ROLES, UNIT_CATEGORIES=UNIT_CATEGORIES, now=now)
    app.jinja_env.filters["reject_key"] = lambda mapping, key: {k: v for k, v in mapping.items() if k != key}

    @app.context_processor
    def extension_points() -> dict:
        def nav_items() -> list[dict[str, str]]:
            return [
                {"url": url_for(item.endpoint), "label": item.label}
                for item in NAV_ITEMS
                if current_user.is_authenticated and (not item.roles or current_user.has_role(*item.roles))
            ]

        return {"nav_items": nav_items, "unit_sections": lambda unit: list(UNIT_SECTIONS)}

    @app.after_request
    def security_headers(response):  # noqa: ANN001, ANN202
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
