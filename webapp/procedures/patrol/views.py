"""Patrol pages: record a patrol of a unit (phone-first), and the month's patrols (mine or the grid's)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for

from webapp.extensions import db
from webapp.forms.task_data import form_to_data
from webapp.procedures.patrol import patrols
from webapp.procedures.patrol.forms import HAZARD_SLOTS, PatrolForm
from webapp.procedures.patrol.models import Patrol
from webapp.services import units
from webapp.services.errors import InvalidInput
from webapp.web.common import acting_user, form_status, now, roles_required
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import show_invalid
from webapp.web.posted_files import store_posted
from webapp.web.responses import runtime

bp = Blueprint("patrol", __name__, url_prefix="/patrol")
LIST_ROLES = ("inspector", "clerk", "leader", "admin")
# In the menu of those who patrol or lead; a clerk reaches the page from the unit pages and the ledger.
NAV = (NavItem("patrol.index", "巡查", ("inspector", "leader"), order=45),)
# Only a grid worker patrols: the button is not shown to a read-only account that merely reads as one.
UNIT_ACTIONS = (NavItem("patrol.new", "开始巡查", ("inspector",), order=10,
                        visible=lambda user: user.has_role("inspector")),)
UNIT_SECTIONS = ("patrol/unit_section.html",)


@bp.app_context_processor
def patrol_helpers() -> dict:
    def unit_patrols(unit):  # noqa: ANN001, ANN202
        found = patrols.unit_patrols(db.session, unit, limit=10)
        return found, patrols.lead_states(db.session, found)

    def patrol_of(instance):  # noqa: ANN001, ANN202
        found = db.session.query(Patrol).filter_by(instance_id=instance.id).one_or_none()
        return found, patrols.lead_states(db.session, [found] if found else [])

    return {"unit_patrols": unit_patrols, "patrol_of": patrol_of, "patrol_hazard_state": patrols.hazard_state}


def _padded(form: PatrolForm) -> None:
    """After a failed submit, show every hazard slot again (WTForms keeps only the posted ones)."""
    while len(form.hazards.entries) < HAZARD_SLOTS:
        form.hazards.append_entry()


@bp.route("/new", methods=["GET", "POST"])
@roles_required("inspector")
def new():
    """开始巡查: from the unit page or its QR code (?unit_id=), or a unit picked from the worker's scope."""
    form = PatrolForm()
    form.setup(db.session, acting_user(), None)
    unit = None
    if request.args.get("unit_id") and form.unit_id.data:
        unit = units.get_unit(db.session, acting_user(), form.unit_id.data)  # out of scope: 403, logged
    if form.validate_on_submit():
        try:
            unit = units.get_unit(db.session, acting_user(), form.unit_id.data)
            patrol = patrols.start_patrol(db.session, runtime(), user=acting_user(), unit=unit,
                                          data=form_to_data(form, store_posted), now=now())
            db.session.commit()
            leads = sum(1 for h in patrol.hazards if not h.fixed_on_spot)
            flash(f"巡查已记录：{unit.name}，" + (f"{leads}项隐患已作为线索转检查核实。" if leads else
                                                ("未发现问题。" if patrol.no_problem else "隐患已当场整改。")),
                  "success")
            return redirect(url_for("units.detail", unit_id=unit.id))
        except InvalidInput as error:
            show_invalid(form, error)
    _padded(form)
    return render_template("patrol/new.html", form=form, unit=unit), form_status()


@bp.get("/")
@roles_required(*LIST_ROLES)
def index():
    """The month's patrols: a grid worker's own by default, or everyone's in the user's scope."""
    user = acting_user()
    month = request.args.get("month") or now().strftime("%Y-%m")
    mine = user.has_role("inspector") and request.args.get("all") != "1"
    try:
        found = patrols.patrols_in_scope(db.session, user, month, mine=mine)
    except InvalidInput:
        month = now().strftime("%Y-%m")
        found = patrols.patrols_in_scope(db.session, user, month, mine=mine)
    return render_template("patrol/index.html", patrols=found, states=patrols.lead_states(db.session, found),
                           month=month, mine=mine, months=_months(month), can_patrol=user.has_role("inspector"))


def _months(month: str) -> tuple[str, str]:
    """The month before and after `month`, for the page's 上月 / 下月 links."""
    start, end = patrols.month_bounds(month)
    before = (start - timedelta(days=1)).strftime("%Y-%m")
    return before, end.strftime("%Y-%m")
