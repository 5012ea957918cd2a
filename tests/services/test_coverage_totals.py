"""The coverage totals the database keeps per grid and month (`grid_unit_total`, `grid_visit_total`, migration
0046cover) equal a direct count of the units and of the procedures' visits (`registry.visited_unit_ids`, as the
county overview counted before) after every kind of change: units entered mid-month, moved to another grid and
town, re-dated and deleted; inspections and patrols recorded, re-dated across a month's end (Beijing time), given
another unit, deleted one by one and in bulk; visits and moves at once in several transactions; the migration's
backfill of an existing database. And every procedure that records visits has the triggers that keep them."""

from __future__ import annotations

import time as clock
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time

from flask_migrate import downgrade, upgrade
from sqlalchemy import Column, delete, func, select, text, update
from sqlalchemy.sql import visitors

from tests import factories
from tests.services.test_inspection_month_totals import _inspect
from tests.services.test_patrol_services import patrol_with
from tests.thread_support import run_in_threads
from tests.web.test_county import Actor
from webapp.cases import registry
from webapp.cases.coverage import month_days, shift_month
from webapp.clock import TZ
from webapp.extensions import db
from webapp.models import GridUnitTotal, GridVisitTotal, HazardLead, Unit
from webapp.procedures.patrol.models import Patrol

MONTHS = [shift_month("2025-12", n) for n in range(14)]  # 2025-12 … 2027-01: every month the tests touch


def _month_end(month: str) -> datetime:
    return datetime.combine(month_days(shift_month(month, 1))[0], time(), TZ)


def direct(session, month: str) -> dict[int, tuple[int, int]]:  # noqa: ANN001
    """(units at the month's end, those visited in the month) per grid, counted from the units and the procedures'
    own queries of visited units, as the county overview counted them before the totals."""
    first, last = month_days(month)
    units = dict(session.execute(select(Unit.grid_id, func.count(Unit.id))
                                 .where(Unit.created_at < _month_end(month)).group_by(Unit.grid_id)).all())
    visited_ids = set()
    for query in registry.visited_unit_ids(first, last):
        visited_ids |= set(session.scalars(query))
    visited = Counter(session.scalars(select(Unit.grid_id).where(Unit.id.in_(visited_ids),
                                                                 Unit.created_at < _month_end(month))))
    return {grid: (count, visited[grid]) for grid, count in units.items() if count}


def kept(session, month: str) -> dict[int, tuple[int, int]]:  # noqa: ANN001
    """The same from the kept totals, as coverage.town_figures reads them."""
    session.expire_all()
    units = Counter()
    for row in session.scalars(select(GridUnitTotal).where(GridUnitTotal.month <= month)):
        units[row.grid_id] += row.units
    visited = {row.grid_id: row.units for row in session.scalars(select(GridVisitTotal)
                                                                 .where(GridVisitTotal.month == month))}
    assert set(visited) - {grid for grid, count in units.items() if count} <= {g for g, v in visited.items() if not v}
    return {grid: (count, visited.get(grid, 0)) for grid, count in units.items() if count}


def assert_exact(session, months: list[str] = MONTHS) -> None:  # noqa: ANN001
    """Kept == direct in each of the months (those the tests touch), and the unit rows by month of entry as a
    Python count."""
    for month in months:
        assert kept(session, month) == direct(session, month), month
    entered = Counter((u.grid_id, f"{u.created_at.astimezone(TZ):%Y-%m}") for u in session.scalars(select(Unit)))
    rows = {(r.grid_id, r.month): r.units for r in session.scalars(select(GridUnitTotal)) if r.units}
    assert rows == dict(entered)


