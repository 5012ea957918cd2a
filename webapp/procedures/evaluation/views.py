"""Year-end evaluation pages: evaluations and results, drill-down, scheme editor, and the two registers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.extensions import db
from webapp.forms.task_data import form_to_data
from webapp.models import CommitteeMember, ProcessInstance
from webapp.procedures.evaluation import registers, results, scoring
from webapp.procedures.evaluation import scheme as evaluation_scheme
from webapp.procedures.evaluation.forms import FireForm, PublicityForm, SchemeItemForm
from webapp.procedures.evaluation.metrics import measure
from webapp.procedures.evaluation.models import Evaluation, ItemScore
from webapp.services import grid
from webapp.services.errors import InvalidInput, NotFound
from webapp.web.common import acting_user, form_status, now, record_action, roles_required, year_arg
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import show_invalid
from webapp.web.posted_files import store_posted
from webapp.web.responses import xlsx_download

bp = Blueprint("evaluation", __name__, url_prefix="/evaluation")
VIEW_ROLES = ("clerk", "office_head", "leader", "admin")
REGISTER_ROLES = ("clerk", "inspector", "office_head", "leader")
# Menu entries of these pages (the web layer reads them when it registers the blueprint).
NAV = (
    NavItem("evaluation.index", "年终考评", VIEW_ROLES),
    NavItem("evaluation.publicity", "宣传培训·火灾登记", REGISTER_ROLES),
)


@bp.app_context_processor
def evaluation_helpers() -> dict:
    def evaluation_case(instance: ProcessInstance) -> dict:
        evaluation = db.session.scalar(select(Evaluation).where(Evaluation.instance_id == instance.id))
        if evaluation is None:
            return {"evaluation": None, "rows": []}
        return {"evaluation": evaluation, "rows": results.results_table(evaluation),
                "may_open": current_user.has_role(*VIEW_ROLES)}

    return {"evaluation_case": evaluation_case}


def _evaluation(evaluation_id: int) -> Evaluation:
    evaluation = scoring.get_evaluation(db.session, evaluation_id)
    grid.ensure_in_scope(acting_user(), evaluation.town)
    return evaluation


@bp.get("/")
@roles_required(*VIEW_ROLES)
def index():
    user = acting_user()
    evaluations = [e for e in db.session.scalars(select(Evaluation).order_by(Evaluation.year.desc()))
                   if user.scope.contains(e.town)]
    return render_template("evaluation/index.html", evaluations=evaluations,
                           can_register=user.has_role(*REGISTER_ROLES))


@bp.get("/<int:evaluation_id>")
@roles_required(*VIEW_ROLES)
def detail(evaluation_id: int):
    evaluation = _evaluation(evaluation_id)
    rows = results.results_table(evaluation)
    notice = db.session.get(ProcessInstance, evaluation.notice_instance_id) if evaluation.notice_instance_id else None
    return render_template("evaluation/detail.html", evaluation=evaluation, rows=rows, notice=notice)


@bp.get("/<int:evaluation_id>/scores/<int:score_id>")
@roles_required(*VIEW_ROLES)
def drill_down(evaluation_id: int, score_id: int):
    """The records behind one measured number, as the system counted them."""
    evaluation = _evaluation(evaluation_id)
    score = db.session.get(ItemScore, score_id)
    if score is None or score.body.evaluation_id != evaluation.id or not score.metric:
        raise NotFound("没有这个测算项目。")
    cutoff = scoring.cutoff_of(evaluation.year, evaluation.computed_at or now())
    result = measure(db.session, score.metric, scoring.target_of(score.body), evaluation.year, cutoff)
    return render_template("evaluation/drill_down.html", evaluation=evaluation, score=score, result=result,
                           cutoff=cutoff)


@bp.get("/schemes/<kind>")
@roles_required(*VIEW_ROLES)
def scheme(kind: str):
    chosen = evaluation_scheme.scheme_for(db.session, kind)
    form = SchemeItemForm()
    form.setup(evaluation_scheme.METRICS)
    return render_template("evaluation/scheme.html", scheme=chosen, form=form, item=None,
                           schemes=evaluation_scheme.schemes(db.session),
                           metrics=evaluation_scheme.METRICS, can_edit=acting_user().has_role("admin"))


@bp.route("/schemes/<kind>/items/new", methods=["POST"], defaults={"item_id": None})
@bp.route("/schemes/<kind>/items/<int:item_id>", methods=["GET", "POST"])
@roles_required("admin")
def scheme_item(kind: str, item_id: int | None):
    chosen = evaluation_scheme.scheme_for(db.session, kind)
    item = evaluation_scheme.get_item(db.session, chosen, item_id) if item_id else None
    form = SchemeItemForm(obj=item) if request.method == "GET" else SchemeItemForm()
    form.setup(evaluation_scheme.METRICS)
    if request.method == "POST" and form.validate_on_submit():
        try:
            evaluation_scheme.save_item(db.session, chosen, form.values(), item)
            record_action(action="scheme_change", object_type="evaluation_scheme", object_id=chosen.id,
                          summary=f"{'修改' if item else '新增'}考评项目：{form.content.data or ''}"[:200])
            db.session.commit()
            flash("考评项目已保存。", "success")
            return redirect(url_for("evaluation.scheme", kind=kind))
        except InvalidInput as error:
            show_invalid(form, error)
            chosen = evaluation_scheme.scheme_for(db.session, kind)
    return render_template("evaluation/scheme.html", scheme=chosen, form=form, item=item, can_edit=True,
                           schemes=evaluation_scheme.schemes(db.session),
                           metrics=evaluation_scheme.METRICS), form_status()


@bp.post("/schemes/<kind>/items/<int:item_id>/delete")
@roles_required("admin")
def delete_scheme_item(kind: str, item_id: int):
    chosen = evaluation_scheme.scheme_for(db.session, kind)
    evaluation_scheme.delete_item(db.session, evaluation_scheme.get_item(db.session, chosen, item_id))
    record_action(action="scheme_change", object_type="evaluation_scheme", object_id=chosen.id,
                  summary=f"删除考评项目 {item_id}")
    db.session.commit()
    flash("考评项目已删除。", "success")
    return redirect(url_for("evaluation.scheme", kind=kind))


def _year() -> int:
    return year_arg()


def _grid_choices() -> list[tuple[int, str]]:
    nodes = grid.nodes_in_scope(db.session, acting_user())
    return [(n.id, n.display_path()) for n in nodes if n.level in ("town", "village", "area")]


def _town_ids() -> list[int]:
    """The towns whose committee members a register entry may name: the user's own, or those in scope."""
    user = acting_user()
    return [t.id for t in grid.towns(db.session) if user.scope.contains(t) or t.contains(user.scope)]


