"""暂存 in the views: which forms offer it, saving what was posted, reopening a form from its draft."""

from __future__ import annotations

from typing import Any

from flask import flash, request
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.fields import FieldList

from webapp.cases import drafts
from webapp.extensions import db
from webapp.models import WorkTask
from webapp.models.drafts import FormDraft
from webapp.web.common import acting_user, now

# A form with fewer visible fields than this is filled in a minute: a 暂存 button would only be noise.
LONG_FORM_FIELDS = 4


def draftable(form: Form) -> bool:
    """暂存 is offered on long forms a user fills in, not on a 同意/退回 decision or a short form."""
    if hasattr(form, "decision"):
        return False
    shown = [f for f in form if f.type not in ("HiddenField", "CSRFTokenField")]
    return any(isinstance(f, FieldList) for f in shown) or len(shown) >= LONG_FORM_FIELDS


def restored(form_class: type[Form], draft: FormDraft, **kwargs: Any) -> Form:
    """The form filled from the draft's fields as if they had just been posted (nothing is validated)."""
    form = form_class(formdata=MultiDict(draft.fields), **kwargs)
    form.restored = draft
    return form


def save_posted(place: str, task: WorkTask | None = None) -> None:
    drafts.save_draft(db.session, user=acting_user(), place=place, fields=request.form.items(multi=True), now=now(),
                      task=task)
    db.session.commit()
    flash("已暂存。下次打开时将恢复暂存的内容（上传的文件不随暂存保存，提交前请重新选择）。", "success")
