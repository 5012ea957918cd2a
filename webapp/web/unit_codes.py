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
from webapp.web.common import acting_user, roles_required
from webapp.web.documents import PdfFailed, PdfNotAvailable
from webapp.web.responses import DOCX, download_response, runtime

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


def _sheet() -> tuple[bytes, str]:
    found, title = _labelled_units()
    labels = [unit_labels.Label(name=u.name, code=u.code, url=unit_url(u)) for u in found]
    return unit_labels.label_sheet(labels, title), title


@bp.get("/units/labels")
@roles_required(*LABEL_ROLES)
def labels():
    """The A4 label sheet as DOCX. Rendered in the request: 500 labels take a few seconds (one PNG each)."""
    content, title = _sheet()
    return download_response(content, f"{title}.docx", DOCX)


@bp.get("/units/labels.pdf")
@roles_required(*LABEL_ROLES)
def labels_pdf():
    content, title = _sheet()
    try:
        pdf = runtime().documents.pdf.convert(content)
    except PdfUnavailable as error:
        raise PdfNotAvailable(str(error)) from error
    except PdfConversionError as error:
        log.error("PDF conversion of a label sheet failed: %s", error)
        raise PdfFailed() from error
    return download_response(pdf, f"{title}.pdf", PDF, inline=True)
