"""Blueprints: thin views that parse a form, call one service, then redirect or re-render."""

from __future__ import annotations

from flask import Flask, request, url_for
from flask_login import current_user

from webapp.cases import photos, registry
from webapp.cases.inbox import DUE_FILTERS
from webapp.extensions import db
from webapp.models.grid import UNIT_CATEGORIES
from webapp.models.users import ROLES
from webapp.models.workflow import CASE_ACTION_LABELS
from webapp.web.common import now
from webapp.web.extension_points import WebParts


def _shared_modules() -> list:
    """The pages every install has; procedures bring their own (registry), the app factory the archive's."""
    from webapp.web import (
        admin,
        alerts,
        auth,
        cases,
        coverage,
        documents,
        equipment_points,
        grid,
        health,
        home,
        ledger_binder,
        numbers,
        opinions,
        organisation,
        previews,
        receipts,
        settings,
        setup,
        special_campaigns,
        tasks,
        unit_codes,
        units,
    )
    from webapp.web import county as county_overview

    return [auth, setup, home, tasks, alerts, cases, documents, previews, numbers, grid, units, coverage, unit_codes,
            equipment_points, special_campaigns, ledger_binder, admin, organisation, settings, opinions, receipts,
            health, county_overview]


def register_web(app: Flask, extra_modules: tuple = ()) -> None:
    """Register the shared pages, every procedure's, and `extra_modules` (the archive's), with their menus."""
    from webapp.web import read_only, security, sessions, stack_labels
    from webapp.web.errors import register_error_handlers
    from webapp.web.posted_files import UploadRequest

    app.request_class = UploadRequest  # uploads parsed in memory (a phone photo's submit, issue 19)

    modules = _shared_modules() + [m for p in registry.all_procedures() for m in p.web] + list(extra_modules)
    for module in modules:
        if hasattr(module, "bp"):
            app.register_blueprint(module.bp)
    parts = WebParts.of(modules)
    register_error_handlers(app)
    read_only.install(app)
    stack_labels.install(app)
    app.jinja_env.globals.update(ROLES=ROLES, UNIT_CATEGORIES=UNIT_CATEGORIES, ACTIONS=CASE_ACTION_LABELS, now=now,
                                  DUE_FILTERS=DUE_FILTERS,
                                  case_panel=lambda key: getattr(registry.get(key), "case_panel", None),
                                  # each hazard's photos with their watermarked copy and state (生成中, 已损坏),
                                  # for all the hazards of a page in one query
                                  evidence_photos=lambda hazards: photos.resolve_groups(
                                      db.session, [h.photos for h in hazards]))
    app.jinja_env.filters["reject_key"] = lambda mapping, key: {k: v for k, v in mapping.items() if k != key}

    nav_urls: dict[tuple[str, str], str] = {}  # (script root, endpoint) → URL: menu entries take no arguments

    def nav_url(endpoint: str) -> str:
        key = (request.script_root, endpoint)
        if key not in nav_urls:
            nav_urls[key] = url_for(endpoint)
        return nav_urls[key]

    @app.context_processor
    def extension_points() -> dict:
        def nav_items() -> list[dict]:
            if not current_user.is_authenticated:
                return []
            user = current_user._get_current_object()
            return [
                {"url": nav_url(item.endpoint), "label": item.label, "endpoint": item.endpoint,
                 "badge": item.badge(user) if item.badge else None}
                for item in parts.nav if item.shown_to(user)
            ]

        def unit_actions(unit) -> list[dict]:  # noqa: ANN001
            user = current_user._get_current_object()
            return [{"url": url_for(item.endpoint, unit_id=unit.id), "label": item.label}
                    for item in parts.unit_actions if item.shown_to(user)]

        def read_only_user() -> bool:  # a 县级督导 account: pages show no form it may not send
            return current_user.is_authenticated and read_only.is_read_only(current_user)

        return {"nav_items": nav_items, "unit_sections": lambda unit: list(parts.unit_sections),
                "unit_actions": unit_actions, "read_only_user": read_only_user}

    sessions.install(app)
    security.install(app)
