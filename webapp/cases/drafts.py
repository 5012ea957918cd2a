"""暂存: keep a user's unfinished long form without validating it and without touching any case."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from webapp.models import User, WorkTask
from webapp.models.drafts import FormDraft

# Fields that are not the user's input: the form's own token and the case version it was read at.
NOT_KEPT = {"csrf_token", "version"}


def task_place(task: WorkTask) -> str:
    return f"task:{task.id}"


def start_place(procedure_key: str) -> str:
    return f"start:{procedure_key}"


def save_draft(session: Session, *, user: User, place: str, fields: Iterable[tuple[str, str]], now: datetime,
               task: WorkTask | None = None) -> FormDraft:
    """Replace this user's draft of the form at `place` with the posted fields (text only; files are never
    kept). A step form's draft names its task, so it goes when the step does."""
    kept = [[name, value] for name, value in fields if name not in NOT_KEPT and isinstance(value, str)]
    draft = draft_at(session, user, place)
    if draft is None:
        draft = FormDraft(user_id=user.id, place=place, task_id=task.id if task else None)
        session.add(draft)
    draft.fields, draft.saved_at = kept, now
    session.flush()
    return draft


def draft_at(session: Session, user: User, place: str) -> FormDraft | None:
    return session.scalar(select(FormDraft).where(FormDraft.user_id == user.id, FormDraft.place == place))


def drop_draft(session: Session, user: User, place: str) -> None:
    """The form was submitted: its draft has served."""
    session.execute(delete(FormDraft).where(FormDraft.user_id == user.id, FormDraft.place == place))


def drop_task_drafts(session: Session, task_ids: Iterable[int]) -> None:
    """The steps are done or sent back: their drafts go with them (a later task must never show them)."""
    ids = list(task_ids)
    if ids:
        session.execute(delete(FormDraft).where(FormDraft.task_id.in_(ids)))
