"""Test fixtures: one app per session on SQLite (default) or FIREGRID_TEST_DATABASE_URL, clean tables per test."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import URL, MetaData, create_engine, inspect, make_url, text

from tests import factories

# The layout check makes a LibreOffice run per issued document; the layout tests turn it on themselves
# (also for the CLI subprocesses the tests start, which read the environment).
os.environ.setdefault("FIREGRID_LAYOUT_CHECK", "0")
# Likewise the PDF/A job queued after each issue (its tests turn it on): other tests count and run jobs.
os.environ.setdefault("FIREGRID_PDF_AFTER_ISSUE", "0")
# One LibreOffice per test process (each xdist worker), started on its first PDF, as before the pool.
os.environ.setdefault("FIREGRID_PDF_LISTENERS", "1")
os.environ.setdefault("FIREGRID_PDF_START_EARLY", "0")
from webapp import create_app
from webapp.demo import organisation as demo_service
from webapp.extensions import db
from webapp.services import accounts

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# Hashing strength is irrelevant to what the tests check, and scrypt would dominate their run time.
accounts.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


def tiny_pdf() -> bytes:
    """A real one-page PDF for upload tests (uploads are checked to open)."""
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _database_url(tmp_dir: Path) -> str:
    """SQLite in the session's temp dir, or FIREGRID_TEST_DATABASE_URL; a pytest-xdist worker gets a
    database of its own beside that one (test_gw0 …), since every session empties its database."""
    url = os.environ.get("FIREGRID_TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url:
        return f"sqlite:///{tmp_dir / 'test.db'}"
    if not worker:
        return url
    return _worker_database(make_url(url), worker).render_as_string(hide_password=False)


def _about_postgresql(item: pytest.Item) -> bool:
    return "postgresql" in Path(str(item.fspath)).read_text(encoding="utf-8").lower()


def _throwaway_postgresql(url: str) -> dict:
    """A test database is thrown away: its commits need not wait for the disk (the product's do)."""
    if not url.startswith("postgresql"):
        return {}
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True,
                                         "connect_args": {"options": "-c synchronous_commit=off"}}}


def _worker_database(base: URL, worker: str) -> URL:
    own = base.set(database=f"{base.database}_{worker}")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                       {"name": own.database})
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{own.database}"'))
    finally:
        engine.dispose()
    return own


def _drop_everything() -> None:
    """Start each session from an empty database, whatever an earlier run left behind."""
    reflected = MetaData()
    reflected.reflect(bind=db.engine)
    reflected.drop_all(bind=db.engine)


def clean_tables() -> None:
    db.session.rollback()
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # TRUNCATE costs per table (~0.3 s for all ~80, each test): only those with rows or a used id
            # sequence, which leaves every table as TRUNCATE … RESTART IDENTITY of all of them would.
            used = set(connection.scalars(text("SELECT sequencename FROM pg_sequences WHERE schemaname = "
                                               "current_schema() AND last_value IS NOT NULL")))
            probe = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables)
            filled = set(connection.scalars(text(probe)))
            names = ", ".join(f'"{t.name}"' for t in tables if t.name in filled or f"{t.name}_id_seq" in used)
            if names:
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            # tables whose rows triggers keep (inspection_month_total) last: deleting their sources recounts them
            kept = [t for t in tables if t.name.endswith("_total")]
            for table in [t for t in tables if t not in kept] + kept:
                connection.execute(table.delete())


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    data_dir = tmp_path_factory.mktemp("firegrid-data")
    from tests import workflow_support

    app = create_app({
        "WORKFLOWS_DIR": workflow_support.install(data_dir / "workflows"),
        "TESTING": True,
        "DATA_DIR": data_dir,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": _database_url(data_dir),
        **_throwaway_postgresql(_database_url(data_dir)),
    })
    with app.app_context():
        from flask_migrate import upgrade

        _drop_everything()
        upgrade()
        # Tables of procedures still under construction, until their migration is written;
        # test_migrations checks a migrations-only database, so nothing is masked there.
        db.create_all()
        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
    yield app


@pytest.fixture()
def session(app: Flask) -> Iterator:
    """An app context with clean tables and a wall clock; yields the DB session."""
    with app.app_context():
        clean_tables()
        app.extensions["firegrid.clock"].set(None)
        yield db.session
        db.session.rollback()
        db.session.remove()


