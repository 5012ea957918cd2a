"""A year of records made through the real services, for the evaluation tests (and the registers' own test).

`build_year` returns what it made, so each test can hand-compute the expected measured values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from webapp.cases import actions as cases
from webapp.cases import timers
from webapp.clock import TZ
from webapp.models import CommitteeMember, GridNode, User, WorkTask
from webapp.procedures.evaluation import registers as evaluation_registers
from webapp.procedures.inspection.plans import units_under
from webapp.procedures.inspection.records import inspection_of
from webapp.procedures.inspection.setup import checklist_for, load_defaults
from webapp.procedures.meeting import meetings
from webapp.procedures.responsibility_letters.campaigns import campaign_for_instance, organ_name
from webapp.procedures.responsibility_letters.models import ResponsibilityLetter
from webapp.procedures.responsibility_letters.signing import Signing, sign
from webapp.services import jobs

YEAR = 2026


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


@dataclass
class World:
    app: object
    session: object
    villages: dict[str, GridNode]
    users: dict[str, User]
    departments: list[CommitteeMember] = field(default_factory=list)
    unsigned: set[str] = field(default_factory=set)  # counterparty keys left unsigned

    @property
    def runtime(self):  # noqa: ANN201
        return self.app.extensions["firegrid.runtime"]

    def move(self, moment: datetime) -> datetime:
        self.app.extensions["firegrid.clock"].set(moment)
        return moment

    def submit(self, instance_id: int, step: str, username: str, data: dict, moment: datetime) -> None:
        self.move(moment)
        task = self.session.scalar(select(WorkTask).where(WorkTask.instance_id == instance_id,
                                                          WorkTask.step_key == step))
        assert task is not None, f"no {step} task"
        cases.submit_task(self.session, self.runtime, user=self.users[username], work_task_id=task.id, data=data,
                          now=moment)

    def fire_timers(self, moment: datetime) -> None:
        self.move(moment)
        timers.fire_due_timers(self.session, self.runtime, moment)


def make_world(app, session) -> World:  # noqa: ANN001
    town = session.scalar(select(GridNode).where(GridNode.level == "town").order_by(GridNode.id))
    villages = {n.name: n for n in town.children if n.level == "village"}
    users = {u.username: u for u in session.scalars(select(User))}
    members = session.scalars(select(CommitteeMember).where(CommitteeMember.town_id == town.id)
                              .order_by(CommitteeMember.sort_order))
    organs = {organ_name(v) for v in villages.values()}
    departments = [m for m in members if m.committee_role != "head" and m.organ not in organs]
    return World(app, session, villages, users, departments)


def sign_town_letters(world: World, unsigned: set[str]) -> None:
    """The town ↔ villages/departments campaign; every letter signed except the `unsigned` counterparties."""
    town = world.villages["青石村"].parent
    moment = world.move(at(date(YEAR, 1, 5)))
    data = {"year": YEAR, "grid_id": town.id, "counterparty_set": "villages_departments", "categories": [],
            "print_pdf": False}
    instance = cases.start_case(world.session, world.runtime, procedure_key="responsibility_letters",
                                user=world.users["clerk"], grid=town, title="责任书", data=data, now=moment)
    from webapp.cases.registry import DemoContext
    from webapp.procedures.responsibility_letters.demo import _draft_data

    context = DemoContext(world.session, world.runtime, world.app.extensions["firegrid.clock"], YEAR, moment)
    world.submit(instance.id, "draft", "clerk", _draft_data(context, town), moment)
    world.submit(instance.id, "approve", "leader", {}, at(date(YEAR, 1, 6)))
    world.session.commit()
    jobs.run_due_jobs(world.session, world.runtime, worker="test", clock=lambda: at(date(YEAR, 1, 6), 11))
    campaign = campaign_for_instance(world.session, instance.id)
    for letter in world.session.scalars(select(ResponsibilityLetter).where(
            ResponsibilityLetter.campaign_id == campaign.id)):
        if letter.counterparty_key not in unsigned:
            sign(world.session, letter, Signing(date(YEAR, 1, 20)), user=world.users["clerk"],
                 now=at(date(YEAR, 1, 20)))
    world.unsigned = unsigned
    world.session.commit()


def _record(world: World, unit, day: date, hazard: bool, major: bool = False) -> dict:  # noqa: ANN001
    items = []
    for index, item in enumerate(checklist_for(world.session, unit.grid, unit.category)):
        found = hazard and index == 0
        items.append({"item_id": str(item.id), "item_name": item.name, "result": "hazard" if found else "passed",
                      "description": "疏散通道堆放杂物" if found else "", "location": "后门" if found else "",
                      "photos": [], "corrected_on_spot": False})
    inspectors = [world.users["inspector"], world.users["inspector2"]]
    return {"unit_id": unit.id, "unit_name": unit.name, "inspected_on": day.isoformat(), "inspected_time": "09:30",
            "inspector_ids": [u.id for u in inspectors], "items": items, "major_hazard": major, "measures": "",
            "unit_representative": unit.manager}


def inspect(world: World, unit, day: date, outcome: str = "clean") -> int:  # noqa: ANN001
    """One inspection case. outcome: clean | on_time | late (rectified after the deadline) | referred."""
    moment = world.move(at(day, 9))
    instance = cases.start_case(world.session, world.runtime, procedure_key="inspection",
                                user=world.users["inspector"], grid=unit.grid, unit=unit,
                                title=f"检查：{unit.name}", data=_record(world, unit, day, outcome != "clean"),
                                now=moment)
    if outcome == "clean":
        return instance.id
    hazards = inspection_of(world.session, instance).hazards
    deadline = day + timedelta(days=10)
    world.submit(instance.id, "draft_notice", "clerk", {
        "notice_hazards": [{"hazard_id": str(h.id), "description": h.description, "location": h.location,
                            "legal_basis": h.legal_basis} for h in hazards],
        "severity": "general", "deadline": deadline.isoformat(), "note": ""}, at(day, 11))
    world.submit(instance.id, "sign_notice", "leader", {}, at(day, 15))
    world.submit(instance.id, "serve_notice", "clerk", {"served_on": (day + timedelta(days=1)).isoformat(),
                                                        "receiver_name": "张三", "receipt_scan": None},
                 at(day + timedelta(days=1)))
    world.fire_timers(at(deadline + timedelta(days=1), 8))
    checked_on = deadline + timedelta(days=10) if outcome == "late" else deadline + timedelta(days=1)
    fixed = "no" if outcome == "referred" else "yes"
    world.submit(instance.id, "reinspect", "inspector", {"reinspected_on": checked_on.isoformat(), "checks": [
        {"hazard_id": str(h.id), "hazard_text": h.description, "rectified": fixed, "remark": "", "photos": []}
        for h in hazards]}, at(checked_on, 10))
    if outcome == "referred":
        _refer(world, instance.id, checked_on)
    return instance.id


def _refer(world: World, instance_id: int, day: date) -> None:
    world.submit(instance_id, "draft_referral", "clerk", {
        "receiver_kind": "police", "actions_taken": "", "requested_action": "", "feedback_days": 15,
        "contact_name": "林晓雯", "contact_phone": "0712-5861002"}, at(day, 14))
    world.submit(instance_id, "sign_referral", "leader", {}, at(day + timedelta(days=1)))
    world.submit(instance_id, "record_feedback", "clerk", {
        "feedback_on": (day + timedelta(days=8)).isoformat(), "measures": "责令限期改正", "result": "已整改到位",
        "feedback_scan": None}, at(day + timedelta(days=8)))


def hold_meeting(world: World, held_on: date, present: list[str], decisions: list[dict] | None = None) -> int:
    """A joint meeting of the whole committee; `present` lists the organs that attended."""
    town = world.villages["青石村"].parent
    series = meetings.ensure_default_series(world.session, town)[0]
    members = meetings.members(world.session, town)
    moment = world.move(at(held_on - timedelta(days=3), 9))
    data = {"series_key": series.key, "held_on": held_on.isoformat()}
    instance = cases.start_case(world.session, world.runtime, procedure_key="meeting", user=world.users["clerk"],
                                grid=town, title="会议", data=data, now=moment)
    world.submit(instance.id, "schedule", "clerk", {**data, "place": "镇政府会议室", "chair": "郑国栋",
                                                     "recorder": "林晓雯", "invited": [m.organ for m in members],
                                                     "start_time": "09:00", "agenda": "通报工作",
                                                     "requirements": "不得无故缺席。", "contact": "林晓雯",
                                                     "contact_phone": "0571-86120119"}, moment)
    world.submit(instance.id, "notice", "clerk", {}, moment)  # 会议通知印发
    attendees = [f"{m.organ} {m.contact_person}" for m in members if m.organ in present]
    absentees = [f"{m.organ} {m.contact_person} 因公出差" for m in members if m.organ not in present]
    world.submit(instance.id, "record", "clerk", {
        "attendees": "\n".join(attendees), "absentees": "\n".join(absentees), "observers": "",
        "agenda": "通报工作", "summary": "会议研究了消防工作", "decisions": decisions or []}, at(held_on, 16))
    world.submit(instance.id, "sign", "leader", {}, at(held_on + timedelta(days=1)))
    meeting = meetings.meeting_of(world.session, world.session.get(type(instance), instance.id))
    world.submit(instance.id, "distribute", "clerk", {"recipients": meetings.attending_units(meeting)},
                 at(held_on + timedelta(days=1), 15))
    return instance.id


def publicity(world: World, village: str, days: list[date]) -> None:
    for day in days:
        evaluation_registers.add_publicity(
            world.session, user=world.users["clerk"], grid_id=world.villages[village].id, held_on=day,
            kind="publicity", five_into="进农村", title=f"{village}消防宣传", audience="村民", attendance=50,
            now=at(day, 17))


def units_of(world: World, village: str) -> list:
    return units_under(world.session, world.villages[village])


def setup_inspections(world: World) -> None:
    load_defaults(world.session)


def test_registers_scope_and_export(app, session, demo):  # noqa: ANN001
    world = make_world(app, session)
    publicity(world, "石桥村", [date(YEAR, 3, 1), date(YEAR, 4, 1)])
    evaluation_registers.add_fire(session, user=world.users["clerk"], grid_id=world.villages["石桥村"].id,
                                  occurred_on=date(YEAR, 5, 2), place="石桥村民房", deaths=1, injuries=2, loss=3.5,
                                  now=at(date(YEAR, 5, 2)))
    session.commit()
    village_clerk = world.users["clerk_shiqiao"]
    assert len(evaluation_registers.publicity_in_scope(session, village_clerk, YEAR)) == 2
    assert evaluation_registers.publicity_in_scope(session, village_clerk, YEAR - 1) == []
    fires = evaluation_registers.fires_in_scope(session, world.users["clerk"], YEAR)
    assert [(f.deaths, f.injuries, f.loss) for f in fires] == [(1, 2, 3.5)]
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(evaluation_registers.fires_xlsx(YEAR, fires))).active
    assert sheet["C2"].value == "石桥村民房" and sheet["F2"].value == 1
    import pytest

    from webapp.services.errors import OutOfScope

    with pytest.raises(OutOfScope):
        evaluation_registers.add_publicity(session, user=village_clerk, grid_id=world.villages["青石村"].id,
                                           held_on=date(YEAR, 6, 1), kind="training", five_into="进社区",
                                           title="越权登记", now=at(date(YEAR, 6, 1)))
