"""暂存: a user's unfinished input of a long form, kept until the form is submitted (or its step is gone)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import AwareDateTime


class FormDraft(db.Model):
    """The posted fields of one form as [name, value] pairs (uploads are never kept).

    `place` names the form: "task:<id>" for a step form (then `task_id` is set, so the draft goes with
    the step) or "start:<procedure>" for the form that starts a case.
    """

    __tablename__ = "form_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    place: Mapped[str] = mapped_column(String(80))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("work_task.id", ondelete="CASCADE"), index=True)
    fields: Mapped[list] = mapped_column(JSON, default=list)
    saved_at: Mapped[datetime] = mapped_column(AwareDateTime())

    __table_args__ = (UniqueConstraint("user_id", "place", name="uq_form_draft_user_place"),)