@pytest.fixture()
def demo(session, app: Flask) -> demo_service.DemoSummary:  # noqa: ANN001
    summary = demo_service.load_demo(session, now=app.extensions["firegrid.clock"].now())
    session.commit()
    return summary


class Browser:
    """A test client that logs in through the form and sends the CSRF token like a browser.

    Each request runs in a fresh app context, as in production: the test's own context (and its
    cached `g`, e.g. the logged-in user) would otherwise be reused by every request.
    """

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.csrf_token = ""

    def request(self, method: str, url: str, **kwargs):  # noqa: ANN003, ANN201
        with self.client.application.app_context():
            return self.client.open(url, method=method, **kwargs)

    def get(self, url: str, **kwargs):  # noqa: ANN003, ANN201
        response = self.request("GET", url, **kwargs)
        match = response.mimetype == "text/html" and CSRF_PATTERN.search(response.get_data(as_text=True))
        if match:
            self.csrf_token = match.group(1)
        return response

    def post(self, url: str, data: dict | None = None, **kwargs):  # noqa: ANN003, ANN201
        if not self.csrf_token:
            self.get("/login")
        payload = {"csrf_token": self.csrf_token, **(data or {})}
        return self.request("POST", url, data=payload, **kwargs)

    def inbox_task_id(self, step_title: str) -> int:
        """The id of the first task in this user's inbox (待办) whose step is `step_title`."""
        html = self.get("/tasks/").get_data(as_text=True)
        rows = re.findall(r'<a href="/tasks/(\d+)">[^<]*</a></td>\s*<td[^>]*>([^<]+)<', html)
        matches = [int(task_id) for task_id, title in rows if title.strip() == step_title]
        assert matches, f"{step_title} not in inbox: {rows}"
        return matches[0]

    def login(self, username: str, password: str = demo_service.DEMO_PASSWORD):  # noqa: ANN201
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        self.get("/")
        return response


@pytest.fixture()
def browser(app: Flask, session) -> Browser:  # noqa: ANN001
    return Browser(app.test_client())


@pytest.fixture()
def small_town(session) -> factories.SmallTown:  # noqa: ANN001
    """One town, two villages, four units, a user per role (see factories.small_town)."""
    return factories.small_town(session)


@pytest.fixture()
def sign_in(app: Flask, session):  # noqa: ANN001, ANN201
    """sign_in("clerk") → a Browser logged in as an account made by the factories."""

    def log_in(username: str, password: str = factories.PASSWORD) -> Browser:
        visitor = Browser(app.test_client())
        visitor.login(username, password)
        return visitor

    return log_in


@pytest.fixture()
def login_as(demo, sign_in):  # noqa: ANN001, ANN201
    """login_as("clerk") → a Browser logged in as that demo account."""
    return lambda username: sign_in(username, demo_service.DEMO_PASSWORD)


@pytest.fixture()
def without_libreoffice(app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The app as on a server without LibreOffice: its converter finds no soffice (PDFs answer 503 and say
    so), for the duration of the test."""
    from webapp.documents.pdf import PdfConverter

    monkeypatch.setattr(app.extensions["firegrid.runtime"].documents, "pdf",
                        PdfConverter(tmp_path / "lo-profile", soffice="/nonexistent/soffice"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, run the tests that reach the database, not twice what the SQLite run of the same command
    has just run: a test that asks for neither `app` nor `session` (document layout, the engine, the browser
    tests, which always serve from SQLite) runs the same code on either backend, and the slow ones (demo-year
    plays, crawlers, LibreOffice batches) keep CI within its time; a slow test about PostgreSQL itself (its
    module names it, e.g. the two hosts on one database) still runs here."""
    if not (os.environ.get("FIREGRID_TEST_DATABASE_URL") or "").startswith("postgresql"):
        return
    asked_for_slow = "slow" in (config.getoption("markexpr") or "")  # `-m slow`: play them here too
    independent = [item for item in items if not {"app", "session"} & set(item.fixturenames)
                   or (item.get_closest_marker("slow") and not asked_for_slow and not _about_postgresql(item))]
    if independent:
        config.hook.pytest_deselected(items=independent)
        dropped = set(map(id, independent))
        items[:] = [item for item in items if id(item) not in dropped]
