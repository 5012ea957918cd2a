"""Patrols (巡查) through the services on a real database: the record, its leads, the inspection that takes
them up, the ledger, the unit file, coverage visits and the year-end count."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from webapp.cases import actions as cases
from webapp.cases import leads, photos, registry
from webapp.clock import TZ
from webapp.demo.scans import photo_png
from webapp.models import HazardLead
from webapp.procedures.evaluation import metrics
from webapp.procedures.inspection import reports
from webapp.procedures.inspection.models import Inspection
from webapp.procedures.inspection.setup import checklist_for
from webapp.procedures.patrol import patrols
from webapp.procedures.patrol.models import Patrol
from webapp.services import jobs, uploads
from webapp.services.errors import InvalidInput, OutOfScope

MOMENT = datetime(2026, 11, 20, 15, 0, tzinfo=TZ)


@pytest.fixture()
def runtime(app):  # noqa: ANN001, ANN201
    return app.extensions["firegrid.runtime"]


def photo(session, runtime, seed: int = 1) -> dict:  # noqa: ANN001
    return uploads.store_upload(session, runtime.documents.store, content=photo_png(seed), filename=f"现场{seed}.png",
                                now=MOMENT)


def hazard(category: str, sentence: str, *, fixed: bool = False, photos: list | None = None) -> dict:
    return {"category": category, "description": sentence, "fixed_on_spot": "yes" if fixed else "no",
            "photos": photos or []}


def patrol_with(session, runtime, town, unit_name: str, hazards: list[dict], *, user="inspector",  # noqa: ANN001
                moment: datetime = MOMENT, **extra) -> Patrol:
    data = {"outcome": "hazard" if hazards else "none", "hazards": hazards, "checkin_latitude": "",
            "checkin_longitude": "", "checkin_accuracy": "", **extra}
    found = patrols.start_patrol(session, runtime, user=town.users[user], unit=town.units[unit_name], data=data,
                                 now=moment)
    session.commit()
    return found


def test_no_problem_is_a_finished_case_a_visit_and_a_unit_file_entry(session, runtime, small_town):
    patrol = patrol_with(session, runtime, small_town, "丰收便利店", [], checkin_latitude="30.123456",
                         checkin_longitude="114.5", checkin_accuracy="12")
    assert patrol.no_problem and patrol.instance.status == "completed"
    assert (patrol.checkin_latitude, patrol.checkin_longitude, patrol.checkin_accuracy) == (30.123456, 114.5, 12.0)
    assert patrol.checkin_distance is None and not patrol.checkin_far  # the unit has no registered point
    assert session.scalars(select(HazardLead)).all() == []
    visits = registry.unit_visits(session, small_town.town, date(2026, 11, 1), date(2026, 11, 30))
    shop = small_town.units["丰收便利店"].id
    assert [(v.unit_id, v.day, v.kind) for v in visits] == [(shop, date(2026, 11, 20), "巡查")]
    assert registry.unit_visits(session, small_town.town, date(2026, 11, 21), date(2026, 11, 30)) == []
    assert registry.unit_visits(session, small_town.other_village, date(2026, 11, 1), date(2026, 11, 30)) == []
    events = [e for e in registry.unit_events(session, small_town.units["丰收便利店"]) if e.kind == "巡查"]
    assert len(events) == 1 and "未发现问题" in events[0].summary and events[0].state == ""
    assert dict(events[0].args) == {"instance_id": patrol.instance_id}


def test_a_check_in_far_from_the_units_point_is_flagged(session, runtime, small_town):
    unit = small_town.units["丰收便利店"]
    unit.latitude, unit.longitude = 30.0, 114.0
    near = patrol_with(session, runtime, small_town, "丰收便利店", [], checkin_latitude="30.001",
                       checkin_longitude="114.0", checkin_accuracy="15")
    far = patrol_with(session, runtime, small_town, "丰收便利店", [], checkin_latitude="30.01",
                      checkin_longitude="114.0")
    assert round(near.checkin_distance) == 111 and not near.checkin_far  # 0.001° of latitude ≈ 111 m
    assert round(far.checkin_distance) == 1112 and far.checkin_far  # beyond the town's default 300 m


def test_a_hazard_not_fixed_becomes_an_open_lead_with_its_photos(session, runtime, small_town):
    shot = photo(session, runtime)
    patrol = patrol_with(session, runtime, small_town, "丰收便利店", [
        hazard("疏散通道堵塞", "后门通道堆放纸箱", photos=[shot]),
        hazard("消防设施损坏缺失", "灭火器过期", fixed=True)])
    assert [(h.category, h.fixed_on_spot, h.lead_id is not None) for h in patrol.hazards] == [
        ("疏散通道堵塞", False, True), ("消防设施损坏缺失", True, False)]
    [lead] = leads.open_leads(session, small_town.units["丰收便利店"].id)
    assert (lead.source, lead.category) == ("巡查", "疏散通道堵塞")
    assert lead.photos == [{**shot, "photo": lead.photos[0]["photo"]}]  # the original, its copy to be made
    assert lead.status_label == "待检查核实"
    assert lead.reporter_name == small_town.users["inspector"].display_name
    [event] = [e for e in registry.unit_events(session, small_town.units["丰收便利店"]) if e.kind == "巡查"]
    assert event.photo_keys == (shot["file"],)  # the original until the background job made the print copy
    jobs.run_due_jobs(session, runtime, worker="test", clock=lambda: patrol.patrolled_at)
    [printed] = photos.resolve(session, lead.photos)
    assert printed["print_file"] != shot["file"] and printed["file"] == shot["file"]
    [event] = [e for e in registry.unit_events(session, small_town.units["丰收便利店"]) if e.kind == "巡查"]
    assert event.state == "待检查核实" and event.photo_keys == (printed["print_file"],)  # the print copy
    assert "疏散通道堵塞：后门通道堆放纸箱（待检查核实）" in event.summary and "（当场整改）" in event.summary


def test_refusals(session, runtime, small_town):
    with pytest.raises(OutOfScope):  # a village's worker, a unit of the other village
        patrol_with(session, runtime, small_town, "快乐网咖", [], user="village_inspector")
    session.rollback()
    with pytest.raises(OutOfScope):  # patrolling is a grid worker's
        patrol_with(session, runtime, small_town, "丰收便利店", [], user="clerk")
    session.rollback()
    with pytest.raises(InvalidInput, match="不在列表中"):
        patrol_with(session, runtime, small_town, "丰收便利店", [hazard("随便", "一句话")])
    session.rollback()
    with pytest.raises(InvalidInput, match="至少填写一项隐患"):
        patrol_with(session, runtime, small_town, "丰收便利店", [], outcome="hazard")
    session.rollback()
    assert session.scalars(select(Patrol)).all() == []


def _inspection_data(session, small_town, unit_name: str, lead_results: dict[int, str]) -> dict:  # noqa: ANN001
    unit = small_town.units[unit_name]
    items = [{"item_id": str(i.id), "item_name": i.name, "result": "passed"}
             for i in checklist_for(session, unit.grid, unit.category)]
    items += [{"item_id": "", "lead_id": str(lead_id), "item_name": "线索", "result": result,
               "description": "后门通道堆放纸箱", "location": "后门", "photos": [], "corrected_on_spot": False}
              for lead_id, result in lead_results.items()]
    inspectors = [small_town.users["inspector"].id, small_town.users["inspector2"].id]
    return {"unit_id": unit.id, "unit_name": unit.name, "inspected_on": "2026-11-25", "inspected_time": "10:00",
            "inspector_ids": inspectors, "items": items, "major_hazard": False, "measures": "",
            "unit_representative": ""}


def _ledger_rows(session, user, year: int = 2026) -> list[tuple]:  # noqa: ANN001
    book = load_workbook(BytesIO(reports.ledger_xlsx(session, user, year)))
    rows = list(book.active.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "序号")
    return rows[header + 1:]


def test_the_next_inspection_takes_the_lead_up_and_the_ledger_follows(session, runtime, small_town):
    shot = photo(session, runtime)
    patrol_with(session, runtime, small_town, "丰收便利店", [hazard("疏散通道堵塞", "后门通道堆放纸箱", photos=[shot])])
    patrol_with(session, runtime, small_town, "松香面馆", [hazard("电气线路私拉乱接", "厨房插线板串接")])
    clerk = small_town.users["clerk"]
    before = _ledger_rows(session, clerk)
    assert [(r[2], r[6], r[15]) for r in before] == [("丰收便利店", "巡查线索：疏散通道堵塞", "待检查核实"),
                                                     ("松香面馆", "巡查线索：电气线路私拉乱接", "待检查核实")]
    [lead] = leads.open_leads(session, small_town.units["丰收便利店"].id)
    [other] = leads.open_leads(session, small_town.units["松香面馆"].id)
    unit = small_town.units["丰收便利店"]
    moment = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)
    instance = cases.start_case(session, runtime, procedure_key="inspection", user=small_town.users["inspector"],
                                grid=unit.grid, unit=unit, title="检查", now=moment,
                                data=_inspection_data(session, small_town, "丰收便利店", {lead.id: "hazard"}))
    session.commit()
    assert (lead.status, lead.taken_up_instance_id, lead.status_label) == ("confirmed", instance.id, "检查已核实")
    inspection = session.scalar(select(Inspection).where(Inspection.instance_id == instance.id))
    [found] = inspection.hazards
    assert found.status == "open" and [p["file"] for p in found.photos] == [shot["file"]]  # the patrol's photo
    assert leads.files_taken_up_by(session, instance) == {shot["file"]: shot["name"]}
    after = _ledger_rows(session, clerk)
    assert [(r[2], r[15]) for r in after] == [("松香面馆", "待检查核实"), ("丰收便利店", "整改中")]
    # a lead is taken up once: a second inspection naming it is refused as a whole
    with pytest.raises(InvalidInput, match="巡查线索"):
        cases.start_case(session, runtime, procedure_key="inspection", user=small_town.users["inspector"],
                         grid=unit.grid, unit=unit, title="检查", now=moment,
                         data=_inspection_data(session, small_town, "丰收便利店", {lead.id: "hazard"}))
    session.rollback()
    # nor may an inspection of one unit take up another unit's lead
    with pytest.raises(InvalidInput, match="巡查线索"):
        cases.start_case(session, runtime, procedure_key="inspection", user=small_town.users["inspector"],
                         grid=unit.grid, unit=unit, title="检查", now=moment,
                         data=_inspection_data(session, small_town, "丰收便利店", {other.id: "passed"}))
    session.rollback()
    assert session.get(HazardLead, other.id).status == "open"


def test_an_inspection_that_finds_the_lead_gone_says_so(session, runtime, small_town):
    patrol_with(session, runtime, small_town, "丰收便利店", [hazard("安全出口锁闭", "侧门上锁")])
    [lead] = leads.open_leads(session, small_town.units["丰收便利店"].id)
    unit = small_town.units["丰收便利店"]
    instance = cases.start_case(session, runtime, procedure_key="inspection", user=small_town.users["inspector"],
                                grid=unit.grid, unit=unit, title="检查", now=datetime(2026, 11, 25, 10, tzinfo=TZ),
                                data=_inspection_data(session, small_town, "丰收便利店", {lead.id: "passed"}))
    session.commit()
    assert lead.status_label == "检查未发现" and instance.status == "completed"
    assert [(r[2], r[15]) for r in _ledger_rows(session, small_town.users["clerk"])] == [("丰收便利店", "检查未发现")]


def test_patrols_count_for_the_village_in_the_year(session, runtime, small_town):
    patrol_with(session, runtime, small_town, "丰收便利店", [])
    patrol_with(session, runtime, small_town, "松香面馆", [hazard("其他", "门口堆放杂物")])
    patrol_with(session, runtime, small_town, "快乐网咖", [])  # the other village
    patrol_with(session, runtime, small_town, "丰收便利店", [], moment=datetime(2025, 12, 30, 9, tzinfo=TZ))
    target = metrics.Target("village:1", "village", small_town.village.name, small_town.village)
    measure = metrics.measure(session, "patrols", target, 2026, date(2026, 12, 31))
    assert (measure.value, measure.text) == (2.0, "2次")
    assert sorted(r.detail.split("，")[1] for r in measure.records) == ["发现隐患1处", "未发现问题"]
    assert metrics.measure(session, "patrols", target, 2026, date(2026, 11, 19)).value == 0.0


def test_the_months_list_in_scope(session, runtime, small_town):
    patrol_with(session, runtime, small_town, "丰收便利店", [])
    patrol_with(session, runtime, small_town, "快乐网咖", [], user="inspector2")
    town_wide = patrols.patrols_in_scope(session, small_town.users["clerk"], "2026-11", mine=False)
    assert sorted(p.unit.name for p in town_wide) == ["丰收便利店", "快乐网咖"]
    mine = patrols.patrols_in_scope(session, small_town.users["inspector"], "2026-11", mine=True)
    assert [p.unit.name for p in mine] == ["丰收便利店"]
    village = patrols.patrols_in_scope(session, small_town.users["village_inspector"], "2026-11", mine=False)
    assert [p.unit.name for p in village] == ["丰收便利店"]
    assert patrols.patrols_in_scope(session, small_town.users["clerk"], "2026-10", mine=False) == []
    with pytest.raises(InvalidInput):
        patrols.patrols_in_scope(session, small_town.users["clerk"], "2026-13", mine=False)