def test_totals_follow_every_change_of_units_and_visits(app, session, small_town):  # noqa: ANN001
    runtime = app.extensions["firegrid.runtime"]
    shop, noodles, cafe = (small_town.units[name] for name in ("丰收便利店", "松香面馆", "快乐网咖"))
    late = _inspect(Actor(app, session), shop, date(2026, 9, 30), "23:59")  # September in Beijing
    patrol = patrol_with(session, runtime, small_town, "松香面馆", [], moment=datetime(2026, 9, 12, 10, tzinfo=TZ))
    patrol_with(session, runtime, small_town, "丰收便利店", [], moment=datetime(2026, 8, 3, 10, tzinfo=TZ))
    session.commit()
    assert_exact(session)
    assert kept(session, "2026-09")[shop.grid_id] == (1, 1) and kept(session, "2026-08")[shop.grid_id] == (1, 1)

    late.inspected_at = datetime(2026, 10, 1, 0, 0, tzinfo=TZ)  # a minute later: October
    session.commit()
    assert_exact(session)
    assert kept(session, "2026-09")[shop.grid_id] == (1, 0) and kept(session, "2026-10")[shop.grid_id] == (1, 1)

    # a unit entered mid-September: in September's units and after, not August's; visited by a bulk insert
    new = factories.unit(session, shop.grid, "九月新店")
    new.created_at = datetime(2026, 9, 15, 8, 0, tzinfo=TZ)
    session.commit()
    assert_exact(session)
    assert kept(session, "2026-08")[shop.grid_id] == (1, 1) and kept(session, "2026-09")[shop.grid_id] == (2, 0)
    # three patrols of other units given to it by one bulk UPDATE (two in September, one in August, before it
    # was entered: not counted)
    moments = [datetime(2026, 9, 20, 9, tzinfo=TZ), datetime(2026, 9, 21, 9, tzinfo=TZ),
               datetime(2026, 8, 21, 9, tzinfo=TZ)]
    ids = [patrol_with(session, runtime, small_town, "柳岸客栈", [], moment=moment).id for moment in moments]
    assert_exact(session)
    session.execute(update(Patrol).where(Patrol.id.in_(ids)).values(unit_id=new.id))
    session.commit()
    assert_exact(session)
    assert kept(session, "2026-09")[shop.grid_id] == (2, 1) and kept(session, "2026-08")[shop.grid_id] == (1, 1)

    # entered earlier after all (the demo moves entry dates so): now its August patrol counts
    session.execute(update(Unit).where(Unit.id == new.id).values(created_at=datetime(2026, 8, 1, 0, 0, tzinfo=TZ)))
    session.commit()
    assert_exact(session)
    assert kept(session, "2026-08")[shop.grid_id] == (2, 2)

    # moved to another village's small grid: counted there in every month it has a visit, gone from the old one
    old_grid = shop.grid_id
    shop.grid = cafe.grid
    session.commit()
    assert_exact(session)
    assert kept(session, "2026-10")[cafe.grid_id] == (2, 1) and kept(session, "2026-10")[old_grid] == (1, 0)
    assert kept(session, "2026-08")[cafe.grid_id] == (2, 1)

    # moved to another town altogether
    other = factories.town(session, "柳林镇", region=small_town.town.parent)
    away = factories.village(session, other, "柳林村")
    noodles.grid = away
    session.commit()
    assert_exact(session)
    assert kept(session, "2026-09")[away.id] == (1, 1)

    # a visit given to another unit, then deleted; patrols deleted one by one and in bulk
    patrol.unit_id = cafe.id
    session.commit()
    assert_exact(session)
    assert kept(session, "2026-09")[away.id] == (1, 0) and kept(session, "2026-09")[cafe.grid_id] == (2, 1)
    session.delete(late)
    session.commit()
    assert_exact(session)
    session.execute(delete(Patrol).where(Patrol.unit_id == new.id))
    session.commit()
    assert_exact(session)
    assert kept(session, "2026-09")[old_grid] == (1, 0)

    # a unit deleted (it has no visits left)
    session.execute(delete(Unit).where(Unit.id == new.id))
    session.commit()
    assert_exact(session)
    assert old_grid not in kept(session, "2026-09")



def test_visits_and_moves_at_once_are_all_counted(app, session, small_town):  # noqa: ANN001
    """Several transactions at once, each slow to commit after its trigger ran: four patrols of one small grid
    re-dated into a month, and a unit moved while its only visit moves into a month it had none in. Every one is
    counted where it belongs (without taking the key's row first, or the unit's row before a visit's recount,
    PostgreSQL lost some)."""
    runtime = app.extensions["firegrid.runtime"]
    shop, noodles, cafe = (small_town.units[name] for name in ("丰收便利店", "松香面馆", "快乐网咖"))
    units = [factories.unit(session, shop.grid, f"同格商店{n}") for n in range(4)]
    for unit in units:
        small_town.units[unit.name] = unit
    patrol_with(session, runtime, small_town, "丰收便利店", [], moment=datetime(2026, 9, 3, 9, tzinfo=TZ))
    august = [patrol_with(session, runtime, small_town, unit.name, [], moment=datetime(2026, 8, 3, 9, tzinfo=TZ)).id
              for unit in units]
    only = patrol_with(session, runtime, small_town, "松香面馆", [], moment=datetime(2026, 9, 5, 9, tzinfo=TZ)).id
    session.commit()
    assert kept(session, "2026-09")[shop.grid_id] == (5, 1) and kept(session, "2026-08")[shop.grid_id] == (5, 4)

    def redate(index: int) -> None:
        db.session.get(Patrol, august[index]).patrolled_at = datetime(2026, 9, 10, 9, tzinfo=TZ)
        db.session.flush()
        clock.sleep(0.3)  # hold the transaction open, so that the others count while it has not committed

    with _pause_in_each_update(session):
        results = run_in_threads(app, len(august), redate)
    assert results == [None] * len(august), results
    assert kept(session, "2026-09")[shop.grid_id] == (5, 5) and kept(session, "2026-08")[shop.grid_id] == (5, 0)
    assert_exact(session)

    def move_or_redate(index: int) -> None:
        if index == 0:
            db.session.get(Unit, noodles.id).grid_id = cafe.grid_id
        else:
            db.session.get(Patrol, only).patrolled_at = datetime(2026, 10, 5, 9, tzinfo=TZ)
        db.session.flush()
        clock.sleep(0.3)

    noodles_grid = noodles.grid_id
    for attempt in range(2):  # whichever flushes first
        results = run_in_threads(app, 2, move_or_redate)
        assert results == [None, None], results
        assert_exact(session)
        assert kept(session, "2026-10")[cafe.grid_id] == (2, 1)
        if attempt == 0:  # back as it was, for the second round
            session.get(Unit, noodles.id).grid_id = noodles_grid
            session.get(Patrol, only).patrolled_at = datetime(2026, 9, 5, 9, tzinfo=TZ)
            session.commit()
            assert_exact(session)


