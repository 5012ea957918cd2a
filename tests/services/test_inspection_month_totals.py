"""The per-grid monthly inspection totals the database keeps (`inspection_month_total`, migration 0045totals) equal a
direct count of the inspections and hazards after every kind of change: a case started through the services, an
inspection moved across a month's end (Beijing time), hazards added by the ORM and by a bulk insert, rectified and
reopened, a hazard and an inspection deleted (the latter's hazards by the database's cascade), several clerks
recording in one grid at once, and the migration's backfill of an existing database."""

from __future__ import annotations

import time as clock
from collections import Counter
from datetime import date, datetime, time

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, insert, select, update

from tests import factories
from tests.thread_support import run_in_threads
from tests.web.test_county import Actor, _inspection_data
from webapp.clock import TZ
from webapp.extensions import db
from webapp.models import Unit, User
from webapp.procedures.inspection.measures import RECTIFIED
from webapp.procedures.inspection.models import Hazard, Inspection, MonthTotal
from webapp.procedures.inspection.reports import UNCORRECTED

Key = tuple[int, str]


def direct(session) -> dict[Key, tuple[int, int, int, int]]:  # noqa: ANN001
    """(inspections, inspectors, hazards found, rectified, not yet corrected) per (grid, Beijing month), counted in
    Python."""
    found: dict[Key, Counter[str]] = {}
    for inspection in session.scalars(select(Inspection)):
        counts = found.setdefault((inspection.grid_id, f"{inspection.inspected_at.astimezone(TZ):%Y-%m}"), Counter())
        counts["inspections"] += 1
        counts["inspectors"] += len(inspection.inspectors or [])
        counts["found"] += len(inspection.hazards)
        counts["rectified"] += sum(h.status in RECTIFIED for h in inspection.hazards)
        counts["open"] += sum(h.status in UNCORRECTED for h in inspection.hazards)
    return {key: (c["inspections"], c["inspectors"], c["found"], c["rectified"], c["open"])
            for key, c in found.items()}


def kept(session) -> dict[Key, tuple[int, int, int, int]]:  # noqa: ANN001
    """The totals as kept (rows left at zero by deletions count as absent)."""
    session.expire_all()
    rows = session.scalars(select(MonthTotal))
    totals = {(r.grid_id, r.month): (r.inspections, r.inspectors, r.hazards_found, r.hazards_rectified, r.hazards_open)
              for r in rows}
    return {key: value for key, value in totals.items() if any(value)}


def _inspect(actor: Actor, unit: Unit, day: date, hour: str = "09:30") -> Inspection:
    """An inspection of the unit by the town's two inspectors, recorded through the case services."""
    inspectors = list(actor.session.scalars(select(User).where(User.username.in_(("inspector", "inspector2")))))
    data = _inspection_data(actor.session, unit, inspectors, day)
    data["inspected_time"] = hour
    instance = actor.start("inspection", inspectors[0], unit.grid, data,
                           datetime.combine(day, time(23, 59), TZ), unit=unit)
    return actor.session.scalar(select(Inspection).where(Inspection.instance_id == instance.id))


def test_totals_follow_every_change_of_inspections_and_hazards(app, session, small_town):  # noqa: ANN001
    actor = Actor(app, session)
    late = _inspect(actor, small_town.units["丰收便利店"], date(2026, 9, 30), "23:59")
    other = _inspect(actor, small_town.units["快乐网咖"], date(2026, 9, 12))
    session.commit()
    grid = late.grid_id
    assert kept(session) == direct(session)
    assert kept(session)[(grid, "2026-09")] == (1, 2, 1, 0, 1)  # 23:59 on the 30th is September in Beijing

    late.inspected_at = datetime(2026, 10, 1, 0, 0, tzinfo=TZ)  # a minute later: October
    session.commit()
    assert kept(session) == direct(session)
    assert (grid, "2026-09") not in kept(session) and kept(session)[(grid, "2026-10")] == (1, 2, 1, 0, 1)

    hazard = late.hazards[0]
    for status, rectified, uncorrected in (("rectified", 1, 0), ("interview", 0, 1), ("closed", 0, 0),
                                           ("corrected_on_spot", 1, 0), ("referred", 0, 1), ("open", 0, 1)):
        hazard.status = status
        session.commit()
        assert kept(session)[(grid, "2026-10")][3:] == (rectified, uncorrected), status

    session.add(Hazard(inspection=late, item_name="项", description="第二处", status="rectified"))
    session.execute(insert(Hazard), [{"inspection_id": late.id, "grid_id": grid, "item_name": "项",
                                      "description": f"批量{n}", "status": "open"} for n in range(3)])
    late.inspectors = [*late.inspectors, "第三人"]
    session.commit()
    assert kept(session)[(grid, "2026-10")] == (1, 3, 5, 1, 4) and kept(session) == direct(session)

    session.delete(hazard)
    session.commit()
    assert kept(session)[(grid, "2026-10")] == (1, 3, 4, 1, 3) and kept(session) == direct(session)

    session.execute(delete(Inspection).where(Inspection.id == late.id))  # its hazards go by ON DELETE CASCADE
    session.commit()
    assert session.scalar(select(db.func.count(Hazard.id)).where(Hazard.inspection_id == late.id)) == 0
    assert kept(session) == direct(session) == {(other.grid_id, "2026-09"): (1, 2, 1, 0, 1)}

    other.inspectors = None  # the JSON type writes JSON null: counted as no names, and the row still writes
    session.commit()
    assert kept(session) == direct(session) == {(other.grid_id, "2026-09"): (1, 0, 1, 0, 1)}


