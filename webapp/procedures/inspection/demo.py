"""`firegrid demo --history` for the inspection procedure: monthly inspection days from January to today.

Everything goes through the case services and the timer sweep, with the clock moved day by day:
some hazards are found, most are rectified, some units get an extension on a rectification plan,
some are called to an interview (约谈), some are referred, and a few re-inspections are left
overdue at the end.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from webapp.cases import actions as cases
from webapp.cases import special_campaigns, timers
from webapp.cases.registry import DemoContext
from webapp.clock import TZ
from webapp.demo import scans as demo_scans
from webapp.models import GridNode, SpecialCampaign, Unit, User, WorkTask
from webapp.models.grid import NINE_SMALL_CATEGORIES
from webapp.procedures.inspection.models import RectificationPlan
from webapp.procedures.inspection.records import inspection_of
from webapp.procedures.inspection.setup import checklist_for, load_defaults

HAZARDS = [("疏散通道堆放杂物", "后门通道"), ("灭火器压力不足", "收银台旁"), ("电线私拉乱接", "仓库"),
           ("住人区域与经营区域未分隔", "二楼")]
DELAY_DAYS = {"draft_notice": 0, "sign_notice": 0, "serve_notice": 1, "early_application": 2, "reinspect": 0,
              "review_extension": 1, "schedule_interview": 0, "record_interview": 2, "draft_referral": 1,
              "sign_referral": 1, "record_feedback": 9}
EXTENSION_WORKDAYS = 10
LEAVE_OPEN_DAYS = 12  # tasks created this close to "today" are left for the demo users (some become overdue)


def _user(session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


def _inspection_day(calendar, year: int, month: int) -> date:
    day = date(year, month, 5)
    while not calendar.is_workday(day):
        day += timedelta(days=1)
    return day


def _record_data(context: DemoContext, unit: Unit, moment: datetime, seed: int, inspectors: list[User]) -> dict:
    session, day, found = context.session, moment.date(), seed % 6 == 0
    items = []
    for index, item in enumerate(checklist_for(session, unit.grid, unit.category)):
        hazard = found and index == seed % 3
        description, location = HAZARDS[(seed + index) % len(HAZARDS)] if hazard else ("", "")
        photos = [demo_scans.upload_photo(session, context.services.documents.store, f"{unit.name}_{description}",
                                          seed * 10 + index, moment)] if hazard else []
        items.append({"item_id": str(item.id), "item_name": item.name, "result": "hazard" if hazard else "passed",
                      "description": description, "location": location, "photos": photos,
                      "corrected_on_spot": bool(hazard and seed % 4 == 0)})
    return {"unit_id": unit.id, "unit_name": unit.name, "inspected_on": day.isoformat(), "inspected_time": "09:30",
            "inspector_ids": [u.id for u in inspectors], "items": items, "major_hazard": found and seed % 37 == 0,
            "measures": "", "unit_representative": unit.manager}


def _scan(context: DemoContext, task: WorkTask, what: str, moment: datetime) -> dict:
    """The paper the step needs, scanned and uploaded as the clerk must (a real, openable PDF)."""
    name = f"{task.instance.unit.name}_{what}_{moment:%Y%m%d}"
    return demo_scans.upload_scan(context.session, context.services.documents.store, name, moment)


def _step_data(context: DemoContext, task: WorkTask, moment: datetime) -> dict:
    runtime, session, today = context.services, context.session, moment.date()
    if task.step_key == "draft_notice":
        hazards = [h for h in inspection_of(session, task.instance).hazards if h.status == "open"]
        deadline = runtime.calendar(session).add_workdays(today, 5)
        return {"notice_hazards": [{"hazard_id": str(h.id), "description": h.description, "location": h.location,
                                    "legal_basis": h.legal_basis} for h in hazards],
                "severity": "general", "deadline": deadline.isoformat(), "note": ""}
    if task.step_key == "serve_notice":
        return {"served_on": today.isoformat(), "receiver_name": task.instance.unit.responsible_person,
                "receipt_scan": _scan(context, task, "送达回执", moment)}
    if task.step_key in FOLLOW_UP:
        return FOLLOW_UP[task.step_key](context, task, moment)
    if task.step_key == "reinspect":
        hazards = [h for h in inspection_of(session, task.instance).hazards if h.status == "open"]
        return {"reinspected_on": today.isoformat(), "checks": [
            {"hazard_id": str(h.id), "hazard_text": h.description, "rectified": _answer(task, h), "remark": "",
             "photos": []} for h in hazards]}
    if task.step_key == "draft_referral":
        return {"receiver_kind": "fire" if task.instance.id % 2 else "police", "actions_taken": "",
                "requested_action": "", "feedback_days": 15, "contact_name": "林晓雯", "contact_phone": "0712-5861002"}
    if task.step_key == "record_feedback":
        return {"feedback_on": today.isoformat(), "measures": "责令限期改正", "result": "已整改到位",
                "feedback_scan": _scan(context, task, "反馈函", moment)}
    return {}


def _answer(task: WorkTask, hazard) -> str:  # noqa: ANN001
    """Every fourth case is not rectified: half of them go to 约谈 first, and fail again after it."""
    if task.instance.id % 4 != 0:
        return "yes"
    return "no" if hazard.interviewed_on or task.instance.id % 8 else "interview"


def _application(context: DemoContext, task: WorkTask, moment: datetime) -> dict | None:
    """Every sixth case's unit asks for an extension with a plan (once); the others just wait."""
    inspection = inspection_of(context.session, task.instance)
    planned = context.session.scalar(select(RectificationPlan.id)
                                     .where(RectificationPlan.inspection_id == inspection.id))
    if task.instance.id % 6 != 1 or planned is not None:
        return None
    later = context.services.calendar(context.session).add_workdays(moment.date(), EXTENSION_WORKDAYS)
    return {"application": "extension", "applied_on": moment.date().isoformat(),
            "applicant": task.instance.unit.responsible_person, "note": "", "reason": "需购置器材并请人施工。",
            "measures": "购置并更换器材，清理通道，由单位负责人督促落实。", "interim_measures": "安排专人值守巡查。",
            "plan_items": [{"hazard_id": str(h.id), "due_on": later.isoformat()}
                           for h in inspection.hazards if h.status == "open"]}


