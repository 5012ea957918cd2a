"""Server CPU per request for the GET pages of bench/load.py, through the Flask test client (issue 24, item 2).

    python bench/request_cpu.py --database-url URL [--rounds 3] [--data-dir DIR] [--by-page] [--profile FILE]

Needs a database with `firegrid demo --history` loaded (and its data dir for the downloads). Logs in the load
test's accounts, then replays the same fixed list of GET requests `--rounds` times: each account's common and
role pages, case pages of its scope, its inbox's task forms, the start forms and issued documents' downloads,
in about the load test's mix. Prints the process CPU time per request (`time.process_time`, so other jobs on a
shared machine barely move it), SQL statements per request and, with `--by-page`, both per kind of page.
Nothing is written but session cookies. `--profile FILE` writes a cProfile of the timed rounds.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import BROWSERS, COMMON_PAGES, DOWNLOADERS, PASSWORD, ROLE_PAGES, STARTS, SUBMITTERS  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from tests.conftest import Browser  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402


def _kind(url: str) -> str:
    """The page's name for the per-page figures: ids replaced by N."""
    return re.sub(r"\d+", "N", url.split("?")[0])


def _catalogue(usernames: set[str]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Each account's cases and issued documents (by grid path, as the load test reads them)."""
    rows = db.session.execute(text("SELECT u.username, g.path FROM user_account u JOIN grid_node g "
                                   "ON g.id = u.scope_id")).all()
    scopes = {name: path for name, path in rows if name in usernames}
    cases = db.session.execute(text("SELECT i.id, g.path FROM process_instance i JOIN grid_node g "
                                    "ON g.id = i.grid_id ORDER BY i.id")).all()
    docs = db.session.execute(text("SELECT d.id, g.path FROM document d JOIN grid_node g ON g.id = d.grid_id "
                                   "WHERE d.status = 'issued' ORDER BY d.id")).all()
    return ({u: [i for i, p in cases if p.startswith(s)] for u, s in scopes.items()},
            {u: [i for i, p in docs if p.startswith(s)] for u, s in scopes.items()})


def _requests(browsers: dict[str, Browser], cases: dict, documents: dict, rng: random.Random) -> list[tuple]:
    """(account, url) in about the load test's mix: half browsing (60% menu pages, 40% case pages), a quarter
    inbox and task forms (and start forms), a quarter downloads."""
    plan: list[tuple[str, str]] = []
    for name in BROWSERS:
        pages = COMMON_PAGES + [page for page, users in ROLE_PAGES.items() if name in users]
        for _ in range(12):
            plan.append((name, rng.choice(pages) if rng.random() < 0.6 else f"/cases/{rng.choice(cases[name])}"))
    for name in SUBMITTERS:
        inbox = browsers[name].get("/tasks/").get_data(as_text=True)
        tasks = re.findall(r'href="(/tasks/\d+)"', inbox)
        plan += [(name, "/tasks/")] + [(name, url) for url in tasks[:3]]
        start = {"notice": "/procedures/notice_issuance/start", "inspection": "/procedures/inspection/start"}
        if name in STARTS:
            plan.append((name, start[STARTS[name]]))
    for name in DOWNLOADERS:
        plan += [(name, f"/documents/{rng.choice(documents[name])}.docx") for _ in range(8)]
    rng.shuffle(plan)
    return plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", default=os.environ.get("FIREGRID_DATA_DIR"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--by-page", action="store_true")
    parser.add_argument("--profile")
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "bench",
                      **({"DATA_DIR": Path(args.data_dir)} if args.data_dir else {})})
    names = set(BROWSERS) | set(SUBMITTERS) | set(DOWNLOADERS)
    browsers = {name: Browser(app.test_client()) for name in names}
    for name, browser in browsers.items():
        browser.login(name, PASSWORD)
    with app.app_context():
        cases, documents = _catalogue(names)
        statements = [0]
        event.listen(db.engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1))
    plan = _requests(browsers, cases, documents, random.Random(24))
    for name, url in plan:  # warm: templates compiled, per-state caches filled, connections open
        assert browsers[name].get(url).status_code == 200, url
    cpu, count = defaultdict(float), defaultdict(int)
    queries = defaultdict(int)
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    total_start, statements[0] = time.process_time(), 0
    for _ in range(args.rounds):
        for name, url in plan:
            before, sent = time.process_time(), statements[0]
            if profiler:
                profiler.enable()
            browsers[name].get(url)
            if profiler:
                profiler.disable()
            cpu[_kind(url)] += time.process_time() - before
            count[_kind(url)] += 1
            queries[_kind(url)] += statements[0] - sent
    total = time.process_time() - total_start
    requests = len(plan) * args.rounds
    print(f"{requests} GET requests: {1000 * total / requests:.2f} ms CPU a request, "
          f"{statements[0] / requests:.1f} statements a request; load average {os.getloadavg()[0]:.1f}")
    if args.by_page:
        for kind in sorted(cpu, key=lambda k: -cpu[k]):
            print(f"  {kind:<40} {count[kind]:5d}  {1000 * cpu[kind] / count[kind]:7.2f} ms  "
                  f"{queries[kind] / count[kind]:5.1f} statements")
    if profiler:
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
