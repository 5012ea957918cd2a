"""一户一码 pages: the address a unit's QR code opens (/u/<code>), the label sheets and the 九小场所 warning
signs (消防安全警示牌) to print; both are made in the request for a few units, by a background job for many."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.documents import unit_labels, warning_signs
from webapp.extensions import db
from webapp.models import Unit
from webapp.models.grid import NINE_SMALL_CATEGORIES
from webapp.services import grid, units
from webapp.services.errors import NotFound
from webapp.web.common import acting_user, now, roles_required
from webapp.web.converters import db_int
from webapp.web.responses import DOCX, docx_as_pdf, download_response, runtime, stored_file_response

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


def _chosen_units(kind: str, categories: dict | None = None) -> tuple[list[Unit], str]:
    """The units of ?grid=<node id> (its whole subtree; of `categories` only, if given) or of ?unit=<id>,
    and the title of the document `kind` made of them."""
    if request.args.get("unit", type=int):
        unit = units.get_unit(db.session, acting_user(), request.args.get("unit", type=int))
        return [unit], f"{kind}（{unit.name}）"
    node = grid.get_node(db.session, request.args.get("grid", type=db_int) or acting_user().scope.id)
    found = units.units_for_labels(db.session, acting_user(), node)
    return [u for u in found if categories is None or u.category in categories], f"{kind}（{node.name}）"


def _labels() -> tuple[list[unit_labels.Label], str]:
    found, title = _chosen_units("单位二维码标签")
    return [unit_labels.Label(name=u.name, code=u.code, url=unit_url(u)) for u in found], title


def _queued_or_none(labels: list[unit_labels.Label], title: str):  # noqa: ANN202
    """More labels than UNIT_LABELS_SYNC_LIMIT: queue a background job and show its progress page."""
    if len(labels) <= current_app.config["UNIT_LABELS_SYNC_LIMIT"]:
        return None
    job = units.queue_label_sheet(db.session, labels, title, user=acting_user(), now=now())
    db.session.commit()
    return redirect(url_for("unit_codes.label_job", job_id=job.id))


def _signs() -> tuple[list[warning_signs.WarningSign], str]:
    """The signs of one unit (any category), or of a grid's 九小场所 (the places the sign is made for)."""
    found, title = _chosen_units(warning_signs.TITLE, NINE_SMALL_CATEGORIES)
    return units.warning_signs_of(db.session, found, unit_url), title


def _signs_queued_or_none(signs: list[warning_signs.WarningSign], title: str):  # noqa: ANN202
    """More signs than WARNING_SIGNS_SYNC_LIMIT (a page each): a background job and its progress page."""
    if len(signs) <= current_app.config["WARNING_SIGNS_SYNC_LIMIT"]:
        return None
    job = units.queue_warning_signs(db.session, signs, title, user=acting_user(), now=now())
    db.session.commit()
    return redirect(url_for("unit_codes.sign_job", job_id=job.id))


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
    return _queued_or_none(found, title) or docx_as_pdf(unit_labels.label_sheet(found, title), title)


@bp.get("/units/labels/jobs/<int:job_id>")
@roles_required(*LABEL_ROLES)
def label_job(job_id: int):
    """Progress of a label job (the page reloads itself until it is done), then its downloads."""
    return render_template("units/label_job.html", job=units.label_job(db.session, acting_user(), job_id),
                           what="标签", docx="unit_codes.label_job_docx", pdf="unit_codes.label_job_pdf")


def _finished_sheet(job_id: int, kind: str = units.LABEL_JOB_KIND) -> tuple[str, str]:
    job = units.label_job(db.session, acting_user(), job_id, kind)
    if job.status != "done":
        raise NotFound("文件尚未生成完毕。")
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
    return docx_as_pdf(runtime().documents.store.read(sha256), title)


@bp.get("/units/signs")
@roles_required(*LABEL_ROLES)
def signs():
    """消防安全警示牌 as DOCX, one A4 page a unit: of ?unit=<id>, or of the 九小场所 of ?grid=<node id>."""
    found, title = _signs()
    return _signs_queued_or_none(found, title) or download_response(
        warning_signs.warning_sign_document(found, title), f"{title}.docx", DOCX)


@bp.get("/units/signs.pdf")
@roles_required(*LABEL_ROLES)
def signs_pdf():
    found, title = _signs()
    return _signs_queued_or_none(found, title) or docx_as_pdf(
        warning_signs.warning_sign_document(found, title), title)


@bp.get("/units/signs/jobs/<int:job_id>")
@roles_required(*LABEL_ROLES)
def sign_job(job_id: int):
    job = units.label_job(db.session, acting_user(), job_id, units.SIGN_JOB_KIND)
    return render_template("units/label_job.html", job=job, what="警示牌", docx="unit_codes.sign_job_docx",
                           pdf="unit_codes.sign_job_pdf")


@bp.get("/units/signs/jobs/<int:job_id>/signs.docx")
@roles_required(*LABEL_ROLES)
def sign_job_docx(job_id: int):
    sha256, title = _finished_sheet(job_id, units.SIGN_JOB_KIND)
    return stored_file_response(sha256, f"{title}.docx")


@bp.get("/units/signs/jobs/<int:job_id>/signs.pdf")
@roles_required(*LABEL_ROLES)
def sign_job_pdf(job_id: int):
    sha256, title = _finished_sheet(job_id, units.SIGN_JOB_KIND)
    return docx_as_pdf(runtime().documents.store.read(sha256), title)
