"""Cost of the key pages against a minimal Flask page that runs the same main query and renders a template
of the same size, in one run (issue 24, item 2 asks ≤ 3×).

    python bench/pages.py [--database-url URL] [--repeat 30] [--rows 10] [--cpu]

Pages: 待办 (inbox), the case page, the task form (拟制整改通知书 of an inspection with `--rows` hazards) and
the unit page (一户一档 of a unit with `--rows` inspections and patrols), each fetched by the logged-in clerk
through the Flask test client (the whole stack: session, scope, every query, the Jinja templates). The
baseline for each is a bare Flask app with its own engine on the same database: one route that runs the
page's main query (the inbox's own `inbox_query`; the case's events; the task row; the unit's inspections)
and renders a template whose output is the real page's HTML (as raw text) followed by the rows.
Uses a throw-away SQLite file unless a database URL is given (its tables are dropped first). Medians, the page
and its baseline fetched in turn so that both see the same load; `--cpu` times the process's CPU instead of the
wall clock (both apps run in this process, SQLite too), which other jobs on a shared machine barely move.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("FIREGRID_LAYOUT_CHECK", "0")

from flask import Flask  # noqa: E402
from sqlalchemy import Select, create_engine, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.bench_app import fresh_schema  # noqa: E402
from tests.conftest import Browser  # noqa: E402
from tests.web.test_inspection_flow import at, start_inspection  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.cases.inbox import INBOX_PAGE, inbox_query  # noqa: E402
from webapp.demo import organisation as demo  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import CaseEvent, Unit, User, WorkTask  # noqa: E402
from webapp.procedures.inspection.models import Inspection  # noqa: E402

ROWS_TEMPLATE = "{% for row in rows %}<tr><td>{{ row }}</td></tr>{% endfor %}"


def _medians_ms(page, bare, repeat: int, clock=time.perf_counter) -> tuple[float, float]:  # noqa: ANN001
    """Both medians, the two fetched in turn so that both see the same load on a shared machine."""
    page(), bare()  # warm: template compilation, first connection
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fetch, kept in ((page, samples[0]), (bare, samples[1])):
            start = clock()
            fetch()
            kept.append((clock() - start) * 1000)
    return statistics.median(samples[0]), statistics.median(samples[1])


def _build(app: Flask, rows: int) -> dict[str, tuple[str, Select]]:
    """A unit with `rows` inspections (the last with `rows` hazards) and patrols; each page's URL and main query."""
    clock = app.extensions["firegrid.clock"]
    clock.set(at("2026-09-28T09:40"))
    demo.load_demo(db.session, now=clock.now())
    db.session.commit()
    inspector = Browser(app.test_client())
    inspector.login("inspector")
    unit = db.session.scalar(select(Unit).order_by(Unit.id))
    for index in range(rows):
        found = rows if index == rows - 1 else 1
        case = start_inspection(inspector, db.session, unit, {j: f"问题{j}" for j in range(found)})
        inspector.post("/patrol/new", {"unit_id": unit.id, "outcome": "none"})
    task = db.session.scalar(select(WorkTask).where(WorkTask.instance_id == case.id))
    clerk = db.session.scalar(select(User).where(User.username == "clerk"))
    return {
        "inbox": ("/tasks/", inbox_query(clerk).limit(INBOX_PAGE)),
        "case page": (f"/cases/{case.id}", select(CaseEvent).where(CaseEvent.instance_id == case.id)
                      .order_by(CaseEvent.at)),
        "task form": (f"/tasks/{task.id}", select(WorkTask).where(WorkTask.id == task.id)),
        "unit page": (f"/units/{unit.id}", select(Inspection).where(Inspection.unit_id == unit.id)
                      .order_by(Inspection.inspected_at.desc())),
    }


def _baseline(url: str, pages: dict[str, tuple[str, Select]], html: dict[str, str]) -> Flask:
    """A bare Flask app: per page one route, its main query, a template as large as the real page."""
    bare, engine = Flask("baseline"), create_engine(url)
    for index, (name, (_, statement)) in enumerate(pages.items()):
        template = bare.jinja_env.from_string("{% raw %}" + html[name] + "{% endraw %}" + ROWS_TEMPLATE)

        def view(statement=statement, template=template) -> str:  # noqa: ANN001
            with Session(engine) as session:
                rows = session.scalars(statement).unique().all()
                return template.render(rows=rows)

        bare.add_url_rule(f"/{index}", endpoint=name, view_func=view)
    return bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--rows", type=int, default=10)
    parser.add_argument("--cpu", action="store_true", help="process CPU time instead of the wall clock")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="firegrid-bench-"))
    url = args.database_url or f"sqlite:///{data_dir / 'bench.db'}"
    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        fresh_schema()
        pages = _build(app, args.rows)
    clerk = Browser(app.test_client())
    clerk.login("clerk")
    html = {name: clerk.get(page_url).get_data(as_text=True) for name, (page_url, _) in pages.items()}
    if os.environ.get("FIREGRID_BENCH_PROFILE"):  # which page to profile, e.g. "case page"
        import cProfile

        page_url = pages[os.environ["FIREGRID_BENCH_PROFILE"]][0]
        cProfile.runctx("for _ in range(20): clerk.get(page_url)", globals(), locals(), sort="cumulative")
        return
    bare = _baseline(url, pages, html).test_client()
    print(f"backend: {url.split(':')[0]}; {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"{args.rows} rows; median of {args.repeat}{' (CPU time)' if args.cpu else ''}")
    print(f"{'page':<10} {'page ms':>8} {'bare ms':>8} {'ratio':>6} {'size':>8}")
    for index, (name, (page_url, _)) in enumerate(pages.items()):
        page, base = _medians_ms(lambda page_url=page_url: clerk.get(page_url),
                                 lambda index=index: bare.get(f"/{index}"), args.repeat,
                                 time.process_time if args.cpu else time.perf_counter)
        print(f"{name:<10} {page:8.2f} {base:8.2f} {page / base:5.1f}x {len(html[name]):8d}")


if __name__ == "__main__":
    main()
