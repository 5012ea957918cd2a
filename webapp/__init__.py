"""Firegrid 消防网格公文系统: create_app wires config, extensions, services, blueprints and checks."""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp.clock import Clock
from webapp.config import PACKAGE_DIR, load_settings
from webapp.extensions import csrf, db, login_manager, migrate


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    settings = load_settings(overrides)
    if not settings["READ_ONLY"]:
        settings["DATA_DIR"].mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(settings["DATA_DIR"]))
    app.config.update(settings)

    from webapp import models  # noqa: F401  (registers the tables with the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    app.extensions["firegrid.clock"] = Clock()
    app.extensions["firegrid.runtime"] = _build_runtime(app)

    from webapp.archive import views as archive_views
    from webapp.reports import views as report_views
    from webapp.web import register_web
    from webapp.web.converters import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added

    register_web(app, extra_modules=(archive_views, report_views))
    return app


def _build_runtime(app: Flask):
    """Parse BPMN once, load templates, register procedures; refuse to start when they disagree."""
    from webapp.archive import codes as archive_codes
    from webapp.archive import jobs as archive_jobs
    from webapp.cases import ledger_binder, photos, setup
    from webapp.cases.runtime import CaseRuntime
    from webapp.engine import SpecRegistry, WorkflowSpecError
    from webapp.forms.registry import form_keys
    from webapp.procedures import load_all
    from webapp.services import documents as document_services
    from webapp.services import jobs, units
    from webapp.services.documents import DocumentServices
    from webapp.services.storage import backends as file_backends

    load_all()
    jobs.register_kind(archive_jobs.JOB)  # the archive is no procedure but queues export jobs
    jobs.register_kind(units.LABEL_JOB)  # 一户一码 label sheets of many units
    jobs.register_kind(units.SIGN_JOB)  # 九小场所 warning signs of many units
    jobs.register_kind(ledger_binder.JOB)  # 台账汇编: the year's documents bound into one PDF
    jobs.register_kind(document_services.PDF_JOB)  # the PDF/A of each issued document, made after issuing
    jobs.register_kind(photos.JOB)  # evidence photos: decoded in full and watermarked after the submit
    setup.on_new_town("archive", archive_codes.set_up_town)  # and gives every new town its fonds settings
    specs = SpecRegistry.load(app.config["WORKFLOWS_DIR"])
    store = file_backends.build(app.config["FILE_STORE"], app.config["DATA_DIR"], lambda: db.session)
    documents = DocumentServices.create(app.config["TEMPLATES_DIR"], app.config["DATA_DIR"], store,
                                       layout_check=app.config.get("LAYOUT_CHECK", False),
                                       pdf_after_issue=app.config.get("PDF_AFTER_ISSUE", False),
                                       pdf_listeners=app.config.get("PDF_LISTENERS", 1))
    runtime = CaseRuntime(specs=specs, documents=documents, settings=app.config)
    if app.config.get("CHECK_WORKFLOWS", True):
        problems = runtime.problems(form_keys())
        if problems:
            raise WorkflowSpecError(problems)
    return runtime
