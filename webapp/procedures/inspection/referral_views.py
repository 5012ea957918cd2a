"""Referral pages: the town's queue of reported items and the bundled 移交函, the referral list, one referral
with acceptance and handling result (by the department's own login or by the clerk), villages' 上报, and the
admin's page that names which department a 接收部门 login answers for."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.extensions import db
from webapp.models import HazardLead
from webapp.procedures.inspection import receiver_accounts, referrals, report_up
from webapp.procedures.inspection.models import Hazard
from webapp.procedures.inspection.referral_forms import (
    AcceptanceForm,
    BundleReferralForm,
    ReceiverAccountForm,
    ReportUpForm,
    ResultForm,
)
from webapp.procedures.inspection.setup import receivers
from webapp.services import grid
from webapp.services.errors import InvalidInput, OutOfScope
from webapp.web.common import (
    acting_user,
    chosen_town,
    form_status,
    now,
    require_town_scope,
    roles_required,
    town_scoped,
)
from webapp.web.converters import db_int
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import saved, show_invalid
from webapp.web.posted_files import store_posted
from webapp.web.responses import DOCX, download_response, runtime, stored_file_response

bp = Blueprint("referrals", __name__, url_prefix="/referrals")
LIST_ROLES = (*referrals.TOWN_ROLES, referrals.DESK_ROLE)
REPORT_ROLES = ("clerk", "inspector")
# Town staff and departments; a village clerk reports up from 检查整改 and the case page (a short phone menu).
NAV = (NavItem("referrals.index", "移交", LIST_ROLES, order=52,
               visible=lambda user: user.has_role(referrals.DESK_ROLE) or (
                   town_scoped(user) and user.has_role(*referrals.TOWN_ROLES))),)
# What a login that is only a receiving department may open: its referrals, the documents delivered to it
# (cases.receipts keeps it to its own), its alerts, its own account.
DESK_BLUEPRINTS = {"referrals", "receipts", "auth", "alerts", "health", "tasks"}


@bp.before_app_request
def keep_departments_to_their_referrals():
    """A 接收部门 login sees its own referrals and nothing else of the town (403, logged)."""
    if not current_user.is_authenticated or current_user.roles != {referrals.DESK_ROLE}:
        return None
    if request.endpoint == "home.index":
        return redirect(url_for("referrals.index"))
    if request.endpoint and request.endpoint != "static" and request.blueprint not in DESK_BLUEPRINTS:
        raise OutOfScope("接收部门账号只能查看移交给本部门的事项。")
    return None


@bp.app_context_processor
def referral_helpers() -> dict:
    """The case page lists the departments its letter went to and what each answered."""
    return {"case_addressees": lambda inspection: referrals.case_addressees(db.session, inspection),
            "answered_by_department": lambda row: referrals.answered_by_department(db.session, row)}


@bp.get("/")
@roles_required(*LIST_ROLES)
def index():
    rows = referrals.visible_addressees(db.session, acting_user())
    desk = referrals.desk_receiver_id(db.session, acting_user()) is not None
    return render_template("referrals/index.html", rows=rows, desk=desk, today=now().date())


@bp.route("/queue", methods=["GET", "POST"])
@roles_required("clerk", "leader")
def queue():
    """待移交: what villages reported up; several items, one letter, one or several departments."""
    require_town_scope("移交")
    town, towns = chosen_town()
    items = report_up.queue(db.session, town)
    form = BundleReferralForm()
    form.report_ids.choices = [(r.id, r.id) for r in items]
    form.receiver_ids.choices = [(r.id, r.name) for r in receivers(db.session, town).values()]
    if request.method == "GET":
        form.contact_name.data, form.contact_phone.data = acting_user().display_name, acting_user().phone
    done = saved(form, lambda: referrals.refer_bundle(
        db.session, runtime().documents, town=town, report_ids=form.report_ids.data,
        receiver_ids=form.receiver_ids.data, actions_taken=form.actions_taken.data,
        request=form.requested_action.data or "", feedback_days=form.feedback_days.data,
        contact={"name": form.contact_name.data, "phone": form.contact_phone.data}, user=acting_user(), now=now()),
        "移交函已签发。", url_for("referrals.index"))
    if done:
        return done
    db.session.commit()  # a town's two default receivers, on first use
    return render_template("referrals/queue.html", form=form, items=items, town=town, towns=towns), form_status()


@bp.route("/<int:addressee_id>", methods=["GET", "POST"])
@roles_required(*LIST_ROLES)
def detail(addressee_id: int):
    row = referrals.addressee_for(db.session, acting_user(), addressee_id)
    accept_form, result_form = AcceptanceForm(prefix="accept"), ResultForm(prefix="result")
    target = url_for("referrals.detail", addressee_id=row.id)
    if request.form.get("action") == "accept":
        done = saved(accept_form, lambda: referrals.accept(
            db.session, row, accepted_by=accept_form.accepted_by.data, accepted_on=accept_form.accepted_on.data,
            user=acting_user(), now=now()), "已登记接收。", target)
    else:
        done = saved(result_form, lambda: referrals.record_result(
            db.session, runtime(), row, feedback_on=result_form.feedback_on.data, measures=result_form.measures.data,
            result=result_form.result.data, files=[store_posted(f) for f in result_form.files.data or [] if f],
            seen_status=result_form.seen_status.data, user=acting_user(), now=now()), "处理结果已登记。", target)
    if done:
        return done
    result_form.seen_status.data = row.status  # as shown now (after a refused answer: the one that won)
    return render_template("referrals/detail.html", row=row, accept_form=accept_form, result_form=result_form,
                           today=now().date(), may_answer=referrals.may_answer(db.session, acting_user(), row),
                           own_answer=referrals.answered_by_department(db.session, row)), form_status()


@bp.get("/<int:addressee_id>/letter")
@roles_required(*LIST_ROLES)
def letter(addressee_id: int):
    document = referrals.addressee_for(db.session, acting_user(), addressee_id).referral.document
    if document is None:
        abort(404)
    return download_response(runtime().documents.store.read(document.file_sha256), document.title, DOCX)


@bp.get("/<int:addressee_id>/files/<int:index>")
@roles_required(*LIST_ROLES)
def file(addressee_id: int, index: int):
    row = referrals.addressee_for(db.session, acting_user(), addressee_id)
    if index >= len(row.files):
        abort(404)
    return stored_file_response(row.files[index]["file"], row.files[index]["name"])


@bp.route("/report", methods=["GET", "POST"])
@roles_required(*REPORT_ROLES)
def report():
    """上报: an open hazard (?hazard_id=) or a patrol lead (?lead_id=) goes up to the town's queue."""
    hazard_id, lead_id = request.args.get("hazard_id", type=db_int), request.args.get("lead_id", type=db_int)
    form = ReportUpForm()
    if (hazard_id or lead_id) and form.validate_on_submit():
        try:
            report_up.report(db.session, acting_user(), hazard_id=hazard_id, lead_id=lead_id, note=form.note.data,
                             now=now())
        except InvalidInput as error:
            show_invalid(form, error, beside=form.note)
        else:
            db.session.commit()
            flash("已上报镇（街道），等待移交。", "success")
            return redirect(url_for("referrals.report"))
    chosen = _chosen_item(hazard_id, lead_id)
    return render_template("referrals/report.html", form=form, chosen=chosen,
                           leads=report_up.reportable_leads(db.session, acting_user()),
                           hazards=report_up.reportable_hazards(db.session, acting_user())), form_status()


