"""Alert sweep: 1,000 overdue tasks → 1,000 notices in one sweep, against a bare bulk insert of
1,000 alert rows measured in the same run; and the header badge's COUNT while a sweep runs.

    python bench/alerts.py [--database-url URL] [--count 1000]

Uses a throw-away SQLite file unless a database URL is given (its tables are dropped first). The town,
users and tasks come from the tests' small builders; tasks are inserted in bulk as bench/inbox.py does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_app import empty_app  # noqa: E402
from sqlalchemy import delete, func, insert, select  # noqa: E402

from tests import factories  # noqa: E402
from webapp.cases import alerts  # noqa: E402
from webapp.clock import TZ  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Alert, ProcessInstance, User, WorkTask  # noqa: E402

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=TZ)


def overdue_tasks(session, count: int) -> None:  # noqa: ANN001
    """`count` running cases in the town, each with one overdue 审核 task for the leaders."""
    town = factories.small_town(session).town
    session.execute(insert(ProcessInstance), [
        {"id": i + 1, "procedure": "test_notice", "title": f"批量案件{i}", "spec_hash": "x", "serializer_version": "x",
         "state_json": "{}", "status": "running", "grid_id": town.id, "started_at": NOW, "version": 1}
        for i in range(count)])
    session.execute(insert(WorkTask), [
        {"instance_id": i + 1, "engine_task_id": f"{i + 1:036d}", "step_key": "review", "title": "审核",
         "role": "leader", "scope_path": town.path, "town_id": town.id, "due_at": NOW - timedelta(days=1),
         "created_at": NOW}
        for i in range(count)])
    session.commit()


def baseline(session, count: int, user_id: int) -> float:  # noqa: ANN001
    """The floor: the same number of alert rows in one executemany INSERT, then commit."""
    rows = [{"recipient_id": user_id, "kind": "overdue", "title": f"审核：批量案件{i}", "body": "",
             "instance_id": i + 1, "work_task_id": i + 1, "created_at": NOW, "dedupe_key": f"bench:{i}"}
            for i in range(count)]
    start = time.perf_counter()
    session.execute(insert(Alert), rows)
    session.commit()
    elapsed = time.perf_counter() - start
    session.execute(delete(Alert))
    session.commit()
    return elapsed


def badge_ms_during(app, user_id: int, busy: threading.Event) -> list[float]:  # noqa: ANN001
    """The header badge's query, timed repeatedly from another connection while `busy` is set."""
    samples: list[float] = []
    with app.app_context():
        user = db.session.get(User, user_id)
        while busy.is_set() or not samples:
            start = time.perf_counter()
            alerts.unread_count(db.session, user)
            db.session.rollback()
            samples.append((time.perf_counter() - start) * 1000)
        db.session.remove()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    app, url = empty_app(args.database_url)
    with app.app_context():
        overdue_tasks(db.session, args.count)
        leader_id = db.session.scalar(select(User.id).where(User.username == "leader"))
        floor = baseline(db.session, args.count, leader_id)
        runtime = app.extensions["firegrid.runtime"]
        busy = threading.Event()
        busy.set()
        badge: list[float] = []
        reader = threading.Thread(target=lambda: badge.extend(badge_ms_during(app, leader_id, busy)))
        reader.start()
        start = time.perf_counter()
        made = alerts.sweep(db.session, runtime, NOW)
        sweep = time.perf_counter() - start
        busy.clear()
        reader.join()
        again_start = time.perf_counter()
        repeat = alerts.sweep(db.session, runtime, NOW)
        again = time.perf_counter() - again_start
        stored = db.session.scalar(select(func.count(Alert.id)))
    print(f"backend: {url.split(':')[0]}")
    print(f"sweep made {made} notices ({stored} stored); a second sweep made {repeat}")
    print(f"baseline bulk insert: {floor * 1e6 / args.count:8.1f} µs per row ({floor * 1000:.1f} ms)")
    print(f"sweep:                {sweep * 1e6 / max(made, 1):8.1f} µs per notice ({sweep * 1000:.1f} ms)")
    print(f"ratio sweep / baseline: {sweep / floor:6.2f}x")
    print(f"repeat sweep (nothing new): {again * 1000:.1f} ms")
    print(f"badge COUNT during the sweep: median {statistics.median(badge):.2f} ms, max {max(badge):.2f} ms "
          f"({len(badge)} samples)")


if __name__ == "__main__":
    main()
