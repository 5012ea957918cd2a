"""Inbox (待办), done list (已办), and the step form of a task."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy.orm import joinedload

from webapp.cases import actions as cases
from webapp.cases import done_list, drafts, duties, inbox, opinions
from webapp.extensions import db
from webapp.forms.done_search import DoneSearchForm
from webapp.forms.registry import form_class
from webapp.forms.task_data import data_for_form, form_to_data
from webapp.models import ProcessInstance, User, WorkTask
from webapp.services import documents
from webapp.services.errors import InvalidInput, NotFound, OutOfScope, TaskConflict
from webapp.services.grid import town_of
from webapp.web import form_drafts
from webapp.web.badges import todo_count
from webapp.web.common import acting_user, now, page_arg, roles_required
from webapp.web.converters import db_int
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import show_invalid
from webapp.web.posted_files import store_posted
from webapp.web.responses import runtime

bp = Blueprint("tasks", __name__)


# Menu entries of these pages (the web layer reads them when it registers the blueprint).
NAV = (
    NavItem("tasks.inbox", "待办", order=10, badge=todo_count),
    NavItem("tasks.done", "已办", order=11),
)


@bp.get("/tasks/", endpoint="inbox")
@login_required
def inbox_page():
    page, user = page_arg(), acting_user()
    due = request.args.get("due", "") if request.args.get("due") in inbox.DUE_FILTERS else ""
    window = inbox.DueWindow.starting(now(), runtime().calendar(db.session))
    tasks = inbox.inbox(db.session, user, offset=(page - 1) * inbox.INBOX_PAGE, due=due, window=window)
    total = inbox.inbox_count(db.session, user, due, window) if due else todo_count(user)
    return render_template("tasks/inbox.html", tasks=tasks, total=total, page=page, due=due,
                           refused=duties.refusals(db.session, user, tasks),
                           arrivals=inbox.arrivals(db.session, tasks), page_size=inbox.INBOX_PAGE, now=now())


@bp.get("/tasks/done")
@login_required
def done():
    form, page = DoneSearchForm(request.args), page_arg()
    form.validate()
    events, total = done_list.done_page(db.session, acting_user(), form.search(), page)
    return render_template("tasks/done.html", form=form, events=events, total=total, page=page,
                           page_size=done_list.DONE_PAGE)


def _form_for(task, data: dict | None = None, draft=None):
    cls = form_class(task_form_key(task))
    if cls is None:
        raise NotFound("该步骤没有可用的表单。")
    if draft is not None:
        form = form_drafts.restored(cls, draft)
    elif data is not None:
        form = cls(data=data)
    else:
        form = cls()
    if hasattr(form, "setup"):
        form.setup(db.session, acting_user(), task.instance)
    return form


def task_form_key(task) -> str:
    return runtime().specs.steps(task.instance.procedure)[task.step_key].form_key or ""


def _task_page(task, form, status: int = 200, **extra):
    user, instance = acting_user(), task.instance
    # A user below the case's grid (a village clerk's 自评 in a town case) sees only their own part.
    whole_case = user.scope.contains(instance.grid)
    history = inbox.case_history(db.session, instance)
    return render_template(
        "tasks/task.html", task=task, instance=instance, form=form, now=now(),
        # The latest action on the case was a 退回 of this step: its reason goes above the form.
        returned=history[-1] if history and history[-1].action == "send_back" else None,
        history=history if whole_case else [e for e in history if e.user_id == user.id],
        documents=documents.case_documents(db.session, instance) if whole_case else [],
        reassign_candidates=cases.reassign_candidates(db.session, task, user) if user.has_role("leader") else [],
        draftable=form_drafts.draftable(form),
        opinion_phrases=opinions.phrases_for(db.session, user, town_of(instance.grid)) if "opinion" in form else [],
        **extra,
    ), status


@bp.get("/tasks/<int:task_id>")
@login_required
def task(task_id: int):
    # Read once with its case and grid (the page shows both), and the case's saved state (its open task's data);
    # held here, so the check below finds it in the session instead of reading it again.
    case = joinedload(WorkTask.instance)
    found = db.session.get(WorkTask, task_id, options=[case.joinedload(ProcessInstance.grid),
                                                       case.undefer(ProcessInstance.state_json)])
    if found is None:  # finished: e.g. Back after submitting
        return _finished_page(task_id)
    user = acting_user()
    work_task = cases.task_for_user(db.session, user, task_id)
    draft = drafts.draft_at(db.session, user, drafts.task_place(work_task))
    if draft is not None:
        return _task_page(work_task, _form_for(work_task, draft=draft))
    cls = form_class(task_form_key(work_task))
    data = cases.task_data(db.session, runtime(), work_task)
    return _task_page(work_task, _form_for(work_task, data_for_form(cls, data) if cls else {}))


def _finished_page(task_id: int):
    """Not a refusal: nothing is audited; the case link only for users whose scope holds the case."""
    user = acting_user()
    event = inbox.finished_step(db.session, user, task_id)
    case_visible = event is not None and user.scope.contains(event.instance.grid)
    return render_template("tasks/finished.html", event=event, case_visible=case_visible)


@bp.post("/tasks/<int:task_id>")
@login_required
def submit(task_id: int):
    user = acting_user()
    work_task = cases.task_for_user(db.session, user, task_id)
    form = _form_for(work_task)
    _picked_opinion(form)
    version = request.form.get("version", type=db_int)
    decision = getattr(form, "decision", None)
    if decision is not None and decision.data == "send_back":
        return _send_back(work_task, form, version)
    if not form.validate_on_submit():
        return _task_page(work_task, form, 400)
    try:
        data = form_to_data(form, store_posted)
        instance = cases.submit_task(
            db.session, runtime(), user=user, work_task_id=task_id, data=data, now=now(), version=version,
            opinion=(form.opinion.data or "") if hasattr(form, "opinion") else "",
        )
    except InvalidInput as error:
        show_invalid(form, error)
        return _task_page(cases.task_for_user(db.session, user, task_id), form, 400)
    except TaskConflict as error:
        return _conflict_page(user, task_id, form, error)
    _remember_opinion(form, user)
    db.session.commit()
    flash(f"“{work_task.title}”已提交。", "success")
    if not user.scope.contains(instance.grid):  # e.g. a village clerk's 自评 in a town case
        return redirect(url_for("tasks.inbox"))
    return redirect(url_for("cases.detail", instance_id=instance.id))


def _conflict_page(user: User, task_id: int, form, error: TaskConflict):  # noqa: ANN001, ANN202
    """Another step of the case was done meanwhile (a parallel 会签): this form again, as posted, with why and the
    case's new version, to send once more; the error page when the task itself is gone (done by someone else)."""
    db.session.rollback()
    try:
        work_task = cases.task_for_user(db.session, user, task_id)
    except (TaskConflict, OutOfScope):
        raise error from None
    show_invalid(form, InvalidInput(cases.CASE_CHANGED))  # still this user's: the case changed, not the task
    return _task_page(work_task, form, 409)