def _chosen_item(hazard_id: int | None, lead_id: int | None) -> Hazard | HazardLead | None:
    item = db.session.get(Hazard, hazard_id) if hazard_id else None
    item = item or (db.session.get(HazardLead, lead_id) if lead_id else None)
    if item is not None:
        grid.ensure_in_scope(acting_user(), item.inspection.grid if isinstance(item, Hazard) else item.grid)
    return item


@bp.route("/accounts", methods=["GET", "POST"])
@roles_required("admin")
def accounts():
    """接收部门账号: which department each 接收部门 login answers for."""
    town, towns = chosen_town()
    form = ReceiverAccountForm()
    form.receiver_id.choices = [(r.id, r.name) for r in receivers(db.session, town).values()]
    form.user_id.choices = [(u.id, u.choice_label) for u in receiver_accounts.candidates(db.session, town)]
    done = saved(form, lambda: receiver_accounts.link(
        db.session, town, receiver_id=form.receiver_id.data, user_id=form.user_id.data, admin=acting_user(),
        now=now()), "接收部门账号已保存。", url_for("referrals.accounts", town=town.id))
    if done:
        return done
    db.session.commit()
    return render_template("referrals/accounts.html", form=form, town=town, towns=towns,
                           rows=receiver_accounts.accounts(db.session, town)), form_status()