def test_hazards_recorded_in_one_grid_at_once_are_all_counted(app, session, small_town):  # noqa: ANN001
    """Four hazards added at once to four inspections of one small grid's month, each transaction slow to commit
    after its trigger ran: every one is in the total (counting without first taking the grid's month row lost
    the others' hazards on PostgreSQL)."""
    grid = small_town.units["丰收便利店"].grid
    units = [small_town.units["丰收便利店"]] + [factories.unit(session, grid, f"同格商店{n}") for n in range(3)]
    inspection_ids = [_inspect(Actor(app, session), unit, date(2026, 9, 8)).id for unit in units]
    session.commit()
    assert kept(session) == {(grid.id, "2026-09"): (4, 8, 4, 0, 4)}

    def add_hazard(index: int) -> None:
        db.session.add(Hazard(inspection=db.session.get(Inspection, inspection_ids[index]), item_name="项",
                              description=f"同时发现{index}", status="rectified"))
        db.session.flush()
        clock.sleep(0.3)  # hold the transaction open, so that the others count while it has not committed

    results = run_in_threads(app, len(units), add_hazard)
    assert results == [None] * len(units), results
    assert kept(session) == direct(session) == {(grid.id, "2026-09"): (4, 8, 8, 4, 4)}


@pytest.mark.parametrize("first", ["move", "rectify"])
def test_a_hazard_rectified_while_its_inspection_moves_counts_in_the_new_month(app, session, small_town, first):
    """One transaction moves an inspection from September to October, another rectifies its hazard, the first
    holding its change 0.5 s: whichever comes first, October ends up with the hazard as rectified (on PostgreSQL
    the hazard's trigger reads the inspection's month while a move of it was uncommitted, and recounted September
    only, before the hazard's trigger held the inspection FOR SHARE)."""
    inspection = _inspect(Actor(app, session), small_town.units["丰收便利店"], date(2026, 9, 10))
    session.commit()
    inspection_id, hazard_id = inspection.id, inspection.hazards[0].id
    session.close()
    statements = {
        "move": (update(Inspection).where(Inspection.id == inspection_id)
                 .values(inspected_at=datetime(2026, 10, 10, 9, 30, tzinfo=TZ))),
        "rectify": update(Hazard).where(Hazard.id == hazard_id).values(status="rectified"),
    }
    second = "rectify" if first == "move" else "move"

    def write(index: int) -> None:
        if index == 1:
            clock.sleep(0.2)  # after the first has written, while it holds its transaction open
        db.session.execute(statements[first if index == 0 else second])
        if index == 0:
            clock.sleep(0.5)

    results = run_in_threads(app, 2, write)
    assert results == [None, None], results
    assert kept(session) == direct(session) == {(inspection.grid_id, "2026-10"): (1, 2, 1, 1, 0)}


def test_the_migration_counts_an_existing_databases_inspections(app, session, small_town):  # noqa: ANN001
    actor = Actor(app, session)
    _inspect(actor, small_town.units["丰收便利店"], date(2026, 8, 31), "20:00")
    _inspect(actor, small_town.units["松香面馆"], date(2026, 9, 1), "07:00")
    session.commit()
    downgrade(revision="0044ovw4")
    upgrade()
    assert len(kept(session)) == 2 and kept(session) == direct(session)
