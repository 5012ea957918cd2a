"""Starting a case, the process page (diagram + timeline), withdrawal, and case files."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from markupsafe import Markup
from sqlalchemy.orm import joinedload, undefer
from sqlalchemy.orm.interfaces import ORMOption

from webapp.cases import actions as cases
from webapp.cases import drafts, duties, follow_ups, inbox, leads, reminders
from webapp.engine.diagram import render_process_svg
from webapp.extensions import db
from webapp.forms.registry import form_class
from webapp.forms.task_data import form_to_data
from webapp.models import GridNode, ProcessInstance, Unit, User
from webapp.models.users import ROLES
from webapp.services import documents, grid
from webapp.services.errors import InvalidInput, NotFound
from webapp.web import form_drafts
from webapp.web.common import acting_user, form_status, now
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import show_invalid
from webapp.web.posted_files import store_posted
from webapp.web.responses import runtime, stored_file_response

bp = Blueprint("cases", __name__)
# Menu entries of these pages (the web layer reads them when it registers the blueprint).
NAV = (
    NavItem("cases.start_list", "发起", order=20, visible=lambda user: bool(cases.startable_procedures(user))),
)


@bp.get("/procedures/")
@login_required
def start_list():
    return render_template("cases/start_list.html", procedures=cases.startable_procedures(acting_user()))


def _subject(form) -> tuple[GridNode, Unit | None]:
    """Start forms name their subject with a `unit_id` or a `grid_id` field."""
    user = acting_user()
    if getattr(form, "unit_id", None) is not None and form.unit_id.data:
        unit = db.session.get(Unit, form.unit_id.data)
        if unit is None:
            raise NotFound("单位不存在。")
        grid.ensure_in_scope(user, unit.grid)
        return unit.grid, unit
    node_id = form.grid_id.data if getattr(form, "grid_id", None) is not None else user.scope_id
    node = grid.get_node(db.session, node_id)
    grid.ensure_in_scope(user, node)
    return node, None


def _start_form_class(key: str):
    procedure = cases.procedure_or_404(key)
    cls = form_class(procedure.start_form or "")
    if cls is None or not acting_user().has_role(*procedure.start_roles):
        abort(403)
    return procedure, cls


@bp.route("/procedures/<key>/start", methods=["GET", "POST"])
@login_required
def start(key: str):
    procedure, cls = _start_form_class(key)
    draft = drafts.draft_at(db.session, acting_user(), drafts.start_place(key)) if request.method == "GET" else None
    form = form_drafts.restored(cls, draft) if draft else cls()
    if hasattr(form, "setup"):
        form.setup(db.session, acting_user(), None)
    if form.validate_on_submit():
        try:
            node, unit = _subject(form)
            data = form_to_data(form, store_posted)
            instance = cases.start_case(db.session, runtime(), procedure_key=key, user=acting_user(), grid=node,
                                        unit=unit, title=procedure.case_title(data), data=data, now=now())
            drafts.drop_draft(db.session, acting_user(), drafts.start_place(key))
            db.session.commit()
            flash(f"已发起“{instance.title}”。", "success")
            return redirect(url_for("cases.detail", instance_id=instance.id))
        except InvalidInput as error:
            show_invalid(form, error)
    return render_template("cases/start.html", form=form, procedure=procedure,
                           draftable=form_drafts.draftable(form)), form_status()


@bp.post("/procedures/<key>/start/draft")
@login_required
def save_start_draft(key: str):
    """暂存 of a long start form (e.g. an inspection record typed on a phone): no case is started."""
    _start_form_class(key)
    form_drafts.save_posted(drafts.start_place(key))
    return redirect(url_for("cases.start", key=key))


def case_in_scope(instance_id: int, options: Sequence[ORMOption] = ()) -> ProcessInstance:
    return grid.get_in_scope(db.session, acting_user(), ProcessInstance, instance_id, "案件不存在。", options)


# What the case page's heading shows of the case, read with it in one statement; and its saved state (deferred
# elsewhere), which the page's progress diagram always reads (its key), instead of one more statement.
CASE_HEADING = (joinedload(ProcessInstance.grid), joinedload(ProcessInstance.unit),
                joinedload(ProcessInstance.started_by).joinedload(User.role_rows),
                undefer(ProcessInstance.state_json))


@bp.get("/cases/<int:instance_id>")
@login_required
def detail(instance_id: int):
    instance = case_in_scope(instance_id, CASE_HEADING)
    progress = runtime().progress(db.session, instance)
    svg = render_process_svg(runtime().specs.diagram(instance.procedure), instance.procedure, done=progress.done,
                             current=progress.current, taken_flows=progress.taken, titles=ROLES)
    open_tasks = instance_tasks(instance)
    return render_template(
        "cases/detail.html", instance=instance, diagram=Markup(svg),
        history=inbox.case_history(db.session, instance), documents=documents.case_documents(db.session, instance),
        open_tasks=open_tasks, refused=duties.refusals(db.session, acting_user(), open_tasks),
        waits=cases.procedure_or_404(instance.procedure).waiting_steps,
        can_withdraw=cases.withdrawable_event(
            db.session, acting_user(), instance) is not None, now=now(),
        can_remind=reminders.may_remind(acting_user(), instance),
        basis=follow_ups.basis_of(db.session, instance),
    )


def instance_tasks(instance: ProcessInstance) -> list:
    """The case's open tasks; none once it is completed (the projection mirrors the READY tasks after every step,
    and a completed workflow has none), so most case pages need not ask."""
    from sqlalchemy import select

    from webapp.models import WorkTask

    if instance.status == "completed":
        return []
    return list(db.session.scalars(select(WorkTask).where(WorkTask.instance_id == instance.id)))


@bp.post("/cases/<int:instance_id>/withdraw")
@login_required
def withdraw(instance_id: int):
    case_in_scope(instance_id)
    cases.withdraw(db.session, runtime(), user=acting_user(), instance_id=instance_id, now=now())
    db.session.commit()
    flash("已撤回，您可以修改后重新提交。", "success")
    return redirect(url_for("tasks.inbox"))


@bp.post("/cases/<int:instance_id>/tasks/<int:task_id>/remind")
@login_required
def remind(instance_id: int, task_id: int):
    """催办: a refused attempt (within the interval) is recorded too, so both outcomes commit."""
    case_in_scope(instance_id)
    if not any(t.id == task_id for t in instance_tasks(db.session.get(ProcessInstance, instance_id))):
        raise NotFound("该步骤已办理完毕，无需催办。")
    outcome = reminders.remind(db.session, user=acting_user(), work_task_id=task_id,
                               reason=request.form.get("reason", ""), now=now())
    db.session.commit()
    flash(outcome.message, "success" if outcome.sent else "danger")
    return redirect(url_for("cases.detail", instance_id=instance_id))


@bp.get("/cases/<int:instance_id>/files/<sha256>")
@login_required
def case_file(instance_id: int, sha256: str):
    """An upload (photo, scan) referenced by the case's data; scope is the case's."""
    instance = case_in_scope(instance_id)
    # its own uploads, and the photos of the leads (e.g. a patrol's) it took up as its hazards
    names = {**leads.files_taken_up_by(db.session, instance), **cases.uploaded_files(instance)}
    if sha256 not in names:
        abort(404)
    return stored_file_response(sha256, names[sha256] or instance.title)
