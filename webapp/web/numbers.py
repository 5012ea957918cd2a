"""文号台账: a town's numbers of one year, by prefix and serial, with the document each one went to; the
office head, a leader or the admin voids a number (and its document) with a reason, never reusing it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from webapp.extensions import db
from webapp.forms.numbers import VoidNumberForm
from webapp.services import audit, documents, grid, numbering
from webapp.services.errors import InvalidInput
from webapp.web.common import acting_user, chosen_town, client_address, now, roles_required, year_arg
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import flash_invalid

bp = Blueprint("numbers", __name__, url_prefix="/numbers")
READ_ROLES = ("clerk", "office_head", "leader", "archivist", "admin")
VOID_ROLES = ("office_head", "leader", "admin")
NAV = (NavItem("numbers.ledger", "文号台账", READ_ROLES, order=85),)


@bp.get("/")
@roles_required(*READ_ROLES)
def ledger():
    town, towns = chosen_town()
    year = year_arg()
    return render_template("numbers/ledger.html", town=town, towns=towns, year=year,
                           numbers=numbering.ledger(db.session, town.id, year), form=VoidNumberForm(),
                           may_void=acting_user().has_role(*VOID_ROLES))


@bp.post("/<int:number_id>/void")
@roles_required(*VOID_ROLES)
def void(number_id: int):
    issued = numbering.get_number(db.session, number_id)
    grid.ensure_in_scope(acting_user(), issued.town)
    form = VoidNumberForm()
    try:
        if not form.validate_on_submit():
            raise InvalidInput("；".join(e for errors in form.errors.values() for e in errors))
        if issued.document is not None:
            documents.void(db.session, issued.document, form.reason.data)
        else:
            numbering.void(db.session, issued, form.reason.data)
        audit.record(db.session, at=now(), user=acting_user(), action="number_void", object_type="issued_number",
                     object_id=issued.id, summary=f"{issued.number}：{form.reason.data.strip()}",
                     remote_addr=client_address())
        db.session.commit()
        flash(f"{issued.number}已作废；该文号不再使用。", "success")
    except InvalidInput as error:
        flash_invalid(error)
    return redirect(url_for("numbers.ledger", town=issued.town_id, year=issued.year))
