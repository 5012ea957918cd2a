"""一户一码 pages: the address a unit's QR code opens (/u/<code>) and the label sheets to print."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.documents import unit_labels
from webapp.documents.pdf import PdfConversionError, PdfUnavailable
from webapp.extensions import db
from webapp.models import Unit
from webapp.services import grid, units
from webapp.services.errors import NotFound
from webapp.web.common import acting_user, now, roles_required
from webapp.web.documents import PdfFailed, PdfNotAvailable
from webapp.web.responses import DOCX, download_response, runtime, stored_file_response

log = logging.getLogger(__name__)
bp = Blueprint("unit_codes", __name__)
PDF = "application/pdf"
LABEL_ROLES = ("admin", "clerk", "inspector")


def public_base() -> str:
    """FIREGRID_PUBLIC_URL, else this request's own address (fine for a try-out, not for printing)."""
    return current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")


def unit_url(unit: Unit) -> str:
    return f"{public_base()}{url_for('unit_codes.scan', code=unit.code)}"


@bp.get("/u/<code>")
def scan(code: str):
    """A scanned QR code. Logged in: the unit page, scope-checked (out of scope: 403, logged). Anyone
    else: the public card, which shows no case data and no address."""
    unit = units.unit_by_code(db.session, code)
    if current_user.is_authenticated:
        grid.ensure_in_scope(acting_user(), unit.grid)
        return redirect(url_for("units.detail", unit_id=unit.id))
    return render_template("units/public_card.html", card=units.public_card(db.session, unit))


def _labelled_units() -> tuple[list[Unit], str]:
    """The units of ?grid=<node id> (its whole subtree) or of ?unit=<id>, and the sheet's title."""
    if request.args.get("unit", type=int):
        unit = units.get_unit(db.session, acting_user(), request.args.get("unit", type=int))
        return [unit], f"单位二维码标签（{unit.name}）"
    node = grid.get_node(db.session, request.args.get("grid", type=int) or acting_user().scope.id)
    return units.units_for_labels(db.session, acting_user(), node), f"单位二维码标签（{node.name}）"


def _labels() -> tuple[list[unit_labels.Label], str]:
    found, title = _labelled_units()
    return [unit_labels.Label(name=u.name, code=u.code, url=unit_url(u)) for u in found], title


def _queued_or_none(labels: list[unit_labels.Label], title: str):  # noqa: ANN202
    """More labels than UNIT_LABELS_SYNC_LIMIT: queue a background job and show its progress page."""
    if len(labels) <= current_app.config["UNIT_LABELS_SYNC_LIMIT"]:
        return None
    job = units.queue_label_sheet(db.session, labels, title, user=acting_user(), now=now())
    db.session.commit()
    return redirect(url_for("unit_codes.label_job", job_id=job.id))


def pdf_download(content: bytes, title: str):  # noqa: ANN202
    """A DOCX made in the request, converted to PDF by the app's LibreOffice service and shown inline."""
    try:
        pdf = runtime().documents.pdf.convert(content)
    except PdfUnavailable as error:
        raise PdfNotAvailable(str(error)) from error
    except PdfConversionError as error:
        log.error("PDF conversion of %s failed: %s", title, error)
        raise PdfFailed() from error
    return download_response(pdf, f"{title}.pdf", PDF, inline=True)


@bp.get("/units/labels")
@roles_required(*LABEL_ROLES)
def labels():
    """The A4 label sheet as DOCX: made in the request for a few units, in a background job for many."""
    found, title = _labels()
    return _queued_or_none(found, title) or download_response(unit_labels.label_sheet(found, title),
                                                              f"{title}.docx", DOCX)


@bp.get("/units/labels.pdf")
@roles_required(*LABEL_ROLES)
def labels_pdf():
    found, title = _labels()
    return _queued_or_none(found, title) or pdf_download(unit_labels.label_sheet(found, title), title)


@bp.get("/units/labels/jobs/<int:job_id>")
@roles_required(*LABEL_ROLES)
def label_job(job_id: int):
    """Progress of a label job (the page reloads itself until it is done), then its downloads."""
    return render_template("units/label_job.html", job=units.label_job(db.session, acting_user(), job_id))


def _finished_sheet(job_id: int) -> tuple[str, str]:
    job = units.label_job(db.session, acting_user(), job_id)
    if job.status != "done":
        raise NotFound("标签尚未生成完毕。")
    return job.result["sha256"], job.params["title"]


@bp.get("/units/labels/jobs/<int:job_id>/sheet.docx")
@roles_required(*LABEL_ROLES)
def label_job_docx(job_id: int):
    sha256, title = _finished_sheet(job_id)
    return stored_file_response(sha256, f"{title}.docx")


@bp.get("/units/labels/jobs/<int:job_id>/sheet.pdf")
@roles_required(*LABEL_ROLES)
def label_job_pdf(job_id: int):
    """PDF of the finished sheet, converted in the request (LibreOffice takes ~1 s per few pages)."""
    sha256, title = _finished_sheet(job_id)
    return pdf_download(runtime().documents.store.read(sha256), title)
