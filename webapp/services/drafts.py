"""暂存: keep a user's unfinished step form without validating it and without touching the case."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import User, WorkTask
from ..models.drafts import TaskDraft

# Fields that are not the user's input: the form's own token and the case version it was read at.
NOT_KEPT = {"csrf_token", "version"}


def save_draft(session: Session, *, task: WorkTask, user: User, fields: Iterable[tuple[str, str]],
               now: datetime) -> TaskDraft:
    """Replace this user's draft of the task with the posted fields (text only; files are never kept)."""
    kept = [[name, value] for name, value in fields if name not in NOT_KEPT and isinstance(value, str)]
    draft = draft_for(session, task, user)
    if draft is None:
        draft = TaskDraft(task_id=task.id, user_id=user.id)
        session.add(draft)
    draft.fields, draft.saved_at = kept, now
    session.flush()
    return draft


def draft_for(session: Session, task: WorkTask, user: User) -> TaskDraft | None:
    return session.scalar(select(TaskDraft).where(TaskDraft.task_id == task.id, TaskDraft.user_id == user.id))


def drop_drafts(session: Session, task_ids: Iterable[int]) -> None:
    """The step is done or sent back: its drafts go with it (a later task must never show them)."""
    ids = list(task_ids)
    if ids:
        session.execute(delete(TaskDraft).where(TaskDraft.task_id.in_(ids)))