def _publicity_form() -> PublicityForm:
    form = PublicityForm()
    form.grid_id.choices = _grid_choices()
    members = db.session.scalars(select(CommitteeMember).where(CommitteeMember.town_id.in_(_town_ids()))
                                 .order_by(CommitteeMember.town_id, CommitteeMember.sort_order))
    form.member_id.choices = [(0, "（无）"), *[(m.id, m.organ) for m in members]]
    return form


def _register_page(form, add: Callable[[], date], saved: str, endpoint: str,
                   rows: Callable[[int], list], template: str, rows_name: str):
    """One register page: record an entry (``add`` returns its date), then list the year's entries."""
    year = _year()
    if form.validate_on_submit():
        try:
            on = add()
            db.session.commit()
            flash(saved, "success")
            return redirect(url_for(endpoint, year=on.year))
        except InvalidInput as error:
            show_invalid(form, error)
    return render_template(template, form=form, year=year, **{rows_name: rows(year)}), form_status()


@bp.route("/publicity", methods=["GET", "POST"])
@roles_required(*REGISTER_ROLES)
def publicity():
    form = _publicity_form()

    def add() -> date:
        data = form_to_data(form, store_posted)
        registers.add_publicity(
            db.session, user=acting_user(), grid_id=form.grid_id.data, held_on=form.held_on.data,
            kind=form.kind.data, five_into=form.five_into.data, title=form.title.data or "",
            audience=form.audience.data or "", attendance=form.attendance.data or 0, photos=data["photos"],
            member_id=form.member_id.data or None, now=now())
        return form.held_on.data

    return _register_page(form, add, "宣传培训记录已登记。", "evaluation.publicity", _publicity_rows,
                          "evaluation/publicity.html", "events")


def _publicity_rows(year: int) -> list:
    return registers.publicity_in_scope(db.session, acting_user(), year)


def _fire_rows(year: int) -> list:
    return registers.fires_in_scope(db.session, acting_user(), year)


@bp.get("/publicity.xlsx")
@roles_required(*REGISTER_ROLES)
def publicity_xlsx():
    year = _year()
    return xlsx_download(registers.publicity_xlsx(year, _publicity_rows(year)), f"{year}年宣传培训台账.xlsx")


@bp.route("/fires", methods=["GET", "POST"])
@roles_required(*REGISTER_ROLES)
def fires():
    form = FireForm()
    form.grid_id.choices = _grid_choices()

    def add() -> date:
        registers.add_fire(db.session, user=acting_user(), grid_id=form.grid_id.data,
                           occurred_on=form.occurred_on.data, place=form.place.data or "",
                           cause=form.cause.data or "", deaths=form.deaths.data or 0,
                           injuries=form.injuries.data or 0, loss=form.loss.data or 0.0, now=now())
        return form.occurred_on.data

    return _register_page(form, add, "火灾事故已登记。", "evaluation.fires", _fire_rows,
                          "evaluation/fires.html", "fires")


@bp.get("/fires.xlsx")
@roles_required(*REGISTER_ROLES)
def fires_xlsx():
    year = _year()
    return xlsx_download(registers.fires_xlsx(year, _fire_rows(year)), f"{year}年火灾事故登记.xlsx")

