"""暂存: a user's unfinished input of a step form, kept until the step is done or sent back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import AwareDateTime


class TaskDraft(db.Model):
    """The posted fields of a task's form as [name, value] pairs (uploads are never kept)."""

    __tablename__ = "task_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("work_task.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    fields: Mapped[list] = mapped_column(JSON, default=list)
    saved_at: Mapped[datetime] = mapped_column(AwareDateTime())

    __table_args__ = (UniqueConstraint("task_id", "user_id", name="uq_task_draft_task_user"),)