@contextmanager
def _pause_in_each_update(session) -> Iterator[None]:  # noqa: ANN001
    """PostgreSQL: each update of a visit total waits 50 ms after its count, before it writes the row. Without it
    the transactions' recounts seldom interleave so that one counts between another's count and its write (an
    INSERT … ON CONFLICT also waits for a row another transaction is updating), and a recount that did not take
    its key's row first would still pass most runs."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        session.execute(text("CREATE OR REPLACE FUNCTION test_pause() RETURNS trigger LANGUAGE plpgsql AS "
                             "$$ BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$"))
        session.execute(text("CREATE TRIGGER test_pause BEFORE UPDATE ON grid_visit_total "
                             "FOR EACH ROW EXECUTE FUNCTION test_pause()"))
        session.commit()
    try:
        yield
    finally:
        if postgresql:
            session.rollback()
            session.execute(text("DROP TRIGGER IF EXISTS test_pause ON grid_visit_total"))
            session.execute(text("DROP FUNCTION IF EXISTS test_pause()"))
            session.commit()


def _triggers(session) -> dict[str, tuple[str, str]]:  # noqa: ANN001
    """Trigger name → (its table, its definition), as the database has them."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(text("SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                                    "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"))
    else:
        rows = session.execute(text("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"))
    return {name: (table, definition) for name, table, definition in rows}


def untriggered(session, procedures: list) -> list[str]:  # noqa: ANN001
    """What is missing for the coverage totals to count the visits of these procedures: for each table their
    `visited_unit_ids` reads, the triggers on inserting, updating (the columns the query reads) and deleting."""
    found, missing = _triggers(session), []
    for procedure in procedures:
        query = procedure.visited_unit_ids(date(2026, 9, 1), date(2026, 9, 30))
        for table in query.get_final_froms():
            columns = {c.name for c in visitors.iterate(query) if isinstance(c, Column) and c.table is table}
            for operation in ("insert", "update", "delete"):
                name = f"{table.name}_grid_total_{operation}"
                if found.get(name, ("",))[0] != table.name:
                    missing.append(f"{procedure.key}: no trigger {name} on {table.name}")
                elif operation == "update":
                    missing += [f"{procedure.key}: {name} does not watch {column}" for column in sorted(columns)
                                if column not in found[name][1]]
    return missing


def test_every_procedure_that_records_visits_has_the_triggers_that_count_them(session):  # noqa: ANN001
    """A procedure whose visits the coverage counts (`visited_unit_ids`) needs the triggers of migration
    0046cover on its table (a migration that adds it to the recount), or the overview would leave its visits out."""
    procedures = [p for p in registry.all_procedures() if p.visited_unit_ids]
    assert {p.key for p in procedures} >= {"inspection", "patrol"}
    assert untriggered(session, procedures) == []
    found = _triggers(session)  # and the units' own (a table rebuilt by a later migration on SQLite loses them)
    assert all(found.get(f"unit_grid_total_{operation}", ("",))[0] == "unit"
               for operation in ("insert", "update", "delete"))

    class Newcomer:  # a procedure that records visits in a table of its own, without the triggers
        key = "newcomer"

        @staticmethod
        def visited_unit_ids(start: date, end: date):  # noqa: ANN205
            return select(HazardLead.unit_id).where(HazardLead.reported_at >= datetime.combine(start, time(), TZ))

    assert untriggered(session, [Newcomer]) == [f"newcomer: no trigger hazard_lead_grid_total_{operation} on "
                                                "hazard_lead" for operation in ("insert", "update", "delete")]


def test_the_migration_counts_an_existing_databases_units_and_visits(app, session, small_town):  # noqa: ANN001
    runtime = app.extensions["firegrid.runtime"]
    _inspect(Actor(app, session), small_town.units["丰收便利店"], date(2026, 8, 31), "20:00")
    patrol_with(session, runtime, small_town, "松香面馆", [], moment=datetime(2026, 9, 1, 7, tzinfo=TZ))
    patrol_with(session, runtime, small_town, "松香面馆", [], moment=datetime(2026, 9, 2, 7, tzinfo=TZ))
    late = factories.unit(session, small_town.units["快乐网咖"].grid, "十月新店")
    late.created_at = datetime(2026, 10, 2, 9, tzinfo=TZ)
    small_town.units[late.name] = late
    patrol_with(session, runtime, small_town, late.name, [], moment=datetime(2026, 9, 3, 7, tzinfo=TZ))  # before it
    downgrade(revision="0045totals")
    upgrade()
    assert_exact(session)
    assert kept(session, "2026-09")[late.grid_id] == (1, 0) and kept(session, "2026-10")[late.grid_id] == (2, 0)
    assert sum(visited for _, visited in kept(session, "2026-09").values()) == 1
