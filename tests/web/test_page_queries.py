"""Cheap pages (issue 24, item 2): the SQL statements a page sends do not grow with its rows, and list
pages never deserialize a workflow. Each page is counted with 1 row and with 10 rows of data (an SQLAlchemy
event listener on the engine counts every statement sent)."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from tests import factories
from tests.inbox_support import count_queries
from tests.web.test_inspection_flow import at, start_inspection
from webapp.engine.runtime import WorkflowEngine
from webapp.extensions import db
from webapp.models import WorkTask


@pytest.fixture()
def deserialized(monkeypatch) -> list[str]:
    """Every workflow deserialization while a page is built (the engine's own method, observed)."""
    calls: list[str] = []
    original = WorkflowEngine.deserialize

    def observed(self, text):  # noqa: ANN001, ANN202
        calls.append(text[:20])
        return original(self, text)

    monkeypatch.setattr(WorkflowEngine, "deserialize", observed)
    return calls


def _statements(app, visitor, url: str) -> list[str]:
    with app.app_context():
        engine = db.engine
    with count_queries(engine) as statements:
        response = visitor.get(url)
    assert response.status_code == 200, url
    return statements


def _unit_with(session, small_town, name: str, inspections: int, inspector, walker, hazards: int):  # noqa: ANN001
    """A unit with `inspections` inspections (the last with `hazards` hazards) and as many patrols."""
    unit = factories.unit(session, small_town.village.children[0], name, responsible_person="林店主",
                          responsible_phone="13900000001")
    session.commit()
    for index in range(inspections):
        found = hazards if index == inspections - 1 else 1
        case = start_inspection(inspector, session, unit, {j: f"问题{j}" for j in range(found)})
        assert walker.post("/patrol/new", {"unit_id": unit.id, "outcome": "none"}).status_code == 302
    return unit, case


def test_pages_send_as_many_statements_for_10_rows_as_for_1(app, session, small_town, sign_in, deserialized):
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    inspector, clerk = sign_in("inspector"), sign_in("clerk")
    counted: dict[int, dict[str, list[str]]] = {}
    read: dict[int, dict[str, int]] = {}
    for rows in (1, 10):
        unit, case = _unit_with(session, small_town, f"第{rows}商店", rows, inspector, inspector, hazards=rows)
        task = session.scalar(select(WorkTask).where(WorkTask.instance_id == case.id))
        pages = {"inbox": "/tasks/", "case": f"/cases/{case.id}", "task": f"/tasks/{task.id}",
                 "unit": f"/units/{unit.id}"}
        counted[rows], read[rows] = {}, {}
        for page, url in pages.items():
            before = len(deserialized)
            counted[rows][page] = _statements(app, clerk, url)
            read[rows][page] = len(deserialized) - before
    for page in counted[1]:
        one, ten = counted[1][page], counted[10][page]
        grown = {s: n for s, n in Counter(ten).items() if n > Counter(one)[s]}
        assert len(ten) <= len(one), f"{page}: {len(one)} → {len(ten)} statements; grown: {grown}"
    assert read[10]["inbox"] == read[10]["unit"] == 0  # list pages read the task projection, not the workflow
    assert read[10]["case"] <= 1 and read[10]["task"] <= 1
    seen = len(deserialized)  # the case page seen again: its progress is kept per saved state
    assert clerk.get(f"/cases/{case.id}").status_code == 200 and len(deserialized) == seen
    # the 10-row pages really show 10 rows
    assert counted[10]["inbox"] and clerk.get("/tasks/").get_data(as_text=True).count("拟制整改通知书") >= 11


def test_inspection_dashboard_reads_the_scope_once_however_many_grid_rows(app, session, small_town, sign_in):
    """检查整改 has a row per village: its statements do not grow with the villages (nor with their units,
    inspections and plans)."""
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    inspector, leader = sign_in("inspector"), sign_in("leader")
    start_inspection(inspector, session, small_town.units["丰收便利店"], {0: "问题0"})
    two_villages = _statements(app, leader, "/inspection/")
    for index in range(4):
        village = factories.village(session, small_town.town, f"新村{index}", areas=(f"新村{index}一组",))
        unit = factories.unit(session, village.children[0], f"新村{index}商店")
        session.commit()
        start_inspection(inspector, session, unit, {0: f"问题{index}"})
    six_villages = _statements(app, leader, "/inspection/")
    assert len(six_villages) <= len(two_villages), (two_villages, six_villages)
    page = leader.get("/inspection/").get_data(as_text=True)
    assert all(f"新村{index}" in page for index in range(4))


def test_finished_case_without_hazards_reads_no_open_tasks_or_follow_ups(app, session, small_town, sign_in):
    """A completed case has no open tasks, and an inspection without hazards no 整改计划, 约谈, 移交 or unit
    submissions (they all follow a 整改通知书): its page asks for none of them, and still shows the record."""
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    inspector, clerk = sign_in("inspector"), sign_in("clerk")
    unit, case = _unit_with(session, small_town, "无隐患商店", 1, inspector, inspector, hazards=0)
    session.refresh(case)
    assert case.status == "completed"
    statements = _statements(app, clerk, f"/cases/{case.id}")
    asked = [s for s in statements if any(f"FROM {table}" in s for table in (
        "inspection_rectification_plan", "inspection_interview", "inspection_referral_addressee",
        "inspection_unit_submission"))]
    assert not [s for s in statements if s.startswith("SELECT work_task.")], statements
    assert not asked, asked
    assert "检查情况" in clerk.get(f"/cases/{case.id}").get_data(as_text=True)
