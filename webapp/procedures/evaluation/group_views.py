"""考评组评分 page by page: the holder of the group_score task scores one evaluated body per submit."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required

from webapp.cases import actions as cases
from webapp.extensions import db
from webapp.models import WorkTask
from webapp.procedures.evaluation import group, scoring
from webapp.procedures.evaluation.forms import GroupBodyForm
from webapp.procedures.evaluation.models import EvaluatedBody, Evaluation
from webapp.services.errors import InvalidInput, NotFound
from webapp.web.common import acting_user, form_status, now
from webapp.web.form_errors import show_invalid

bp = Blueprint("evaluation_group", __name__, url_prefix="/evaluation")


def _group_task(task_id: int) -> tuple[WorkTask, Evaluation]:
    task = cases.task_for_user(db.session, acting_user(), task_id)
    if task.instance.procedure != "evaluation" or task.step_key != "group_score":
        raise NotFound("该待办不是考评组评分。")
    return task, scoring.evaluation_of(db.session, task.instance)


def _body(evaluation: Evaluation, body_id: int) -> EvaluatedBody:
    body = next((b for b in evaluation.bodies if b.id == body_id), None)
    if body is None:
        raise NotFound("被考评单位不存在。")
    return body


def _after_saving(task: WorkTask, evaluation: Evaluation) -> str:
    """On to the next body still to score; when none is left, back to the step to submit it."""
    missing = group.unscored(evaluation)
    if missing:
        return url_for("evaluation_group.body", task_id=task.id, body_id=missing[0].id)
    flash("各单位均已评分，请核对后提交。", "success")
    return url_for("tasks.task", task_id=task.id)


@bp.route("/tasks/<int:task_id>/bodies/<int:body_id>", methods=["GET", "POST"])
@login_required
def body(task_id: int, body_id: int):
    task, evaluation = _group_task(task_id)
    scored = _body(evaluation, body_id)
    form = GroupBodyForm()
    form.setup(scored)
    if form.validate_on_submit():
        try:
            group.score_body(db.session, body=scored, entries=form.entries.data, now=now())
            db.session.commit()
            flash(f"{scored.name}的评分已保存。", "success")
            return redirect(_after_saving(task, evaluation))
        except InvalidInput as error:
            show_invalid(form, error)
    return render_template("evaluation/group_body.html", task=task, evaluation=evaluation, body=scored, form=form,
                           rule=group.REASON_RULE), form_status()
