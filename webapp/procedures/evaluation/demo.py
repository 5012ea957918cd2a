"""`firegrid demo --history` for the evaluation: a few 宣传培训 records and one minor fire; in December,
this year's evaluation runs through the case services from opening to the leader's approval, and
its results 通报 is drafted, signed and issued like any notice."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from webapp.cases import actions as cases
from webapp.cases.registry import DemoContext
from webapp.clock import TZ
from webapp.models import CommitteeMember, GridNode, User, WorkTask
from webapp.procedures.evaluation import registers, results, scoring
from webapp.procedures.notice_issuance import demo as notice_demo

# (month, day, village name or None for a department, kind, 五进, title, audience, attendance)
PUBLICITY = [
    (3, 15, "青石村", "publicity", "进农村", "“3·15”消防安全知识进村宣传", "村民", 120),
    (5, 12, "石桥村", "drill", "进学校", "防灾减灾日疏散演练", "石桥小学师生", 260),
    (6, 20, "河湾社区", "training", "进社区", "电动车充电安全培训", "楼院长、居民", 45),
    (6, 28, None, "training", "进企业", "九小场所负责人消防安全培训", "九小场所负责人", 60),
    (9, 18, "河湾社区", "publicity", "进家庭", "家庭防火入户宣传", "社区居民", 80),
]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


def _user(ctx: DemoContext, username: str) -> User | None:
    return ctx.session.scalar(select(User).where(User.username == username))


def _registers(ctx: DemoContext, town: GridNode, clerk: User) -> None:
    villages = {n.name: n for n in town.children}
    department = ctx.session.scalar(select(CommitteeMember).where(CommitteeMember.organ.like("%安全生产%")))
    for month, day, village, kind, five_into, title, audience, attendance in PUBLICITY:
        held_on = date(ctx.year, month, day)
        if _at(held_on) >= ctx.today or (village and village not in villages):
            continue
        grid = villages[village] if village else town
        registers.add_publicity(
            ctx.session, user=clerk, grid_id=grid.id, held_on=held_on, kind=kind, five_into=five_into, title=title,
            audience=audience, attendance=attendance, member_id=department.id if department and not village else None,
            now=_at(held_on, 17))
    fire_day = date(ctx.year, 2, 8)
    if _at(fire_day) < ctx.today and "青石村" in villages:
        registers.add_fire(ctx.session, user=clerk, grid_id=villages["青石村"].id, occurred_on=fire_day,
                                      place="青石村三组村民柴草堆", cause="燃放烟花爆竹引燃柴草", loss=0.2,
                                      now=_at(fire_day, 18))


def _submit(ctx: DemoContext, task: WorkTask, username: str, data: dict, moment: datetime) -> None:
    ctx.clock.set(moment)
    user = _user(ctx, username)
    cases.submit_task(ctx.session, ctx.services, user=user, work_task_id=task.id, data=data, now=moment,
                      opinion="同意。" if task.step_key == "approve" else "")


def _tasks(ctx: DemoContext, instance_id: int, step_key: str) -> list[WorkTask]:
    return list(ctx.session.scalars(select(WorkTask).where(WorkTask.instance_id == instance_id,
                                                           WorkTask.step_key == step_key).order_by(WorkTask.id)))


def _self_entries(body) -> list[dict]:
    return [{"score_id": s.id, "self_score": s.points if s.kind != "bonus" else 0, "note": "已落实"}
            for s in body.scores if s.kind in ("assessed", "bonus")]


def _group_entries(evaluation) -> list[dict]:
    entries = []
    for body, score in scoring.scoring_rows(evaluation):
        value, reason = scoring.group_defaults(score)
        if score.kind == "assessed" and body.sort_order % 3 == 1:
            value, reason = score.points - 2, "台账资料不够完整"
        entries.append({"score_id": score.id, "score": value or 0, "deduction_reason": reason})
    return entries


def _run_evaluation(ctx: DemoContext, town: GridNode, clerk: User) -> None:
    start = ctx.today - timedelta(days=8)
    ctx.clock.set(start)
    instance = cases.start_case(ctx.session, ctx.services, procedure_key="evaluation", user=clerk, grid=town,
                                title=f"{ctx.year}年度消防安全工作年终考评", data={"year": ctx.year}, now=start)
    _submit(ctx, _tasks(ctx, instance.id, "measure")[0], clerk.username, {"note": ""}, start + timedelta(hours=1))
    evaluation = scoring.evaluation_of(ctx.session, instance)
    for task in _tasks(ctx, instance.id, "self_assess"):
        body = scoring.body_for_task(ctx.session, ctx.services, task)
        _submit(ctx, task, body.assessor, {"body_key": body.key, "entries": _self_entries(body)},
                start + timedelta(days=1))
    _submit(ctx, _tasks(ctx, instance.id, "group_score")[0], "office_head",
            {"entries": _group_entries(evaluation)}, start + timedelta(days=3))
    approved = start + timedelta(days=4)
    _submit(ctx, _tasks(ctx, instance.id, "approve")[0], "leader", {}, approved)
    # The clerk checks the prefilled 通报 and sends it through 核稿 and 签发 like any notice.
    draft = results.bulletin_draft(evaluation, results.rank_bodies(evaluation))
    notice_demo.walk_notice(ctx, evaluation.notice_instance_id, draft, approved + timedelta(hours=1))


def play(ctx: DemoContext) -> None:
    town = ctx.session.scalar(select(GridNode).where(GridNode.level == "town").order_by(GridNode.id))
    clerk = _user(ctx, "clerk")
    if town is None or clerk is None:
        return
    _registers(ctx, town, clerk)
    if ctx.today.month == 12:
        _run_evaluation(ctx, town, clerk)
    ctx.session.commit()
    ctx.clock.set(ctx.today)
