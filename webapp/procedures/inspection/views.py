"""Inspection pages: leader dashboard, drill-down, hazard ledger export, monthly plans, checklist admin."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from webapp.cases import photos as case_photos
from webapp.extensions import db
from webapp.models.grid import UNIT_CATEGORIES
from webapp.procedures.inspection import checklist_sheet, records, reports, setup
from webapp.procedures.inspection import plans as inspection_plans
from webapp.procedures.inspection.forms_admin import ChecklistImportForm, ChecklistItemForm, PlanForm, ReceiverForm
from webapp.procedures.inspection.models import Hazard, Interview, RectificationPlan
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
        return records.inspection_or_none(db.session, instance)

    def of_inspection(model):  # noqa: ANN001, ANN202 - a table with an inspection_id
        # 整改计划 and 约谈 name hazards and follow a 整改通知书: a record without hazards has neither (most
        # case pages then send no query for them)
        return lambda inspection: db.session.query(model).filter_by(inspection_id=inspection.id).order_by(
            model.id).all() if inspection.hazards else []

    return {"inspection_of": inspection_of, "inspection_plans": of_inspection(RectificationPlan),
            "inspection_interviews": of_inspection(Interview),
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
    names = dict(pair for p in case_photos.resolve(db.session, hazard.photos)
                 for pair in ((p["file"], p.get("name") or "照片"), print_copy(p)[:2]))
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


def _place_type() -> str | None:
    """The place type (单位类别) a checklist page shows: ?category=, None for every item."""
    wanted = request.values.get("category") or None
    return wanted if wanted in UNIT_CATEGORIES else None


@bp.route("/checklist", methods=["GET", "POST"])
@roles_required("admin")
def checklist():
    """检查项目: each town's admin keeps the town's own checklist, shown per place type in inspection order."""
    town, towns = chosen_town()
    category = _place_type()
    item = setup.item_of_town(db.session, town, request.args.get("item_id", type=db_int) or 0)
    form = ChecklistItemForm(obj=item)
    if item is None and category and request.method == "GET":
        form.categories.data = [category]  # a new item on a place type's page applies to that type
    done = saved(form, lambda: setup.save_item(
        db.session, town, item_id=item.id if item else None, name=form.name.data,
        legal_basis=form.legal_basis.data or "", categories=form.categories.data or [],
        sort_order=form.sort_order.data or 0, is_active=form.is_active.data, guidance=form.guidance.data or ""),
        "检查项目已保存。", url_for("inspection.checklist", town=town.id, category=category))
    if done:
        return done
    items = setup.items_for_type(db.session, town, category)
    db.session.commit()  # the town's default checklist, if this is its first use
    return render_template("inspection/checklist.html", form=form, item=item, town=town, towns=towns,
                           items=items, category=category, import_form=ChecklistImportForm()), form_status()


@bp.post("/checklist/<int:item_id>/move")
@roles_required("admin")
def checklist_move(item_id: int):
    """上移 / 下移 within the list shown (one place type's, or all)."""
    town, _ = chosen_town()
    category = _place_type()
    setup.move_item(db.session, town, item_id, up=request.form.get("direction") == "up", category=category)
    db.session.commit()
    return redirect(url_for("inspection.checklist", town=town.id, category=category))


@bp.post("/checklist/<int:item_id>/active")
@roles_required("admin")
def checklist_active(item_id: int):
    town, _ = chosen_town()
    found = setup.set_active(db.session, town, item_id, request.form.get("active") == "1")
    db.session.commit()
    flash(f"检查项目“{found.name}”已{'启用' if found.is_active else '停用'}。", "success")
    return redirect(url_for("inspection.checklist", town=town.id, category=_place_type()))


@bp.get("/checklist.xlsx")
@roles_required("admin")
def checklist_export():
    town, _ = chosen_town()
    content = checklist_sheet.export_xlsx(db.session, town)
    db.session.commit()  # the town's default checklist, if this is its first use
    return xlsx_download(content, f"{town.name}检查项目.xlsx")


@bp.route("/checklist/import", methods=["GET", "POST"])
@roles_required("admin")
def checklist_import():
    """Upload the edited sheet: every row checked first; one refused row and nothing is imported."""
    town, towns = chosen_town()
    import_form = ChecklistImportForm()
    if import_form.validate_on_submit():
        try:
            result = checklist_sheet.import_xlsx(db.session, town, import_form.file.data.stream)
        except InvalidInput as error:
            show_invalid(import_form, error, beside=import_form.file)
        else:
            db.session.commit()
            flash(f"检查项目已导入：新增{len(result.added)}项，修改{len(result.updated)}项，"
                  f"未变{result.unchanged}项。", "success")
            return redirect(url_for("inspection.checklist", town=town.id))
    items = setup.all_items(db.session, town)
    return render_template("inspection/checklist.html", form=ChecklistItemForm(formdata=None), item=None,
                           town=town, towns=towns, items=items, category=None,
                           import_form=import_form), form_status()


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
