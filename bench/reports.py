"""统计报表 at county scale: the dashboard of a county (30 towns, 100,000 units) against one town's, same run.

    python bench/reports.py [--database-url URL] [--towns 30] [--units 100000] [--repeat 5]

Generated data (bulk inserts: units, one inspection per unit in the month for a third of them, a hazard for every
other inspection, patrols), then `figures.build` for one town and for the county, median of `--repeat` runs.
Uses a throw-away SQLite file unless a database URL is given (its tables are dropped first).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_app import empty_app  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

from tests import factories  # noqa: E402
from webapp.clock import TZ  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import GridNode, ProcessInstance, Unit  # noqa: E402
from webapp.procedures.inspection.models import Hazard, Inspection  # noqa: E402
from webapp.procedures.patrol.models import Patrol  # noqa: E402
from webapp.reports import figures, periods  # noqa: E402

VILLAGES = 8
MOMENT = datetime(2026, 9, 15, 10, 0, tzinfo=TZ)


def build_county(session, towns: int, units: int) -> tuple[GridNode, list[GridNode]]:  # noqa: ANN001
    made = [factories.town(session, f"镇{t:02d}", region="基准县") for t in range(towns)]
    leaves = [factories.village(session, town, f"镇{t:02d}村{v}")
              for t, town in enumerate(made) for v in range(VILLAGES)]
    session.commit()
    session.execute(insert(Unit), [{"grid_id": leaves[i % len(leaves)].id, "name": f"单位{i}",
                                    "category": "small_shop", "created_at": MOMENT, "code": f"B{i:07d}"}
                                   for i in range(units)])
    unit_rows = session.execute(select(Unit.id, Unit.grid_id)).all()
    inspected = unit_rows[::3]
    first = (session.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
    session.execute(insert(ProcessInstance), [
        {"id": first + i, "procedure": "inspection", "title": "检查", "spec_hash": "x", "serializer_version": "x",
         "state_json": "{}", "status": "completed", "grid_id": grid_id, "unit_id": unit_id, "started_at": MOMENT,
         "version": 1} for i, (unit_id, grid_id) in enumerate(inspected)])
    session.execute(insert(Inspection), [
        {"id": i + 1, "instance_id": first + i, "unit_id": unit_id, "grid_id": grid_id, "inspected_at": MOMENT,
         "inspectors": ["甲", "乙"], "major_hazard": False} for i, (unit_id, grid_id) in enumerate(inspected)])
    session.execute(insert(Hazard), [{"inspection_id": i + 1, "grid_id": inspected[i][1], "item_name": "疏散通道",
                                      "description": "堆放杂物", "status": "rectified" if i % 4 == 0 else "open"}
                                     for i in range(0, len(inspected), 2)])
    patrolled = unit_rows[1::5]
    base = first + len(inspected)
    session.execute(insert(ProcessInstance), [
        {"id": base + i, "procedure": "patrol", "title": "巡查", "spec_hash": "x", "serializer_version": "x",
         "state_json": "{}", "status": "completed", "grid_id": grid_id, "unit_id": unit_id, "started_at": MOMENT,
         "version": 1} for i, (unit_id, grid_id) in enumerate(patrolled)])
    session.execute(insert(Patrol), [
        {"instance_id": base + i, "unit_id": unit_id, "grid_id": grid_id, "patrolled_at": MOMENT,
         "patroller_name": "丙", "no_problem": True} for i, (unit_id, grid_id) in enumerate(patrolled)])
    session.commit()
    if session.get_bind().dialect.name == "postgresql":  # planner statistics, as autovacuum would have them by now
        session.execute(text("ANALYZE"))
        session.commit()
    return made[0].parent, made


def median_ms(session, user, node: GridNode, repeat: int) -> float:  # noqa: ANN001
    period, samples = periods.parse("2026-09"), []
    for _ in range(repeat):
        session.expire_all()
        start = time.perf_counter()
        figures.build(session, user, session.get(GridNode, node.id), period)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--towns", type=int, default=30)
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app, url = empty_app(args.database_url)
    with app.app_context():
        region, towns = build_county(db.session, args.towns, args.units)
        supervisor = factories.user(db.session, "bench_county", "county", scope=region)
        db.session.commit()
        one = median_ms(db.session, supervisor, towns[0], args.repeat)
        county = median_ms(db.session, supervisor, region, args.repeat)
    print(f"backend: {url.split(':')[0]}; {args.towns} towns, {args.units:,} units, {VILLAGES} villages a town")
    print(f"one town's dashboard: {one:8.1f} ms (median of {args.repeat})")
    print(f"the county's:         {county:8.1f} ms")
    print(f"ratio county / town:  {county / one:8.2f}x (issue 23 asks <= 3x)")


if __name__ == "__main__":
    main()