def _interview(context: DemoContext, task: WorkTask, moment: datetime) -> dict:
    if task.step_key == "schedule_interview":
        return {"scheduled_on": moment.date().isoformat(), "scheduled_time": "15:00", "place": "镇消防安全委员会办公室",
                "interviewee": task.instance.unit.responsible_person, "interviewers": "林晓雯"}
    later = context.services.calendar(context.session).add_workdays(moment.date(), 5)
    hazards = [h for h in inspection_of(context.session, task.instance).hazards if h.status == "interview"]
    return {"held_on": moment.date().isoformat(), "attendees": task.instance.unit.responsible_person,
            "interviewers": "林晓雯", "content": "通报隐患逾期未改正的情况，告知法律责任。",
            "commitment": "按期整改到位。",
            "interview_items": [{"hazard_id": str(h.id), "due_on": later.isoformat()} for h in hazards]}


FOLLOW_UP = {
    "review_extension": lambda context, task, moment: {"verdict": "approve", "review_opinion": "同意按计划整改。"},
    "schedule_interview": _interview, "record_interview": _interview,
}


def _work_ready_tasks(context: DemoContext, moment: datetime) -> None:
    session, today = context.session, moment.date()
    users = {"clerk": _user(session, "clerk"), "leader": _user(session, "leader"),
             "inspector": _user(session, "inspector")}
    worked = False
    for task in list(session.scalars(select(WorkTask).order_by(WorkTask.id))):
        waited = (today - task.created_at.date()).days
        if task.step_key not in DELAY_DAYS or waited < DELAY_DAYS[task.step_key]:
            continue
        if (context.today.date() - task.created_at.date()).days < LEAVE_OPEN_DAYS:
            continue
        data = _application(context, task, moment) if task.step_key == "early_application" else _step_data(
            context, task, moment)
        if data is None:
            continue
        cases.submit_task(session, context.services, user=users[task.role], work_task_id=task.id,
                          data=data, now=moment, opinion="同意")
        worked = True
    if worked:
        session.commit()


