"""Issue 19 item 5 (覆盖率、漏查): a town's units inspected in different months (real inspections through the
start form), then the month's rate per grid and per planned group, the units not visited, the units missed
N months running, and the 上旬 reminder for grid nodes without a plan."""

from __future__ import annotations

from datetime import date

import pytest

from tests import factories
from tests.coverage_support import september_town
from tests.web.test_inspection_flow import at
from webapp.cases import coverage, registry
from webapp.models import GridPost
from webapp.procedures.inspection import plans
from webapp.workdays import WorkdayCalendar


@pytest.fixture()
def september(app, session, small_town, sign_in) -> factories.SmallTown:  # noqa: ANN001
    return september_town(app, session, small_town, sign_in)


def names(statuses: list[coverage.UnitStatus]) -> dict[str, date | None]:
    return {s.unit.name: s.last_visit for s in statuses}


def test_inspection_hook_gives_visits_by_beijing_day(session, september):
    town = september.town
    visits = registry.unit_visits(session, town, date(2026, 9, 1), date(2026, 9, 30))
    first = september.units["丰收便利店"].id
    assert [(v.unit_id, v.day, v.kind) for v in visits] == [(first, date(2026, 9, 3), "检查")]
    august = registry.unit_visits(session, september.village, date(2026, 8, 1), date(2026, 8, 31))
    assert [(v.unit_id, v.day) for v in august] == [(september.units["丰收便利店"].id, date(2026, 8, 31))]
    assert registry.unit_visits(session, september.village.children[1], date(2026, 1, 1), date(2026, 12, 31)) == [
        registry.Visit(september.units["松香面馆"].id, date(2026, 6, 15), "检查")]


def test_month_rate_per_grid_and_not_visited(session, september):
    found = coverage.month_coverage(session, september.town, "2026-09")
    assert (found.total.total, found.total.visited, found.total.rate_text) == (5, 1, "20%")
    assert [(r.label, r.total, r.visited) for r in found.by_grid] == [("松林村", 2, 1), ("柳岸社区", 3, 0)]
    assert names(found.not_visited) == {"松香面馆": date(2026, 6, 15), "快乐网咖": date(2026, 8, 20),
                                        "柳岸客栈": None, "新开茶铺": None}
    visited = next(s for s in found.units if s.visits)
    assert (visited.unit.name, visited.last_visit, visited.kinds) == ("丰收便利店", date(2026, 9, 3), "检查")
    august = coverage.month_coverage(session, september.town, "2026-08")  # 新开茶铺 was not in the ledger yet
    assert (august.total.total, august.total.visited, august.total.rate_text) == (4, 2, "50%")
    drilled = coverage.month_coverage(session, september.other_village, "2026-09")
    assert [(r.label, r.total, r.visited) for r in drilled.by_grid] == [("柳岸一号院", 1, 0), ("柳岸老街", 2, 0)]
    assert coverage.month_coverage(session, september.town, "2026-09").by_group == []  # no plan this month


def test_missed_n_months_running(session, september):
    town = september.town
    missed = coverage.missed_months(session, town, "2026-09", 3)
    assert names(missed) == {"松香面馆": date(2026, 6, 15), "柳岸客栈": None}
    one_month = coverage.missed_months(session, town, "2026-09", 1)
    assert set(names(one_month)) == {"松香面馆", "快乐网咖", "柳岸客栈", "新开茶铺"}
    assert names(coverage.missed_months(session, town, "2026-09", 4)) == {"柳岸客栈": None}  # June's visit is inside
    assert names(coverage.missed_months(session, town, "2026-10", 2)) == {"松香面馆": date(2026, 6, 15),
                                                                          "快乐网咖": date(2026, 8, 20),
                                                                          "柳岸客栈": None, "新开茶铺": None}


def test_rate_per_planned_group(session, september):
    users = september.users
    extra = factories.user(session, "inspector3", "inspector", scope=september.town)
    plan = plans.create_plan(session, user=users["clerk"], grid=september.town, day=date(2026, 9, 8),
                             groups=[[users["inspector"].id, users["inspector2"].id],
                                     [users["village_inspector"].id, extra.id]], now=at("2026-09-02T09:00"))
    session.commit()
    dealt = {g.name: {a.unit_id for a in plan.assignments if a.group_id == g.id} for g in plan.groups}
    rows = coverage.month_coverage(session, september.town, "2026-09").by_group
    assert [r.label.split("（")[0] for r in rows] == ["第1检查组", "第2检查组"]
    first = september.units["丰收便利店"].id
    for row, unit_ids in zip(rows, dealt.values(), strict=True):
        assert row.unit_ids == unit_ids and row.visited == (1 if first in unit_ids else 0)
        assert dict(row.args) == {"plan_id": plan.id}
    village_rows = coverage.month_coverage(session, september.village, "2026-09").by_group  # the town's plan, cut
    assert sum(r.total for r in village_rows) == 2 and all(r.label.startswith("松林镇 ") for r in village_rows)


def test_plan_reminder_in_the_first_ten_days_only(session, small_town):
    calendar, users = WorkdayCalendar(), small_town.users
    town_clerk, village_clerk = users["clerk"], users["village_clerk"]
    session.add(GridPost(node=small_town.other_village.children[1], post="grid_head", person_name="鲁卫平",
                         user_id=users["village_inspector"].id))
    session.commit()
    day3 = date(2026, 9, 3)
    assert [r.grid.name for r in coverage.plan_reminders(session, town_clerk, day3, calendar)] == ["松林村", "柳岸社区"]
    reminder = coverage.plan_reminders(session, village_clerk, day3, calendar)[0]
    # 3–10 September 2026: Thu, Fri, then Mon–Thu
    assert (reminder.grid.name, reminder.units, reminder.deadline, reminder.workdays_left) == (
        "松林村", 2, date(2026, 9, 10), 6)
    assert [r.grid.name for r in coverage.plan_reminders(session, users["village_inspector"], day3, calendar)] == [
        "柳岸老街"]
    assert coverage.plan_reminders(session, town_clerk, date(2026, 9, 15), calendar) == []
    plans.create_plan(session, user=village_clerk, grid=small_town.village, day=date(2026, 9, 8),
                      groups=[[users["village_inspector"].id, users["inspector"].id]], now=at("2026-09-02T09:00"))
    session.commit()
    assert coverage.plan_reminders(session, village_clerk, day3, calendar) == []
    assert [r.grid.name for r in coverage.plan_reminders(session, town_clerk, day3, calendar)] == ["柳岸社区"]
    assert coverage.plan_reminders(session, town_clerk, date(2026, 10, 3), calendar)[0].month == "2026-10"
