"""单位自助链接 pages: the public page a notice's link or QR opens (no login), and the slip staff print with the
notice (its URL and QR)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from webapp.documents.unit_labels import qr_svg
from webapp.extensions import db
from webapp.procedures.inspection import unit_link
from webapp.procedures.inspection.forms_followup import UnitExtensionForm
from webapp.procedures.inspection.models import Inspection
from webapp.procedures.inspection.referral_forms import UnitLinkForm
from webapp.services import grid
from webapp.services.errors import InvalidInput
from webapp.web.common import acting_user, form_status, now, roles_required
from webapp.web.form_errors import show_invalid
from webapp.web.posted_files import upload_limit
from webapp.web.responses import runtime, stored_file_response
from webapp.web.unit_codes import public_base

bp = Blueprint("unit_link", __name__)


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def link_url(inspection: Inspection) -> str:
    return unit_link.link_url(public_base(), _secret(), inspection)


@bp.app_context_processor
def unit_link_helpers() -> dict:
    return {"unit_submissions": lambda inspection: unit_link.submissions(db.session, inspection)}


def _cap() -> unit_link.DailyCap:
    return unit_link.DailyCap(current_app.config["UNIT_LINK_DAILY_FILES"], current_app.config["UNIT_LINK_DAILY_MB"])


def _page(token: str, inspection: Inspection, form: UnitLinkForm | None = None,
          extension: UnitExtensionForm | None = None):
    """The unit's page: what it was told, its two forms (photos / 复查, and 延期 while the case waits)."""
    waiting = unit_link.waiting_for_application(db.session, inspection)
    if extension is None and waiting:
        extension = UnitExtensionForm(prefix="ext")
        extension.setup_for(inspection)
    # a posted 延期 form shows again with its errors, even when the case stopped waiting meanwhile
    return render_template("referrals/unit_link.html", inspection=inspection, form=form or UnitLinkForm(),
                           extension=extension, token=token, waiting=waiting,
                           sent=unit_link.submissions(db.session, inspection),
                           last_day=unit_link.last_day(inspection)), form_status()


@bp.route(f"{unit_link.PATH}/<token>", methods=["GET", "POST"])
@bp.route("/notice-link/<token>", methods=["GET", "POST"])  # the slips printed before the notice had the QR
def page(token: str):
    """Photos and 申请复查: this notice only, until the link expires; tampered or expired → 403 (logged)."""
    inspection = unit_link.inspection_for(db.session, _secret(), token, now())
    form = UnitLinkForm()
    if form.validate_on_submit():
        try:
            posted = [(f.read(), f.filename or "upload") for f in request.files.getlist(form.files.name) if f]
            files = unit_link.store_files(db.session, runtime().documents.store, inspection, posted,
                                          max_bytes=upload_limit(), cap=_cap(), now=now())
            unit_link.submit(db.session, runtime(), inspection, files=files, applicant=form.applicant.data,
                             note=form.note.data or "", apply=form.apply.data, now=now())
        except InvalidInput as error:
            show_invalid(form, error, beside=form.files)
        else:
            db.session.commit()
            flash("已提交，感谢配合。" + ("镇（街道）将在3个工作日内复查。" if form.apply.data else ""), "success")
            return redirect(url_for("unit_link.page", token=token))
    return _page(token, inspection, form=form)


@bp.post(f"{unit_link.PATH}/<token>/extension")
def extension(token: str):
    """申请延期 with a 整改计划 and new dates per hazard; a leader approves or refuses it as usual."""
    inspection = unit_link.inspection_for(db.session, _secret(), token, now())
    form = UnitExtensionForm(prefix="ext")
    form.setup_for(inspection)
    if form.validate_on_submit():
        try:
            unit_link.apply_for_extension(
                db.session, runtime(), inspection, applicant=form.applicant.data, reason=form.reason.data,
                measures=form.measures.data, interim_measures=form.interim_measures.data,
                plan_items=form.new_dates(), now=now())
        except InvalidInput as error:
            show_invalid(form, error, beside=form.plan_items)
        else:
            db.session.commit()
            flash("延期申请已提交，镇（街道）审批后将告知结果；批准前仍按原整改期限整改。", "success")
            return redirect(url_for("unit_link.page", token=token))
    return _page(token, inspection, extension=form)


@bp.get("/inspection/<int:inspection_id>/unit-link")
@roles_required("clerk", "inspector", "leader")
def slip(inspection_id: int):
    """The slip handed over with the notice: the unit's link and its QR."""
    inspection = db.get_or_404(Inspection, inspection_id, description="没有这个检查记录。")
    grid.ensure_in_scope(acting_user(), inspection.grid)
    if not inspection.notice_number:
        return render_template("referrals/unit_slip.html", inspection=inspection, url=None, qr=None)
    url = link_url(inspection)
    return render_template("referrals/unit_slip.html", inspection=inspection, url=url, qr=qr_svg(url),
                           last_day=unit_link.last_day(inspection))


@bp.get("/inspection/<int:inspection_id>/unit-files/<int:submission_id>/<int:index>")
@roles_required("clerk", "inspector", "leader")
def unit_file(inspection_id: int, submission_id: int, index: int):
    """A photo or PDF the unit sent through its link, for staff of the inspection's grid."""
    inspection = db.get_or_404(Inspection, inspection_id, description="没有这个检查记录。")
    grid.ensure_in_scope(acting_user(), inspection.grid)
    sent = next((s for s in unit_link.submissions(db.session, inspection) if s.id == submission_id), None)
    if sent is None or index >= len(sent.files):
        abort(404)
    return stored_file_response(sent.files[index]["file"], sent.files[index]["name"])
