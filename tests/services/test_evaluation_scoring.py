"""Issue 9: the measured items, totals, vetoes, grades and ranks of a year-end evaluation, from a year of
records created through the real services; every expected value is computed by hand below."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.services.test_evaluation_records import (
    YEAR,
    World,
    at,
    hold_meeting,
    inspect,
    make_world,
    publicity,
    setup_inspections,
    sign_town_letters,
    units_of,
)
from webapp.cases import actions as cases
from webapp.models import Document, ProcessInstance, WorkTask
from webapp.procedures.evaluation import group as evaluation_group
from webapp.procedures.evaluation import registers as evaluation_registers
from webapp.procedures.evaluation import results as evaluation_results
from webapp.procedures.evaluation import scoring as evaluation_scoring
from webapp.procedures.evaluation.scoring import round_score
from webapp.procedures.meeting import decisions as meeting_decisions
from webapp.procedures.patrol import patrols
from webapp.services.errors import InvalidInput


def build_year(world: World) -> dict:
    setup_inspections(world)
    shiqiao = world.villages["石桥村"]
    depts = world.departments
    sign_town_letters(world, {f"village:{shiqiao.id}", f"member:{depts[0].id}"})
    ua, ub = units_of(world, "青石村"), units_of(world, "石桥村")
    inspect(world, ua[0], date(YEAR, 3, 2), "on_time")
    inspect(world, ua[1], date(YEAR, 3, 2), "referred")
    inspect(world, ua[2], date(YEAR, 4, 8))
    inspect(world, ub[0], date(YEAR, 5, 11), "late")
    inspect(world, ub[1], date(YEAR, 5, 11), "on_time")
    everyone = [m.organ for m in [*depts]] + ["青石村村民委员会", "石桥村村民委员会", "河湾社区居民委员会"]
    decisions = [
        {"title": "清理柴草堆", "text": "清理柴草堆", "owner": f"village:{shiqiao.id}", "deadline": f"{YEAR}-03-10"},
        {"title": "行业检查", "text": "开展行业检查", "owner": f"member:{depts[2].id}", "deadline": f"{YEAR}-03-10"},
    ]
    absent = ("石桥村村民委员会", "河湾社区居民委员会")
    hold_meeting(world, date(YEAR, 2, 10), [o for o in everyone if o not in absent], decisions)
    hold_meeting(world, date(YEAR, 6, 10), [o for o in everyone if o not in ("河湾社区居民委员会", depts[1].organ)])
    from webapp.procedures.meeting.models import MeetingDecision

    done = world.session.scalar(select(MeetingDecision).where(MeetingDecision.grid_id == shiqiao.id))
    meeting_decisions.report_completion(world.session, user=world.users["clerk_shiqiao"], decision_id=done.id,
                                        text="已清理", attachment=None, now=at(date(YEAR, 3, 5)))
    publicity(world, "青石村", [date(YEAR, m, 15) for m in (3, 5, 7, 9)])
    for month in range(1, 13):  # 12 of the 24 patrols a year the default scheme asks for: half its points
        moment = world.move(at(date(YEAR, month, 20), 15))
        patrols.start_patrol(world.session, world.runtime, user=world.users["inspector"], unit=ua[month % len(ua)],
                             data={"outcome": "none", "hazards": []}, now=moment)
    uc = units_of(world, "河湾社区")
    for day in range(1, 25):  # all 24: full points
        moment = world.move(at(date(YEAR, 8, day), 15))
        patrols.start_patrol(world.session, world.runtime, user=world.users["inspector"], unit=uc[day % len(uc)],
                             data={"outcome": "none", "hazards": []}, now=moment)
    publicity(world, "石桥村", [date(YEAR, 4, 15)])
    publicity(world, "河湾社区", [date(YEAR, 6, 15), date(YEAR, 10, 15)])
    evaluation_registers.add_fire(world.session, user=world.users["clerk"], grid_id=shiqiao.id,
                                  occurred_on=date(YEAR, 8, 3), place="石桥村二组民房", deaths=1, injuries=0,
                                  loss=12.0, now=at(date(YEAR, 8, 3)))
    world.session.commit()
    return {"ua": len(ua), "ub": len(ub), "uc": len(units_of(world, "河湾社区"))}


def open_case(world: World) -> ProcessInstance:
    moment = world.move(at(date(YEAR, 12, 20), 9))
    town = world.villages["青石村"].parent
    instance = cases.start_case(world.session, world.runtime, procedure_key="evaluation", user=world.users["clerk"],
                                grid=town, title="考评", data={"year": YEAR}, now=moment)
    world.submit(instance.id, "measure", "clerk", {"note": ""}, at(date(YEAR, 12, 20), 10))
    return instance


def measured(evaluation, name: str) -> dict[str, float]:  # noqa: ANN001
    body = next(b for b in evaluation.bodies if b.name == name)
    return {s.metric: s.measured_score if s.kind == "measured" else s.measured_value
            for s in body.scores if s.metric}


@pytest.fixture()
def year(app, session, demo):  # noqa: ANN001, ANN201
    world = make_world(app, session)
    return world, build_year(world)


def test_measured_items_equal_hand_computed_values(year):  # noqa: ANN001
    world, counts = year
    evaluation = evaluation_scoring.evaluation_of(world.session, open_case(world))
    assert measured(evaluation, "青石村") == {
        "inspection_coverage": round_score(10 * 3 / counts["ua"]), "hazards_on_time": 5.0, "referrals_handled": 5.0,
        "publicity_events": 10.0, "fire_incidents": 5.0, "signing_rate": 10.0, "meetings_attended": 10.0,
        "decisions_done": 10.0, "fire_deaths": 0.0, "patrols": 2.5}
    assert measured(evaluation, "石桥村") == {
        "inspection_coverage": round_score(10 * 2 / counts["ub"]), "hazards_on_time": 5.0, "referrals_handled": 5.0,
        "publicity_events": 2.5, "fire_incidents": 3.0, "signing_rate": 0.0, "meetings_attended": 5.0,
        "decisions_done": 10.0, "fire_deaths": 1.0, "patrols": 0.0}
    assert measured(evaluation, "河湾社区") == {
        "inspection_coverage": 0.0, "hazards_on_time": 10.0, "referrals_handled": 5.0, "publicity_events": 5.0,
        "fire_incidents": 5.0, "signing_rate": 10.0, "meetings_attended": 0.0, "decisions_done": 10.0,
        "fire_deaths": 0.0, "patrols": 5.0}
    d0, d1, d2, d3 = world.departments[:4]
    assert measured(evaluation, d0.organ) == {"signing_rate": 0.0, "meetings_attended": 15.0, "decisions_done": 15.0,
                                              "publicity_events": 0.0}
    assert measured(evaluation, d1.organ)["meetings_attended"] == 7.5
    assert measured(evaluation, d2.organ)["decisions_done"] == 0.0
    body = next(b for b in evaluation.bodies if b.name == "青石村")
    texts = {s.metric: s.measured_text for s in body.scores if s.metric}
    assert texts["hazards_on_time"] == "1/2（50%）" and texts["signing_rate"] == "1/1（100%）"


def _self_assess_all(world: World, instance: ProcessInstance) -> None:
    tasks = world.session.scalars(select(WorkTask).where(WorkTask.instance_id == instance.id,
                                                         WorkTask.step_key == "self_assess")).all()
    for task in tasks:
        body = evaluation_scoring.body_for_task(world.session, world.runtime, task)
        entries = [{"score_id": s.id, "self_score": s.points if s.kind == "assessed" else 0, "note": ""}
                   for s in body.scores if s.kind in ("assessed", "bonus")]
        cases.submit_task(world.session, world.runtime, user=task.assignee, work_task_id=task.id,
                          data={"body_key": body.key, "entries": entries}, now=at(date(YEAR, 12, 21)))


def _group_entries(evaluation) -> list[dict]:  # noqa: ANN001
    entries = []
    for body, score in evaluation_scoring.scoring_rows(evaluation):
        value, reason = evaluation_scoring.group_defaults(score)
        if body.name == "青石村" and score.kind == "bonus":
            value = 3
        if body.name == "青石村" and score.content.startswith("网格组织健全"):
            value, reason = score.points - 2, "网格员名册未及时更新"
        entries.append({"score_id": score.id, "score": value, "deduction_reason": reason})
    return entries


def test_totals_caps_vetoes_grades_and_ranks(year):  # noqa: ANN001
    world, counts = year
    instance = open_case(world)
    tasks = world.session.scalars(select(WorkTask).where(WorkTask.instance_id == instance.id,
                                                         WorkTask.step_key == "self_assess")).all()
    assignees = {evaluation_scoring.body_for_task(world.session, world.runtime, t).name: t.assignee.username
                 for t in tasks}
    assert assignees["石桥村"] == "clerk_shiqiao" and assignees["青石村"] == "clerk"
    assert all(assignees[d.organ] == "clerk" for d in world.departments)
    _self_assess_all(world, instance)
    evaluation = evaluation_scoring.evaluation_of(world.session, instance)
    entries = _group_entries(evaluation)
    missing_reason = [dict(e) for e in entries]
    deduction = next(e for e in missing_reason if e["deduction_reason"] == "网格员名册未及时更新")
    deduction["deduction_reason"] = ""
    with pytest.raises(InvalidInput, match="青石村的评分有1处需要修改") as refused:
        evaluation_group.group_score(world.session, evaluation=evaluation, entries=missing_reason,
                                     now=at(date(YEAR, 12, 22)))
    assert list(refused.value.fields.values()) == ["扣分须填写扣分原因。"]
    world.submit(instance.id, "group_score", "office_head", {"entries": entries}, at(date(YEAR, 12, 22)))
    world.submit(instance.id, "approve", "leader", {}, at(date(YEAR, 12, 23)))
    world.session.commit()

    totals = {b.name: (b.total, b.grade, b.rank) for b in evaluation.bodies}
    # assessed 3 + 10 + 10 (网格组织健全 5 points, 2 deducted); patrols 2.5 of 5
    qingshi = round_score(round_score(10 * 3 / counts["ua"]) + 5 + 5 + 10 + 5 + 23 + 2.5 + 10 + 10 + 10 + 3)
    d0, d1, d2 = world.departments[:3]
    assert totals["石桥村"][:2] == (0.0, "不合格")  # the veto: a fire with a death
    assert totals["河湾社区"][:2] == (75.0, "合格")
    assert totals[d0.organ][:2] == (80.0, "良好") and totals[d1.organ][:2] == (82.5, "良好")
    assert totals[d2.organ][:2] == (75.0, "合格")
    others = [totals[d.organ] for d in world.departments[3:]]
    assert all(t[:2] == (90.0, "优秀") for t in others)
    assert totals["青石村"][0] == qingshi and totals["青石村"][1] == evaluation_results.grade_of(qingshi)
    ordered = sorted(totals.values(), key=lambda t: t[2])
    assert [t[0] for t in ordered] == sorted((t[0] for t in ordered), reverse=True)
    for total, _grade, rank in totals.values():  # ties share a rank: 1 + the number strictly better
        assert rank == 1 + sum(1 for other in totals.values() if other[0] > total)
    assert len({t[2] for t in others}) == 1 and totals["河湾社区"][2] == totals[d2.organ][2]
    assert evaluation.status == "approved" and world.session.get(ProcessInstance, instance.id).status == "completed"
    sheets = world.session.scalars(select(Document).where(Document.template_key == "evaluation_sheet")).all()
    assert len(sheets) == len(evaluation.bodies)
    notice = world.session.get(ProcessInstance, evaluation.notice_instance_id)
    assert notice.procedure == "notice_issuance" and notice.started_by.username == "clerk"


def test_caps_and_grade_bands():
    assert [evaluation_results.grade_of(v) for v in (100, 90, 89.9, 80, 79.9, 60, 59.9, 0)] == [
        "优秀", "优秀", "良好", "良好", "合格", "合格", "不合格", "不合格"]
    from webapp.procedures.evaluation.models import EvaluatedBody, ItemScore

    body = EvaluatedBody(name="测试村", scores=[
        ItemScore(kind="assessed", points=10, score=12, category="", content=""),  # over its points: capped
        ItemScore(kind="measured", points=90, score=85, category="", content=""),
        ItemScore(kind="bonus", points=5, score=9, category="", content=""),
        ItemScore(kind="veto", points=0, measured_value=0, category="", content=""),
    ])
    assert evaluation_results.total_of(body) == 100.0
    body.scores[3].measured_value = 2
    assert evaluation_results.total_of(body) == 0.0


def test_one_evaluation_per_year(year):  # noqa: ANN001
    world, _ = year
    open_case(world)
    world.session.commit()
    with pytest.raises(InvalidInput, match="已经发起"):
        open_case(world)
