"""`firegrid demo --history` for meetings: this year's meetings of each series, through the real services.

Every meeting runs the whole case (schedule → 会议通知 issued → record → sign → distribute) at its own date; older
decisions are mostly reported done, every third one is left open so the dashboard shows overdue items.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from webapp.cases import actions as cases
from webapp.cases.registry import DemoContext
from webapp.clock import TZ
from webapp.models import GridNode, User, WorkTask
from webapp.procedures.meeting import decisions, meetings
from webapp.procedures.meeting.models import MeetingDecision, MeetingSeries
from webapp.procedures.meeting.notice import DEFAULT_REQUIREMENTS

PLACES = ["镇政府三楼会议室", "镇综治中心会议室", "镇应急指挥中心"]
OFFICE_PHONE = "0571-86120119"  # the committee office's (fictitious) number printed on the 会议通知
TOPICS = [
    ("抓好隐患整改闭环", "对本期检查发现的火灾隐患逐项建立台账，按期整改销号"),
    ("开展消防宣传“五进”活动", "组织消防宣传进农村、进社区、进企业、进学校、进家庭"),
    ("排查电动车违规充电", "对出租屋、老旧小区电动车停放充电情况开展集中排查"),
    ("加强微型消防站建设", "检查微型消防站器材配备和人员值守情况，补齐短板"),
]


def play(ctx: DemoContext) -> None:
    session = ctx.session
    town = session.scalar(select(GridNode).where(GridNode.level == "town").order_by(GridNode.id))
    clerk = session.scalar(select(User).where(User.username == "clerk"))
    leader = session.scalar(select(User).where(User.username == "leader"))
    if town is None or clerk is None or leader is None:
        return
    plan = sorted((held_on, series.sort_order, series) for series in meetings.ensure_default_series(session, town)
                  for held_on in _meeting_days(series, ctx.year, ctx.today.date()))
    for number, (held_on, _, series) in enumerate(plan):
        _play_meeting(ctx, town, series, held_on, clerk, leader, number)
    _report_some(ctx, clerk)
    ctx.clock.set(ctx.today)


def _meeting_days(series: MeetingSeries, year: int, today: date) -> list[date]:
    """The 10th of each period's first month (or the next weekday), up to a few days before today."""
    days = []
    for month in range(1, 13, series.interval_months):
        day = date(year, month, 10)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        if day + timedelta(days=2) < today:
            days.append(day)
    return days


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


def _submit(ctx: DemoContext, instance_id: int, user: User, data: dict, moment: datetime) -> None:
    ctx.clock.set(moment)
    task = ctx.session.scalar(select(WorkTask).where(WorkTask.instance_id == instance_id))
    cases.submit_task(ctx.session, ctx.services, user=user, work_task_id=task.id, data=data, now=moment)


def _play_meeting(ctx: DemoContext, town: GridNode, series: MeetingSeries, held_on: date, clerk: User,
                  leader: User, number: int) -> None:
    start = _at(held_on - timedelta(days=3), 9)
    ctx.clock.set(start)
    members = meetings.members(ctx.session, town)
    data = {"series_key": series.key, "held_on": held_on.isoformat()}
    instance = cases.start_case(ctx.session, ctx.services, procedure_key="meeting", user=clerk, grid=town,
                                title=f"{series.name}（{held_on.isoformat()}）", data=data, now=start)
    invited = [m.organ for m in members]
    agenda = "通报近期消防工作情况\n研究部署下一阶段消防安全工作"
    _submit(ctx, instance.id, clerk, {**data, "place": PLACES[number % len(PLACES)], "chair": leader.display_name,
                                      "recorder": clerk.display_name, "invited": invited, "start_time": "09:00",
                                      "agenda": agenda, "requirements": DEFAULT_REQUIREMENTS,
                                      "contact": clerk.display_name, "contact_phone": clerk.phone or OFFICE_PHONE},
            start)
    _submit(ctx, instance.id, clerk, {"cc": ""}, start + timedelta(hours=1))  # 会议通知印发
    absent = members[2 + number % (len(members) - 2)]
    present = [f"{m.organ} {m.contact_person}" for m in members if m is not absent]
    record = {"attendees": "\n".join(present), "absentees": f"{absent.organ} {absent.contact_person} 因公出差",
              "observers": "江岸区消防救援大队 方志远" if number % 2 == 0 else "", "agenda": agenda,
              "summary": f"会议通报了{held_on.month}月消防安全工作情况，研究部署了下一阶段工作",
              "decisions": _decisions(town, members, held_on, number)}
    _submit(ctx, instance.id, clerk, record, _at(held_on, 16))
    _submit(ctx, instance.id, leader, {}, _at(held_on + timedelta(days=1), 10))
    meeting = meetings.meeting_of(ctx.session, instance)
    _submit(ctx, instance.id, clerk, {"recipients": meetings.attending_units(meeting)},
            _at(held_on + timedelta(days=1), 15))


def _decisions(town: GridNode, members: list, held_on: date, number: int) -> list[dict]:
    villages = meetings.villages(town)
    village = next((v for v in villages if v.name == "石桥村"), villages[0])
    first, second = TOPICS[number % len(TOPICS)], TOPICS[(number + 1) % len(TOPICS)]
    police = next((m for m in members if "派出所" in m.organ), members[-1])
    return [
        {"title": first[0], "text": first[1], "owner": f"village:{village.id}",
         "deadline": (held_on + timedelta(days=30)).isoformat()},
        {"title": second[0], "text": second[1], "owner": f"member:{police.id}",
         "deadline": (held_on + timedelta(days=45)).isoformat()},
    ]


def _report_some(ctx: DemoContext, town_clerk: User) -> None:
    """Decisions whose deadline has passed: two in three reported done a few days before their deadline."""
    today = ctx.today.date()
    due = ctx.session.scalars(select(MeetingDecision).where(MeetingDecision.deadline < today)
                              .order_by(MeetingDecision.deadline, MeetingDecision.id))
    for index, decision in enumerate(list(due)):
        if index % 3 == 2:
            continue
        reporter = town_clerk if decision.grid.level != "village" else _village_user(ctx, decision.grid)
        if reporter is None:
            continue
        moment = _at(decision.deadline - timedelta(days=3), 11)
        ctx.clock.set(moment)
        decisions.report_completion(ctx.session, user=reporter, decision_id=decision.id,
                                            text="已按会议要求落实完毕。", attachment=None, now=moment)


def _village_user(ctx: DemoContext, village: GridNode) -> User | None:
    users = ctx.session.scalars(select(User).join(GridNode, User.scope_id == GridNode.id)
                                .where(GridNode.path.startswith(village.path)).order_by(User.id))
    return next((u for u in users if decisions.responsible_for_node(u, village)), None)