def _picked_opinion(form) -> None:
    """Without JavaScript a 常用意见 is picked from a list: it becomes the opinion when none was typed."""
    picked = (request.form.get("opinion_phrase") or "").strip()
    if picked and "opinion" in form and not (form.opinion.data or "").strip():
        form.opinion.data = picked


def _remember_opinion(form, user) -> None:
    if "save_opinion" in form and form.save_opinion.data and (form.opinion.data or "").strip():
        opinions.remember_personal(db.session, user, form.opinion.data)


def _send_back(work_task, form, version):
    if not form.opinion.validate(form) or not (form.opinion.data or "").strip():
        form.opinion.errors = ["退回时必须填写退回理由。"]
        return _task_page(work_task, form, 400)
    instance = cases.send_back(db.session, runtime(), user=acting_user(), work_task_id=work_task.id,
                               reason=form.opinion.data, now=now(), version=version)
    _remember_opinion(form, acting_user())
    db.session.commit()
    flash("已退回上一步。", "success")
    return redirect(url_for("cases.detail", instance_id=instance.id))


@bp.post("/tasks/<int:task_id>/draft")
@login_required
def save_draft(task_id: int):
    """暂存: keep what the user typed, unchecked; the case, its numbers and documents stay as they are."""
    work_task = cases.task_for_user(db.session, acting_user(), task_id)
    form_drafts.save_posted(drafts.task_place(work_task), task=work_task)
    return redirect(url_for("tasks.task", task_id=task_id))


@bp.post("/tasks/<int:task_id>/assign")
@roles_required("leader")
def assign(task_id: int):
    assignee = db.session.get(User, request.form.get("assignee_id", type=db_int) or 0)
    if assignee is None:
        flash("请选择转办对象。", "danger")
        return redirect(url_for("tasks.task", task_id=task_id))
    cases.reassign(db.session, user=acting_user(), work_task_id=task_id, assignee=assignee, now=now())
    db.session.commit()
    flash(f"已转办给{assignee.display_name}。", "success")
    return redirect(url_for("tasks.inbox"))
