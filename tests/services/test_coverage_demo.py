"""Issue 19 acceptance: the coverage page's numbers equal a count done directly on the database for the demo year."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select, text

from webapp.cases import coverage
from webapp.clock import TZ
from webapp.demo import history as demo_history
from webapp.demo import organisation as demo_service
from webapp.models import GridNode, User

TODAY = datetime(2026, 12, 3, 10, 0, tzinfo=TZ)
# Every table whose rows are visits of a unit: (table, unit column, time column). A procedure that records visits
# (the patrols' table) adds its own line here.
VISIT_TABLES = [("inspection", "unit_id", "inspected_at"), ("patrol", "unit_id", "patrolled_at")]

UNITS_SQL = """SELECT u.id FROM unit u JOIN grid_node g ON g.id = u.grid_id
               WHERE g.path LIKE :path || '%' AND u.created_at < :until"""


def _visited_sql() -> str:
    union = " UNION ".join(f"SELECT {unit} AS unit_id, {moment} AS moment FROM {table}"
                           for table, unit, moment in VISIT_TABLES)
    return f"""SELECT DISTINCT v.unit_id FROM ({union}) v
               WHERE v.moment >= :start AND v.moment < :until AND v.unit_id IN ({UNITS_SQL})"""


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), TZ)


def sql_month(session, node: GridNode, month: str) -> tuple[set[int], set[int]]:  # noqa: ANN001
    first, last = coverage.month_days(month)
    until = _midnight(last + timedelta(days=1))
    found = set(session.scalars(text(UNITS_SQL), {"path": node.path, "until": until}))
    visited = set(session.scalars(text(_visited_sql()), {"path": node.path, "start": _midnight(first), "until": until}))
    return found, visited


@pytest.fixture()
def demo_year(app, session):  # noqa: ANN001, ANN201
    demo_service.load_demo(session, now=TODAY)
    session.commit()
    demo_history.play(session, app.extensions["firegrid.runtime"], app.extensions["firegrid.clock"], TODAY)
    app.extensions["firegrid.clock"].set(TODAY)
    return session.scalars(select(GridNode).where(GridNode.level == "town")).all()


@pytest.mark.slow
def test_month_by_month_numbers_equal_a_direct_count(session, demo_year, sign_in):
    towns = demo_year
    assert towns
    for town in towns:
        for node in [town, *town.children]:
            for number in range(1, 13):
                month = f"2026-{number:02d}"
                found = coverage.month_coverage(session, node, month)
                units, visited = sql_month(session, node, month)
                assert (found.total.unit_ids, found.total.visited_ids & found.total.unit_ids) == (units, visited), (
                    node.name, month)
                assert {s.unit.id for s in found.not_visited} == units - visited
            december = {s.unit.id for s in coverage.missed_months(session, node, "2026-12", 3)}
            october_units, _ = sql_month(session, node, "2026-10")
            visited = set().union(*(sql_month(session, node, f"2026-{n}")[1] for n in (10, 11, 12)))
            assert december == october_units - visited
    clerk = session.scalar(select(User).where(User.username == "clerk"))
    units, visited = sql_month(session, clerk.scope, "2026-11")
    assert units and visited  # the demo inspects its units every month
    html = sign_in("clerk", demo_service.DEMO_PASSWORD).get("/coverage/?month=2026-11").get_data(as_text=True)
    shown = dict(re.findall(r'data-total="(\w+)">([^<]+)<', html))
    assert (int(shown["units"]), int(shown["visited"])) == (len(units), len(visited))
