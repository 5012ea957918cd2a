"""Firegrid 消防网格公文系统: create_app wires config, extensions, blueprints and the CLI."""

from __future__ import annotations

from typing import Any

from flask import Flask

from .clock import Clock
from .config import PACKAGE_DIR, load_settings
from .extensions import csrf, db, login_manager, migrate


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    settings = load_settings(overrides)
    settings["DATA_DIR"].mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(settings["DATA_DIR"]))
    app.config.update(settings)

    from . import models  # noqa: F401  (registers the tables with the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    app.extensions["firegrid.clock"] = Clock()

    from .web import register_web

    register_web(app)
    return app
