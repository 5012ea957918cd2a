"""Demo history: a 发文 case walked from 拟稿 to 印发 by the demo's clerk, office head and leader."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from webapp.cases import actions as cases
from webapp.cases.registry import DemoContext
from webapp.clock import TZ
from webapp.demo import scans as demo_scans
from webapp.models import ProcessInstance, User, WorkTask
from webapp.procedures.notice_issuance import delivery, notices


def _step(ctx: DemoContext, instance_id: int, step_key: str, username: str, data: dict, at: datetime) -> None:
    ctx.clock.set(at)
    user = ctx.session.scalar(select(User).where(User.username == username))
    task = ctx.session.scalar(select(WorkTask).where(WorkTask.instance_id == instance_id,
                                                     WorkTask.step_key == step_key))
    cases.submit_task(ctx.session, ctx.services, user=user, work_task_id=task.id, data=data, now=at,
                      opinion="同意。" if step_key in ("review", "sign_off") else "")


def walk_notice(ctx: DemoContext, instance_id: int, draft: dict, start: datetime, review: dict | None = None) -> None:
    """拟稿 (with `draft`) → 核稿 (with the office head's `review` edits, if any) → 签发 → 印发, over two days
    from `start`."""
    data = {**notices.DRAFT_DEFAULTS, **draft}
    data.setdefault("kept_attachments", [notices.kept_value(a) for a in data["attachments"]])
    _step(ctx, instance_id, "draft", "clerk", data, start + timedelta(hours=1))
    _step(ctx, instance_id, "review", "office_head", review or {}, start + timedelta(days=1))
    _step(ctx, instance_id, "sign_off", "leader", {}, start + timedelta(days=1, hours=3))
    signed = start + timedelta(days=2)
    instance = ctx.session.get(ProcessInstance, instance_id)
    villages = delivery.default_recipients(ctx.session, instance, delivery.choices(ctx.session, instance))
    _step(ctx, instance_id, "distribute", "clerk", {"printed_on": signed.date().isoformat(), "copies": data["copies"],
                                                    "recipients": "、".join(notices.addressees(data)),
                                                    "deliver_to": [str(v) for v in villages]}, signed)


# Demo history: (month, day, draft) — played through the services, from 拟稿 to 印发登记.
DEMO_NOTICES = [
    (1, 12, {"kind": "通知", "title": "关于开展冬春火灾防控工作的通知",
             "addressees": ["各村（社区）", "镇直各部门"], "cc": "江岸区消防救援大队、青石派出所",
             "body": "为切实做好今冬明春火灾防控工作，结合我镇实际，现就有关事项通知如下：\n"
                     "一、开展隐患排查\n各村（社区）要对辖区“九小场所”、出租屋逐户排查，建立台账。\n"
                     "二、加强宣传培训\n（一）入户宣传\n发放消防安全提示，开展家庭防火检查。\n"
                     "（二）组织演练\n1.各村（社区）至少组织一次疏散演练。",
             # the office head's 核稿 edit: the notice is filed with its 修改痕迹稿
             "demo_review": ("逐户排查，建立台账。", "逐户逐店排查，建立隐患台账，限期整改。")}),
    (2, 24, {"kind": "通知", "title": "关于印发《青石镇消防安全网格化管理实施方案》的通知",
             "addressees": ["各村（社区）", "镇直各部门"], "cc": "江岸区消防安全委员会办公室",
             "body": "现将《青石镇消防安全网格化管理实施方案》印发给你们，请认真贯彻执行。",
             "demo_attachment": "青石镇消防安全网格化管理实施方案"}),
    (7, 8, {"kind": "报告", "direction": "up", "title": "关于青石镇2026年上半年消防安全工作情况的报告",
            "addressees": ["江岸区人民政府"], "copies": 5,
            "body": "现将我镇上半年消防安全工作情况报告如下：\n一、主要工作\n"
                    "全镇签订消防安全目标责任书，开展月度消防安全检查。\n二、下步打算\n继续深化网格化管理。"}),
]


def _demo_notice(ctx: DemoContext, start: datetime, draft: dict) -> None:
    clerk = ctx.session.scalar(select(User).where(User.username == "clerk"))
    draft = dict(draft)
    name = draft.pop("demo_attachment", None)
    old, new = draft.pop("demo_review", ("", ""))
    review = {"body": draft["body"].replace(old, new)} if old else None
    if name:
        draft["attachments"] = [demo_scans.upload_scan(ctx.session, ctx.services.documents.store, name, start)]
    ctx.clock.set(start)
    instance = notices.start_notice(ctx.session, ctx.services, user=clerk, grid=clerk.scope, draft=draft,
                                    now=start)
    walk_notice(ctx, instance.id, draft, start, review)


def play_history(ctx: DemoContext) -> None:
    """A few notices of this year, up to today (fast: DOCX only, no PDF)."""
    for month, day, draft in DEMO_NOTICES:
        start = datetime.combine(datetime(ctx.year, month, day).date(), time(9, 0), tzinfo=TZ)
        if start + timedelta(days=3) > ctx.today:
            break
        _demo_notice(ctx, start, draft)
    ctx.clock.set(ctx.today)
