"""The app a bench measures: a fresh data folder and an empty schema on SQLite, or on --database-url."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import MetaData

from webapp import create_app
from webapp.extensions import db


def empty_app(database_url: str | None) -> tuple[Flask, str]:
    """(app, url): every table of the database dropped and made anew, so a run starts from nothing."""
    data_dir = Path(tempfile.mkdtemp(prefix="firegrid-bench-"))
    url = database_url or f"sqlite:///{data_dir / 'bench.db'}"
    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "CHECK_WORKFLOWS": False})
    with app.app_context():
        fresh_schema()
    return app, url


def fresh_schema() -> None:
    """Every table of the app's database dropped (tables an older schema left behind too), then the schema made
    by the migrations, as `firegrid init` makes it: with the triggers that keep the inspections' monthly totals,
    which create_all does not make."""
    reflected = MetaData()
    reflected.reflect(bind=db.engine)
    reflected.drop_all(bind=db.engine)
    upgrade()
