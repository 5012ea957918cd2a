"""Inspection pages: leader dashboard, drill-down, hazard ledger export, monthly plans, checklist admin."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from webapp.extensions import db
from webapp.procedures.inspection import plans as inspection_plans
from webapp.procedures.inspection import reports, setup
from webapp.procedures.inspection.forms_admin import ChecklistItemForm, PlanForm, ReceiverForm
from webapp.procedures.inspection.models import Hazard, Inspection
from webapp.services import grid
from webapp.services.errors import InvalidInput
from webapp.services.uploads import print_copy
from webapp.web.common import acting_user, chosen_row, chosen_town, form_status, now, roles_required, year_arg
from webapp.web.converters import db_int
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import saved, show_invalid
from webapp.web.responses import stored_file_response, xlsx_download

bp = Blueprint("inspection", __name__, url_prefix="/inspection")
# Menu entries of these pages (the web layer reads them when it registers the blueprint).
NAV = (
    NavItem("inspection.dashboard", "检查整改", ("leader", "clerk", "inspector", "admin")),
    NavItem("inspection.plans", "检查计划", ("clerk", "inspector", "leader")),
)
# Sections this procedure adds to a unit's page (一户一档).
UNIT_SECTIONS = ("inspection/unit_section.html",)


@bp.app_context_processor
def inspection_helpers() -> dict:
    def inspection_of(instance):
        return db.session.query(Inspection).filter_by(instance_id=instance.id).one_or_none()

    return {"inspection_of": inspection_of,
            "inspection_history": lambda unit: reports.unit_history(db.session, unit)}


@bp.get("/")
@roles_required("leader", "clerk", "inspector", "admin")
def dashboard():
    rows = reports.dashboard(db.session, acting_user(), now())
    return render_template("inspection/dashboard.html", rows=rows, metrics=reports.METRICS, now=now())


@bp.get("/cases")
@roles_required("leader", "clerk", "inspector", "admin")
def cases():
    node = grid.get_node(db.session, request.args.get("grid_id", type=db_int) or 0)
    grid.ensure_in_scope(acting_user(), node)
    metric = request.args.get("metric", "open")
    if metric not in reports.METRICS:
        metric = "open"
    found = reports.drill_down(db.session, node, metric, now())
    return render_template("inspection/cases.html", node=node, metric=metric, inspections=found,
                           label=reports.METRICS[metric])


@bp.get("/ledger.xlsx")
@roles_required("leader", "clerk", "admin", "archivist")
def ledger():
    year = year_arg()
    content = reports.ledger_xlsx(db.session, acting_user(), year)
    return xlsx_download(content, f"{year}年火灾隐患台账.xlsx")


@bp.get("/hazards/<int:hazard_id>/photos/<sha256>")
@roles_required("leader", "clerk", "inspector", "admin", "archivist")
def hazard_photo(hazard_id: int, sha256: str):
    """A hazard's photo or its watermarked print copy (水印件), scoped by the inspection's grid."""
    hazard = db.get_or_404(Hazard, hazard_id)
    grid.ensure_in_scope(acting_user(), hazard.inspection.grid)
    names = dict(pair for p in hazard.photos for pair in ((p["file"], p.get("name") or "照片"), print_copy(p)[:2]))
    if sha256 not in names:
        abort(404)
    return stored_file_response(sha256, names[sha256])


@bp.route("/plans", methods=["GET", "POST"])
@roles_required("clerk", "inspector", "leader")
def plans():
    form = PlanForm()
    form.setup(db.session, acting_user())
    if acting_user().has_role("clerk") and form.validate_on_submit():
        try:
            plan = inspection_plans.create_plan(
                db.session, user=acting_user(), grid=grid.get_node(db.session, form.grid_id.data),
                day=form.day.data, groups=form.groups(), now=now())
            db.session.commit()
            flash("检查计划已建立。", "success")
            return redirect(url_for("inspection.plan", plan_id=plan.id))
        except InvalidInput as error:
            show_invalid(form, error)
    return render_template("inspection/plans.html", form=form,
                           plans=inspection_plans.plans_in_scope(db.session, acting_user())), form_status()


@bp.route("/plans/<int:plan_id>", methods=["GET", "POST"])
@roles_required("clerk", "inspector", "leader")
def plan(plan_id: int):
    found = inspection_plans.get_plan(db.session, acting_user(), plan_id)
    if request.method == "POST" and acting_user().has_role("clerk"):
        group_id = request.form.get("group_id", type=db_int) or None
        inspection_plans.assign(db.session, found, unit_id=request.form.get("unit_id", type=db_int) or 0,
                                group_id=group_id)
        db.session.commit()
        flash("已调整。", "success")
        return redirect(url_for("inspection.plan", plan_id=plan_id))
    rows = inspection_plans.coverage(db.session, found)
    return render_template("inspection/plan.html", plan=found, rows=rows,
                           groups=inspection_plans.group_names(db.session, found))


@bp.route("/checklist", methods=["GET", "POST"])
@roles_required("admin")
def checklist():
    """检查项目: each town's admin keeps the town's own checklist."""
    town, towns = chosen_town()
    item = setup.item_of_town(db.session, town, request.args.get("item_id", type=db_int) or 0)
    form = ChecklistItemForm(obj=item)
    if form.validate_on_submit():
        try:
            setup.save_item(
                db.session, town, item_id=item.id if item else None, name=form.name.data,
                legal_basis=form.legal_basis.data or "", categories=form.categories.data or [],
                sort_order=form.sort_order.data or 0, is_active=form.is_active.data)
            db.session.commit()
            flash("检查项目已保存。", "success")
            return redirect(url_for("inspection.checklist", town=town.id))
        except InvalidInput as error:
            show_invalid(form, error)
    items = setup.all_items(db.session, town)
    db.session.commit()  # the town's default checklist, if this is its first use
    return render_template("inspection/checklist.html", form=form, item=item, town=town, towns=towns,
                           items=items), form_status()



@bp.route("/receivers", methods=["GET", "POST"])
@roles_required("admin")
def receivers():
    """移交接收部门: where the town refers hazards it cannot get fixed, and how long their feedback may take."""
    town, towns = chosen_town()
    rows = setup.receivers(db.session, town)
    chosen = chosen_row(list(rows.values()), "receiver_id")
    form = ReceiverForm(obj=chosen)
    done = saved(form, lambda: setup.save_receiver(
        db.session, town, receiver_id=chosen.id if chosen else None, name=form.name.data,
        contact_person=form.contact_person.data or "", phone=form.phone.data or "",
        feedback_days=form.feedback_days.data), "移交接收部门已保存。", url_for("inspection.receivers", town=town.id))
    if done:
        return done
    db.session.commit()  # the two defaults a town always has, if this is their first use
    return render_template("inspection/receivers.html", form=form, chosen=chosen, town=town, towns=towns,
                           rows=list(rows.values()), label=setup.receiver_label), form_status()
