"""Inbox time at 100 and at 10,000 cases, and their ratio (the inbox should not grow with the cases).

    python bench/inbox.py [--database-url URL] [--repeat 50]

Uses a throw-away SQLite file unless a database URL is given (its tables are dropped first).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_app import empty_app  # noqa: E402
from sqlalchemy import select  # noqa: E402

from tests.inbox_support import bulk_cases  # noqa: E402
from webapp.cases import inbox
from webapp.demo import organisation as demo
from webapp.extensions import db  # noqa: E402
from webapp.models import User  # noqa: E402


def median_ms(user_id: int, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        db.session.expire_all()
        user = db.session.get(User, user_id)
        start = time.perf_counter()
        inbox.inbox(db.session, user)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    app, url = empty_app(args.database_url)
    with app.app_context():
        now = app.extensions["firegrid.clock"].now()
        demo.load_demo(db.session, now=now)
        db.session.commit()
        leader_id = db.session.scalar(select(User.id).where(User.username == "leader"))
        bulk_cases(db.session, 100, now)
        small = median_ms(leader_id, args.repeat)
        bulk_cases(db.session, 9_900, now)
        large = median_ms(leader_id, args.repeat)
    print(f"backend: {url.split(':')[0]}")
    print(f"inbox at    100 cases: {small:7.2f} ms (median of {args.repeat})")
    print(f"inbox at 10,000 cases: {large:7.2f} ms (median of {args.repeat})")
    print(f"ratio 10,000 / 100:    {large / small:7.2f}x")


if __name__ == "__main__":
    main()
