"""Demo history: a 发文 case walked from 拟稿 to 印发 by the demo's clerk, office head and leader."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from webapp.cases import actions as cases
from webapp.cases.registry import DemoContext
from webapp.models import User, WorkTask
from webapp.procedures.notice_issuance import notices


def _step(ctx: DemoContext, instance_id: int, step_key: str, username: str, data: dict, at: datetime) -> None:
    ctx.clock.set(at)
    user = ctx.session.scalar(select(User).where(User.username == username))
    task = ctx.session.scalar(select(WorkTask).where(WorkTask.instance_id == instance_id,
                                                     WorkTask.step_key == step_key))
    cases.submit_task(ctx.session, ctx.services, user=user, work_task_id=task.id, data=data, now=at,
                      opinion="同意。" if step_key in ("review", "sign_off") else "")


def walk_notice(ctx: DemoContext, instance_id: int, draft: dict, start: datetime) -> None:
    """拟稿 (with `draft`) → 核稿 → 签发 → 印发, over two days from `start`."""
    data = {**notices.DRAFT_DEFAULTS, **draft}
    data.setdefault("kept_attachments", [notices.kept_value(a) for a in data["attachments"]])
    _step(ctx, instance_id, "draft", "clerk", data, start + timedelta(hours=1))
    _step(ctx, instance_id, "review", "office_head", {}, start + timedelta(days=1))
    _step(ctx, instance_id, "sign_off", "leader", {}, start + timedelta(days=1, hours=3))
    signed = start + timedelta(days=2)
    _step(ctx, instance_id, "distribute", "clerk", {"printed_on": signed.date().isoformat(), "copies": data["copies"],
                                                    "recipients": "、".join(notices.addressees(data))}, signed)