def _open_campaign(context: DemoContext) -> None:
    """A spring 专项行动 on the 九小场所, so the demo's March and April inspections of them are tagged to it."""
    values = special_campaigns.CampaignInput(
        name="打通生命通道专项行动", starts_on=date(context.year, 3, 1), ends_on=date(context.year, 4, 30),
        categories=sorted(NINE_SMALL_CATEGORIES), area_ids=[],
        checklist=[line for line, _finding in CAMPAIGN_CHECKLIST])
    special_campaigns.save(context.session, user=_user(context.session, "admin"), values=values,
                           now=datetime(context.year, 2, 20, 9, 0, tzinfo=TZ))


# The demo campaign's own items (with their basis) and what a failure of each reads like on the record.
CAMPAIGN_CHECKLIST = (
    ("疏散通道、安全出口是否畅通｜《中华人民共和国消防法》第二十八条", ("后门疏散通道堆放货物", "后门")),
    ("防盗窗是否留有逃生口｜《中华人民共和国消防法》第二十八条", ("二楼防盗窗未留逃生口", "二楼窗户")),
    ("电动自行车是否在室内停放充电｜《中华人民共和国消防法》第十六条", ("电动自行车在店内充电", "营业厅")),
)


def _campaign_items(campaign: SpecialCampaign, seed: int) -> list[dict]:
    """The campaign's own items on a tagged inspection: one fails where the checklist found a hazard too, the
    same way (so the case takes the same road), the others pass."""
    found, failing = seed % 6 == 0, seed % len(campaign.items) if campaign.items else -1
    items = []
    findings = dict(CAMPAIGN_CHECKLIST)
    for index, item in enumerate(campaign.items):
        hazard = found and index == failing
        line = special_campaigns.item_line(item)
        description, location = findings.get(line, (f"{item.name}：不符合要求", "现场")) if hazard else ("", "")
        items.append({"item_id": "", "campaign_item": item.name, "item_name": item.name,
                      "result": "hazard" if hazard else "passed", "description": description, "location": location,
                      "photos": [], "corrected_on_spot": bool(hazard and seed % 4 == 0)})
    return items


def _inspect_all(context: DemoContext, day: date, units: list[Unit], inspectors: list[User]) -> None:
    session = context.session
    for index, unit in enumerate(units):
        moment = datetime.combine(day, time(9, 0), TZ) + timedelta(minutes=5 * index)
        context.clock.set(moment)
        seed = unit.id + day.month
        data = _record_data(context, unit, moment, seed, inspectors)
        tagged = special_campaigns.choices(session, inspectors[0], day, unit)
        data["special_campaign_id"] = tagged[0].id if tagged else 0
        data["items"] += _campaign_items(tagged[0], seed) if tagged else []
        cases.start_case(session, context.services, procedure_key="inspection", user=inspectors[0], grid=unit.grid,
                         unit=unit, title=f"消防检查：{unit.name}（{day.isoformat()}）", data=data, now=moment)
    session.commit()


def play_demo_history(context: DemoContext) -> None:
    session = context.session
    load_defaults(session)
    _open_campaign(context)
    inspectors = [_user(session, "inspector"), _user(session, "inspector2")]
    # the inspectors' own town: a county demo has other towns, out of their scope
    units = list(session.scalars(select(Unit).join(Unit.grid).where(GridNode.path.startswith(inspectors[0].scope.path))
                                 .order_by(Unit.id)))
    calendar = context.services.calendar(session)
    day = date(context.year, 1, 1)
    while day <= context.today.date():
        if day == _inspection_day(calendar, context.year, day.month) and day < context.today.date():
            _inspect_all(context, day, units, inspectors)
        moment = datetime.combine(day, time(16, 0), TZ)
        context.clock.set(moment)
        timers.fire_due_timers(session, context.services, moment)
        _work_ready_tasks(context, moment)
        day += timedelta(days=1)
    context.clock.set(context.today)
