"""`firegrid demo --history` for 收文: a county notice received ten days ago, carried through 拟办, 批办,
承办 and 传阅 by the demo town's people and closed with its 收文处理单; a second one received yesterday waits
for 拟办."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from webapp.cases import actions as cases
from webapp.cases.registry import DemoContext
from webapp.clock import TZ
from webapp.demo import scans as demo_scans
from webapp.models import User, WorkTask
from webapp.procedures.incoming import incoming

RECEIVED = [
    (10, {"sender": "区消防安全委员会办公室", "sender_number": "消安办〔{year}〕31号", "urgency": "加急",
          "title": "关于开展冬春火灾防控工作的通知"}),
    (1, {"sender": "区应急管理局", "sender_number": "", "urgency": "普通",
         "title": "关于报送消防安全网格化管理工作情况的函"}),
]


def _user(ctx: DemoContext, username: str) -> User | None:
    return ctx.session.scalar(select(User).where(User.username == username))


def _step(ctx: DemoContext, instance_id: int, step_key: str, user: User, data: dict, at: datetime) -> None:
    ctx.clock.set(at)
    tasks = ctx.session.scalars(select(WorkTask).where(WorkTask.instance_id == instance_id,
                                                       WorkTask.step_key == step_key))
    task = next(t for t in tasks if t.assignee_id in (None, user.id))
    cases.submit_task(ctx.session, ctx.services, user=user, work_task_id=task.id, data=data, now=at)


def play(ctx: DemoContext) -> None:
    clerk, office_head = _user(ctx, "clerk"), _user(ctx, "office_head")
    if clerk is None or office_head is None:
        return
    for days_before, fields in RECEIVED:
        moment = datetime.combine(ctx.today.date() - timedelta(days=days_before), time(9, 30), TZ)
        if moment.year != ctx.year or moment >= ctx.today:
            continue
        ctx.clock.set(moment)
        data = {**fields, "sender_number": fields["sender_number"].format(year=ctx.year), "secrecy": "无",
                "received_on": moment.date().isoformat(),
                "received_file": demo_scans.upload_scan(ctx.session, ctx.services.documents.store, fields["title"],
                                                        moment)}
        instance = cases.start_case(ctx.session, ctx.services, procedure_key=incoming.PROCEDURE_KEY, user=clerk,
                                    grid=clerk.scope, title=incoming.case_title(data), data=data, now=moment)
        if days_before < 3:
            continue
        _walk(ctx, instance, clerk, office_head, moment)
    ctx.session.commit()
    ctx.clock.set(ctx.today)


def _walk(ctx: DemoContext, instance, clerk: User, office_head: User, received: datetime) -> None:  # noqa: ANN001
    leaders = incoming.candidates(ctx.session, instance, "leader")
    if not leaders:
        return
    _step(ctx, instance.id, "propose", office_head, {"proposal": "请领导阅示，建议由党政办承办。"},
          received + timedelta(hours=2))
    _step(ctx, instance.id, "assign", leaders[0], {
        "instruction": "同意。请党政办制定方案，按期部署落实。", "handler": clerk.username,
        "readers": [u.username for u in leaders[:3]]}, received + timedelta(days=1))
    for offset, reader in enumerate(leaders[:3]):
        _step(ctx, instance.id, "read", reader, {"read_remark": "已阅。"},
              received + timedelta(days=1, hours=2 + offset))
    _step(ctx, instance.id, "handle", clerk, {"handling": "已制定工作方案并转发各村（社区），组织开展联合检查。"},
          received + timedelta(days=5))
    _step(ctx, instance.id, "close", clerk, {"closing_note": ""}, received + timedelta(days=6))
