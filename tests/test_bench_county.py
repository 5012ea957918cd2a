"""bench/county.py at a small scale: the generated county has the asked numbers of units, finished cases and
open tasks, and the cloned (not the template) cases of its second town open like the product's own."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from sqlalchemy import func, select

from tests import factories
from tests.conftest import Browser
from tests.services import test_coverage_totals as coverage_totals
from tests.services import test_inspection_month_totals as month_totals
from webapp.models import CaseEvent, ProcessInstance, Unit, WorkTask
from webapp.procedures.inspection.models import Hazard, Inspection
from webapp.procedures.patrol.models import Patrol

_spec = importlib.util.spec_from_file_location("bench_county", Path(__file__).parents[1] / "bench" / "county.py")
county_bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_county"] = county_bench  # dataclasses look their module up
_spec.loader.exec_module(county_bench)


def _count(session, *what) -> int:  # noqa: ANN001
    return session.scalar(select(func.count()).select_from(what[0]).where(*what[1:]))


def test_small_county_is_generated_and_its_pages_answer(app, session) -> None:  # noqa: ANN001
    scale = county_bench.Scale(towns=2, units=12, finished=40, open_tasks=6, villages=1)
    county = county_bench.generate(app, scale, batch=7, log=lambda line: None)

    assert _count(session, Unit) == 12
    assert _count(session, ProcessInstance, ProcessInstance.status == "completed") == 40
    assert _count(session, ProcessInstance, ProcessInstance.status == "running") == 6
    assert _count(session, WorkTask, WorkTask.waiting.is_(False)) == 6
    assert _count(session, Patrol) == 20 and _count(session, Inspection) == 26 and _count(session, Hazard) == 6
    # the cloned inspections and hazards (by COPY on PostgreSQL) are in the monthly totals the reports read
    assert month_totals.kept(session) == month_totals.direct(session)
    assert sum(found[0] for found in month_totals.kept(session).values()) == 26
    # and the units and their visits in the coverage totals of the county overview, every month of the history
    months = [coverage_totals.shift_month("2025-08", n) for n in range(15)]  # the units' entry … after MOMENT
    coverage_totals.assert_exact(session, months)
    assert sum(v for _, v in coverage_totals.kept(session, f"{county_bench.MOMENT:%Y-%m}").values()) > 0
    # every case has its own history, in its own unit's town
    assert _count(session, CaseEvent) >= 46
    assert session.scalar(select(func.count(func.distinct(CaseEvent.instance_id)))) == 46

    second = county.towns[1]
    unit = session.scalar(select(Unit).where(Unit.grid_id.in_([a.id for a in second.areas])).order_by(Unit.id))
    cases = list(session.scalars(select(ProcessInstance).where(ProcessInstance.unit_id == unit.id)))
    finished = [c for c in cases if c.status == "completed"]
    running = [c for c in cases if c.status == "running"]
    assert finished and running and all(c.grid_id == unit.grid_id for c in cases)
    assert all(unit.name in c.title for c in cases)

    clerk = Browser(app.test_client())
    clerk.login("t01_clerk", factories.PASSWORD)
    app.extensions["firegrid.clock"].set(county_bench.MOMENT)
    inbox = clerk.get("/tasks/")
    assert inbox.status_code == 200
    assert unit.name in inbox.get_data(as_text=True)  # the cloned task reaches the target town's clerk
    assert "基准单位000000" not in inbox.get_data(as_text=True)  # the template's, in the first town
    page = clerk.get(f"/units/{unit.id}")
    assert page.status_code == 200
    for case in cases:
        shown = clerk.get(f"/cases/{case.id}")
        assert shown.status_code == 200, case.title
        assert unit.name in shown.get_data(as_text=True)
    task = session.scalar(select(WorkTask).where(WorkTask.instance_id == running[0].id))
    form = clerk.get(f"/tasks/{task.id}")
    assert form.status_code == 200
    assert re.search(r"疏散通道堆放杂物", form.get_data(as_text=True))  # its own hazard row, read from the DB
    leader = Browser(app.test_client())
    leader.login("t01_leader", factories.PASSWORD)
    assert leader.get("/reports/?period=2026-09").status_code == 200
    supervisor = Browser(app.test_client())
    supervisor.login("county_supervisor", factories.PASSWORD)
    overview = supervisor.get("/county/")
    assert overview.status_code == 200 and second.node.name in overview.get_data(as_text=True)
    assert supervisor.get("/reports/?period=2026-09").status_code == 200
    app.extensions["firegrid.clock"].set(None)
