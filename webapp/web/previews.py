"""Read before signing: the step's document shown in the task page (page images or text), for approval
steps from the data being approved, for drafting steps from the form as filled (预览, nothing saved)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import Blueprint, current_app, render_template, request, send_file, url_for
from flask_login import login_required

from webapp.cases import actions as cases
from webapp.cases import previews
from webapp.extensions import db
from webapp.forms.registry import form_class
from webapp.forms.task_data import form_to_data
from webapp.models import WorkTask
from webapp.services import documents
from webapp.services.errors import DomainError
from webapp.web import tasks as task_views
from webapp.web.common import acting_user, now
from webapp.web.responses import download_response, runtime

bp = Blueprint("previews", __name__)
log = logging.getLogger(__name__)


@dataclass
class StepPreview:
    """What the task page's 文件预览 section shows."""

    drafting: bool  # a drafting step previews the form on request; an approval step shows it at once
    items: list[dict] = field(default_factory=list)  # title, frame (viewer URL), docx (download URL)
    warning: str = ""


def _items(staged: list[previews.StagedPreview]) -> list[dict]:
    items = []
    for shown in staged:
        key = previews.token(current_app.config["SECRET_KEY"], acting_user().id, shown.sha256)
        items.append({"title": shown.title, "frame": url_for("previews.viewer", sha256=shown.sha256, k=key),
                      "docx": url_for("previews.docx", sha256=shown.sha256, k=key, title=shown.title)})
    return items


def step_preview(task: WorkTask, staged: list[previews.StagedPreview] | None = None) -> StepPreview | None:
    """None for a step without a document; else the approval step's document from its saved data."""
    if not previews.has_preview(runtime(), task):
        return None
    cls = form_class(task_views.task_form_key(task))
    drafting = cls is None or not hasattr(cls, "decision")
    if staged is not None or drafting:
        return StepPreview(drafting, _items(staged or []))
    data = cases.task_data(db.session, runtime(), task)
    try:
        staged = previews.stage_step(db.session, runtime(), task=task, data=data, user=acting_user(), now=now())
    except DomainError as error:  # e.g. a letter campaign whose scope names nobody yet
        return StepPreview(False, warning=error.message)
    except Exception:  # a broken preview must not keep the leader from the step itself
        log.exception("preview of task %s failed", task.id)
        return StepPreview(False, warning="文件预览暂时无法生成，请稍后重试或联系管理员。")
    return StepPreview(False, _items(staged))


@bp.app_context_processor
def preview_helpers() -> dict:
    return {"step_preview": step_preview}


def _upload_name(upload, _decode_later: bool = False) -> dict:
    """A preview stores nothing: an upload counts only by its name (e.g. an attachment's title)."""
    return {"file": "", "name": upload.filename or "附件", "type": "", "size": 0}


@bp.post("/tasks/<int:task_id>/preview", endpoint="draft")
@login_required
def draft(task_id: int):
    """预览 on a drafting step: the document as the form is filled now, beside the same form (input kept)."""
    task = cases.task_for_user(db.session, acting_user(), task_id)
    form = task_views._form_for(task)
    if not form.validate_on_submit():
        return task_views._task_page(task, form, 400)
    data = {**cases.task_data(db.session, runtime(), task), **form_to_data(form, _upload_name)}
    try:
        shown = step_preview(task, previews.stage_step(db.session, runtime(), task=task, data=data,
                                                       user=acting_user(), now=now()))
    except DomainError as error:  # e.g. the chosen scope names nobody to sign with
        shown = StepPreview(True, warning=error.message)
    if any(upload.filename for _, upload in request.files.items(multi=True)):
        # Browsers never refill a file input: without this the files would be silently left out at 提交.
        shown.warning = shown.warning or "预览未保存所选文件，提交前请重新选择要上传的文件。"
    db.session.rollback()  # a preview changes nothing, whatever a preview context looked up
    return task_views._task_page(task, form, draft_preview=shown)


@bp.get("/previews/<sha256>", endpoint="viewer")
@login_required
def viewer(sha256: str):
    """The document's pages (or its text), shown in a frame of the task page."""
    _check_token(sha256)
    as_text = request.args.get("view") == "text"
    shown = (previews.text_only if as_text else previews.pages)(runtime().documents, sha256)
    return render_template("documents/preview_frame.html", preview=shown, key=request.args["k"], as_text=as_text)


def _check_token(sha256: str) -> None:
    previews.check_token(current_app.config["SECRET_KEY"], acting_user().id, sha256, request.args.get("k", ""))


@bp.get("/previews/<sha256>/<int:number>.png", endpoint="page")
@login_required
def page(sha256: str, number: int):
    _check_token(sha256)
    return send_file(previews.page_image(runtime().documents, sha256, number), mimetype="image/png")


@bp.get("/previews/<sha256>.docx", endpoint="docx")
@login_required
def docx(sha256: str):
    """Exactly the DOCX shown in the preview, for printing or reading elsewhere."""
    _check_token(sha256)
    name = documents.safe_filename(f"预览_{request.args.get('title') or '公文'}") + ".docx"
    return download_response(previews.staged_docx(runtime().documents, sha256), name, documents.DOCX)
