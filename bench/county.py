"""County-scale data and what the key pages cost on it (issue 24, item 4): 30 towns, 100,000 units, 1,000,000
finished cases and 50,000 open tasks, against one town of the same density, same run.

    python bench/county.py --database-url URL --baseline-url URL2 [--towns 30] [--units 100000]
                           [--finished 1000000] [--open 50000] [--repeat 30] [--keep] [--pages PAGE …]

Generation: the grid and the accounts through the product's services (tests/factories.py); the units by bulk
insert; then, for each kind of case, one template case made through the web client exactly as a user makes it
(a patrol without findings and an inspection without hazards: finished cases; an inspection with a hazard: an
open 拟制整改通知书 task for the town's clerks), and every row that case wrote — the case with its workflow state,
its history, the procedure's record, documents, alerts, audit entries — is cloned in batches (executemany) for
other units: ids renumbered, references to the template's unit, grid, town and users pointed at the target's,
times shifted. So every generated case is a row the product itself wrote, and its pages open like any other.

Measure: p50/p95 of 待办 (a town clerk), the unit page (一户一档 of a unit with its ~10 cases), the 统计报表
dashboard of a town and of the county, and the 全县概览, each through the Flask test client logged in; the
same pages on one town of the same density (`--baseline-url`, generated in the same run), the two databases
fetched in turn so that both see the same load. Without URLs: two
throw-away SQLite files. Both databases' tables are dropped first unless `--keep` (measure what is there).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask  # noqa: E402
from sqlalchemy import Integer, Table, func, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.bench_app import fresh_schema  # noqa: E402
from tests import factories  # noqa: E402
from tests.conftest import Browser  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.clock import TZ  # noqa: E402
from webapp.demo.scans import photo_png  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import GridNode, ProcessInstance, Unit, User  # noqa: E402
from webapp.models.grid import UNIT_CATEGORIES, UNIT_CODE_ALPHABET, UNIT_CODE_LENGTH  # noqa: E402

REGION = "基准县"
AREAS = 2  # small grids a village
# accounts a town (username t03_clerk …, suffix → role), all town-wide; an inspection needs two inspectors
STAFF = {"clerk": "clerk", "leader": "leader", "inspector": "inspector", "inspector2": "inspector"}
MOMENT = datetime(2026, 9, 28, 10, 0, tzinfo=TZ)  # "now" of the generated county
HISTORY_DAYS = 360  # finished cases spread over the year before MOMENT
# Tables a case writes that are not the case's own: the shared content store (keyed by hash) and the job queue.
NOT_CLONED = {"stored_file", "job"}


@dataclass(frozen=True)
class Scale:
    towns: int
    units: int
    finished: int
    open_tasks: int
    villages: int = 8  # a town's

    def one_town(self) -> Scale:
        """One town of the same density (units, cases and tasks per town)."""
        return Scale(1, self.units // self.towns, self.finished // self.towns, self.open_tasks // self.towns,
                     self.villages)


COUNTY = Scale(30, 100_000, 1_000_000, 50_000)


@dataclass
class Town:
    node: GridNode
    areas: list[GridNode]
    users: dict[str, int]  # STAFF key → user id


@dataclass
class Template:
    """The rows one case wrote, table by table (insertion order kept, parents first)."""

    rows: dict[str, list[dict[str, Any]]]
    unit_id: int
    moment: datetime


@dataclass
class County:
    region: GridNode
    towns: list[Town]
    unit_ids: list[int]  # in unit order; unit i lies in towns[i % towns].areas[…]
    timings: dict[str, float] = field(default_factory=dict)


# --- the organisation -------------------------------------------------------------------------------------

def _code(index: int) -> str:
    """一户一码 of the index-th generated unit: a distinct code in the product's alphabet (random ones start
    with any letter; these are the base-31 digits of a number above any that 8 random letters collide with)."""
    digits, value = [], index
    for _ in range(UNIT_CODE_LENGTH):
        value, digit = divmod(value, len(UNIT_CODE_ALPHABET))
        digits.append(UNIT_CODE_ALPHABET[digit])
    return "".join(reversed(digits))


def _organisation(session: Session, scale: Scale) -> tuple[GridNode, list[Town]]:
    towns = []
    region: GridNode | str = REGION
    for t in range(scale.towns):
        node = factories.town(session, f"基准{t:02d}镇", region=region)
        region = node.parent
        areas = [area for v in range(scale.villages)
                 for area in factories.village(session, node, f"基准{t:02d}村{v}",
                                               areas=tuple(f"{a + 1}组" for a in range(AREAS))).children]
        users = {key: factories.user(session, f"t{t:02d}_{key}", role, scope=node, display_name=f"{key}{t}").id
                 for key, role in STAFF.items()}
        towns.append(Town(node, areas, users))
    factories.user(session, "county_supervisor", "county", scope=region)
    session.commit()
    return region, towns


def _units(session: Session, towns: list[Town], count: int, batch: int) -> list[int]:
    """Units dealt round-robin to the towns (and within a town to its small grids), in batches."""
    categories = list(UNIT_CATEGORIES)
    first = (session.scalar(select(func.max(Unit.id))) or 0) + 1
    for start in range(0, count, batch):
        rows = []
        for i in range(start, min(count, start + batch)):
            town = towns[i % len(towns)]
            area = town.areas[(i // len(towns)) % len(town.areas)]
            rows.append({"id": first + i, "grid_id": area.id, "name": f"基准单位{i:06d}",
                         "category": categories[i % len(categories)],
                         "address": f"{town.node.name}{area.name}{i}号", "responsible_person": f"负责人{i % 997}",
                         "responsible_phone": f"139{i:08d}", "manager": f"管理人{i % 991}", "manager_phone": "",
                         "floor_area": float(50 + i % 900), "staff_count": 1 + i % 40,
                         "created_at": MOMENT - timedelta(days=HISTORY_DAYS + 30), "code": _code(i)})
        session.execute(insert(Unit), rows)
    session.commit()
    return list(range(first, first + count))


# --- template cases, made through the web client ----------------------------------------------------------

def _tables() -> list[Table]:
    """Tables with an integer `id`, parents before children (the order the clone inserts in)."""
    return [t for t in db.metadata.sorted_tables
            if t.name not in NOT_CLONED and "id" in t.c and isinstance(t.c.id.type, Integer) and t.c.id.primary_key]


def _watermarks(session: Session) -> dict[str, int]:
    return {t.name: session.scalar(select(func.max(t.c.id))) or 0 for t in _tables()}


def _rows_since(session: Session, marks: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for table in _tables():
        rows = [dict(r._mapping) for r in session.execute(select(table).where(table.c.id > marks[table.name])
                                                         .order_by(table.c.id))]
        if rows:
            found[table.name] = rows
    return found


def _inspection_form(browser: Browser, unit_id: int, day: str, hazard: bool, inspectors: list[int]) -> dict:
    page = browser.get(f"/procedures/inspection/start?unit_id={unit_id}").get_data(as_text=True)
    item_ids = re.findall(r'name="items-(\d+)-item_id" type="hidden" value="(\d+)"', page)
    data: dict[str, Any] = {"unit_id": unit_id, "inspected_on": day, "inspected_time": "09:30",
                            "inspector_ids": inspectors, "measures": "", "unit_representative": "店主"}
    for index, item_id in item_ids:
        data[f"items-{index}-item_id"] = item_id
        data[f"items-{index}-result"] = "hazard" if hazard and index == "0" else "passed"
    if hazard:
        import io

        data.update({"items-0-description": "疏散通道堆放杂物", "items-0-location": "后门",
                     "items-0-photos": (io.BytesIO(photo_png(1)), "hazard.png")})
    return data


def _templates(app: Flask, session: Session, town: Town, unit_id: int) -> dict[str, Template]:
    """One case of each kind on `unit_id`, made by the town's inspector through the pages."""
    clock = app.extensions["firegrid.clock"]
    browser = Browser(app.test_client())
    browser.login(session.get(User, town.users["inspector"]).username, factories.PASSWORD)
    made, inspectors = {}, [town.users["inspector"], town.users["inspector2"]]
    kinds: list[tuple[str, Callable[[], Any]]] = [
        ("patrol", lambda: browser.post("/patrol/new", {"unit_id": unit_id, "outcome": "none"})),
        ("inspection", lambda: browser.post("/procedures/inspection/start", _inspection_form(
            browser, unit_id, f"{MOMENT:%Y-%m-%d}", False, inspectors),
            content_type="multipart/form-data")),
        ("open", lambda: browser.post("/procedures/inspection/start", _inspection_form(
            browser, unit_id, f"{MOMENT:%Y-%m-%d}", True, inspectors),
            content_type="multipart/form-data")),
    ]
    for kind, make in kinds:
        clock.set(MOMENT)
        marks = _watermarks(session)
        response = make()
        assert response.status_code == 302, (kind, re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<',
                                                              response.get_data(as_text=True)))
        session.expire_all()
        made[kind] = Template(_rows_since(session, marks), unit_id, MOMENT)
        case = made[kind].rows["process_instance"][0]
        wanted = "running" if kind == "open" else "completed"
        assert case["status"] == wanted, (kind, case["status"])
        assert kind != "open" or made[kind].rows.get("work_task"), "the open template left no task"
    clock.set(None)
    return made


# --- cloning ----------------------------------------------------------------------------------------------

@dataclass
class _Target:
    unit_id: int
    unit_name: str
    grids: dict[int, int]  # template grid id → target grid id (small grid, village, town)
    paths: list[tuple[str, str]]  # template text → target text (grid paths, names)
    users: dict[int, int]  # template user id → target user id
    shift: timedelta


class Cloner:
    """Copies a template's rows for many targets, ids renumbered from each table's current maximum."""

    def __init__(self, session: Session, template: Template, county: County) -> None:
        self.session, self.template, self.county = session, template, county
        self.tables = {t.name: t for t in _tables()}
        self.next_id = {name: (session.scalar(select(func.max(self.tables[name].c.id))) or 0) + 1
                        for name in template.rows}
        unit = session.get(Unit, template.unit_id)
        self.unit_in_state = re.compile(rf'"unit_id": {template.unit_id}\b')
        self.unit_name, self.area = unit.name, unit.grid
        self.village, self.town = self.area.parent, self.area.parent.parent
        self.town_users = next(t.users for t in county.towns if t.node.id == self.town.id)
        self.plans = {name: self._plan(name) for name in template.rows}

    def target(self, unit_id: int, area: GridNode, town: Town, moment: datetime, name: str) -> _Target:
        village = area.parent
        return _Target(
            unit_id, name,
            {self.area.id: area.id, self.village.id: village.id, self.town.id: town.node.id},
            [(self.area.path, area.path), (self.unit_name, name), (self.town.name, town.node.name),
             (f"{self.template.moment:%Y-%m-%d}", f"{moment:%Y-%m-%d}")],
            {self.town_users[role]: town.users[role] for role in STAFF}, moment - self.template.moment)

    def rows(self, target: _Target) -> dict[str, list[dict[str, Any]]]:
        """The template's rows for one target (ids taken from the counters)."""
        ids: dict[str, dict[int, int]] = {}
        for name, rows in self.template.rows.items():  # every new id first: a column may point at a later table
            first = self.next_id[name]
            ids[name] = {row["id"]: first + i for i, row in enumerate(rows)}
            self.next_id[name] = first + len(rows)
        out: dict[str, list[dict[str, Any]]] = {}
        for name, rows in self.template.rows.items():
            plan, made = self.plans[name], []
            for row in rows:
                new = dict(row)
                for column, change in plan:
                    if row[column] is not None:
                        new[column] = change(row[column], ids, target)
                new["id"] = ids[name][row["id"]]
                if row.get("dedupe_key") and row.get("work_task_id"):  # an alert's "open:<task id>"
                    key = row["dedupe_key"].removesuffix(f":{row['work_task_id']}")
                    new["dedupe_key"] = f"{key}:{new['work_task_id']}"
                made.append(new)
            out[name] = made
        return out

    def _plan(self, name: str) -> list[tuple[str, Callable[[Any, dict, _Target], Any]]]:
        """What changes in each of the table's columns from the template to a target (the rest is copied):
        decided once per table, so that a million cases cost a dictionary copy and a few look-ups each."""
        table, rows = self.tables[name], self.template.rows[name]
        texts = (self.area.path, self.unit_name, self.town.name, f"{self.template.moment:%Y-%m-%d}")
        plan = []
        for column in table.c:
            values = [row[column.name] for row in rows if row[column.name] is not None]
            ref = next(iter(column.foreign_keys)).column.table.name if column.foreign_keys else None
            if ref is None and column.name.endswith("_id") and column.name[:-3] in self.template.rows:
                ref = column.name[:-3]  # an id kept without a foreign key (a case event's work task)
            if column.name == "id" or not values:
                continue
            if ref in self.template.rows:
                plan.append((column.name, lambda v, ids, t, ref=ref: ids[ref].get(v, v)))
            elif ref == "unit":
                plan.append((column.name, lambda v, ids, t: t.unit_id))
            elif ref == "grid_node":
                plan.append((column.name, lambda v, ids, t: t.grids.get(v, v)))
            elif ref == "user_account":
                plan.append((column.name, lambda v, ids, t: t.users.get(v, v)))
            elif ref is not None:
                continue
            elif isinstance(values[0], datetime):
                plan.append((column.name, lambda v, ids, t: v + t.shift))
            elif column.name == "document_ids":  # the history's links to its documents
                plan.append((column.name, lambda v, ids, t: [ids.get("document", {}).get(d, d) for d in v]))
            elif column.name == "state_json":  # the workflow's data also names the unit by id
                plan.append((column.name, lambda v, ids, t: self.unit_in_state.sub(
                    f'"unit_id": {t.unit_id}', self._replace(v, t))))
            elif isinstance(values[0], str) and any(old in v for v in values for old in texts):
                plan.append((column.name, lambda v, ids, t: self._replace(v, t)))
        return plan

    @staticmethod
    def _replace(value: str, target: _Target) -> str:
        for old, new in target.paths:
            value = value.replace(old, new)
        return value


def _clone(session: Session, cloner: Cloner, targets: Iterator[_Target], count: int, batch: int,
           log: Callable[[str], None], label: str) -> None:
    pending: dict[str, list[dict]] = {}
    started = time.perf_counter()

    def flush() -> None:
        for name in cloner.template.rows:  # parents first
            if pending.get(name):
                _insert(session, cloner.tables[name], pending[name])
        session.commit()
        pending.clear()

    for done, target in enumerate(targets, start=1):
        for name, rows in cloner.rows(target).items():
            pending.setdefault(name, []).extend(rows)
        if done % batch == 0:
            flush()
            if done % (batch * 20) == 0:
                log(f"  {label}: {done:,}/{count:,} ({time.perf_counter() - started:.0f} s)")
    flush()


def _insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """The rows into `table`: on PostgreSQL by COPY, the cases' workflow state compressed with lz4 where the server
    has it (an INSERT per row and pglz compressing each case's ~14 kB of state took most of the time), elsewhere
    by executemany."""
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    columns = list(table.c)
    binds = [column.type._cached_bind_processor(dialect) for column in columns]  # JSON → text, as an INSERT sends
    names = ", ".join(f'"{column.name}"' for column in columns)
    cursor = session.connection().connection.driver_connection.cursor()
    if _has_lz4(session):
        cursor.execute("SET LOCAL default_toast_compression = lz4")
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([value if bind is None or value is None else bind(value)
                            for value, bind in zip((row[column.name] for column in columns), binds, strict=True)])


def _has_lz4(session: Session) -> bool:
    return bool(session.scalar(text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                                    "WHERE name = 'default_toast_compression'")))


def _targets(session: Session, county: County, count: int, moments: Callable[[int], datetime],
             skip_unit: int) -> Iterator[tuple[int, GridNode, Town, datetime, str]]:
    """`count` targets (Cloner.target's arguments) dealt over the units (round-robin, the template's unit
    left out)."""
    units = {u.id: (u.name, u.grid_id) for u in session.execute(select(Unit.id, Unit.name, Unit.grid_id))}
    areas = {a.id: (a, town) for town in county.towns for a in town.areas}
    candidates = [u for u in county.unit_ids if u != skip_unit]
    for i in range(count):
        unit_id = candidates[i % len(candidates)]
        name, grid_id = units[unit_id]
        area, town = areas[grid_id]
        yield unit_id, area, town, moments(i), name


def generate(app: Flask, scale: Scale, *, batch: int = 2000, log: Callable[[str], None] = print) -> County:
    """The county of `scale` in the app's (empty) database."""
    session = db.session
    clock = time.perf_counter()
    region, towns = _organisation(session, scale)
    county = County(region, towns, [])
    county.timings["organisation"] = time.perf_counter() - clock
    clock = time.perf_counter()
    county.unit_ids = _units(session, towns, scale.units, batch * 5)
    county.timings["units"] = time.perf_counter() - clock
    clock = time.perf_counter()
    templates = _templates(app, session, towns[0], county.unit_ids[0])
    county.timings["templates"] = time.perf_counter() - clock
    finished = scale.finished - 2  # the two finished templates count
    plans = [("patrol", finished // 2, lambda i: MOMENT - timedelta(days=1 + i * 7 % HISTORY_DAYS, minutes=i % 600)),
             ("inspection", finished - finished // 2,
              lambda i: MOMENT - timedelta(days=2 + i * 11 % HISTORY_DAYS, minutes=i % 500)),
             # open tasks: opened in the last three weeks, so some are overdue and some due soon
             ("open", scale.open_tasks - 1, lambda i: MOMENT - timedelta(days=i % 21, minutes=i % 300))]
    for kind, count, moments in plans:
        clock = time.perf_counter()
        cloner = Cloner(session, templates[kind], county)
        targets = (cloner.target(*t) for t in _targets(session, county, count, moments, county.unit_ids[0]))
        _clone(session, cloner, targets, count, batch, log, kind)
        county.timings[kind] = time.perf_counter() - clock
    clock = time.perf_counter()
    _after_bulk(session)
    county.timings["sequences and statistics"] = time.perf_counter() - clock
    return county


def _after_bulk(session: Session) -> None:
    """PostgreSQL: sequences past the explicit ids, and planner statistics and visibility maps as autovacuum would
    have them (without the latter, PostgreSQL reads the heap behind every index-only scan). The tables triggers
    keep (`…_total`) compacted first: the generator's transactions of thousands of rows rewrite each total row
    thousands of times before commit, which leaves them ~100x their size (grid_unit_total: 544 pages for 480
    rows), where the product's transactions of one record each update them in place (HOT)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in _tables():
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                             f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{table.name}\"), false)"))
    session.commit()
    kept = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables if t.name.endswith("_total"))
    with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if kept:
            connection.execute(text(f"VACUUM FULL {kept}"))
        connection.execute(text("VACUUM ANALYZE"))


# --- measuring ----------------------------------------------------------------------------------------------

# --pages keys → the labels of page_urls
PAGES = {"inbox": "待办 (inbox)", "unit": "unit page", "town-dashboard": "town dashboard",
         "county-dashboard": "county dashboard", "overview": "county overview"}


def page_urls(county: County) -> dict[str, tuple[str, str]]:
    """Page label → (username, URL), the first town's clerk/leader and the county supervisor."""
    unit_id = county.unit_ids[len(county.towns)]  # a unit of the first town with its share of cases
    month = f"{MOMENT:%Y-%m}"
    return {
        "待办 (inbox)": ("t00_clerk", "/tasks/"),
        "unit page": ("t00_clerk", f"/units/{unit_id}"),
        "town dashboard": ("t00_leader", f"/reports/?period={month}"),
        "county dashboard": ("county_supervisor", f"/reports/?period={month}"),
        "county overview": ("county_supervisor", "/county/"),
    }


def _fetcher(app: Flask, county: County, label: str) -> Callable[[], float]:
    """A logged-in fetch of one page on one database; returns its milliseconds (and checks the 200)."""
    username, url = page_urls(county)[label]
    browser = Browser(app.test_client())
    browser.login(username, factories.PASSWORD)
    assert browser.get(url).status_code == 200, (label, url)  # and warm: templates, first connection

    def fetch() -> float:
        start = time.perf_counter()
        response = browser.get(url)
        assert response.status_code == 200, (label, url, response.status_code)
        return (time.perf_counter() - start) * 1000
    return fetch


def measure(sides: list[tuple[Flask, County]], repeat: int,
            pages: list[str] | None = None) -> list[dict[str, tuple[float, float]]]:
    """p50/p95 in ms of each page (all, or those labelled in `pages`) on each side, the sides fetched in turn
    (so both see the same load on a shared machine), `repeat` times after one warm fetch."""
    for app, _county in sides:
        app.extensions["firegrid.clock"].set(MOMENT + timedelta(hours=1))
    results: list[dict[str, tuple[float, float]]] = [{} for _ in sides]
    for label in pages or page_urls(sides[0][1]):
        fetches = [_fetcher(app, county, label) for app, county in sides]
        samples: list[list[float]] = [[] for _ in sides]
        for _ in range(repeat):
            for fetch, kept in zip(fetches, samples, strict=True):
                kept.append(fetch())
        for found, kept in zip(results, samples, strict=True):
            kept.sort()
            found[label] = (statistics.median(kept), kept[max(0, round(0.95 * len(kept)) - 1)])
    for app, _county in sides:
        app.extensions["firegrid.clock"].set(None)
    return results


def _app(url: str, data_dir: Path) -> Flask:
    # no LibreOffice in the measured pages: the layout check and the PDF job are off, as in the tests
    return create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                       "CHECK_WORKFLOWS": False, "LAYOUT_CHECK": False, "PDF_AFTER_ISSUE": False})


def _existing(app: Flask) -> County:
    """The county already in the database (`--keep`)."""
    session = db.session
    region = session.scalar(select(GridNode).where(GridNode.level == "region", GridNode.name == REGION))
    towns = []
    for node in session.scalars(select(GridNode).where(GridNode.level == "town").order_by(GridNode.id)):
        areas = list(session.scalars(select(GridNode).where(GridNode.level == "area",
                                                            GridNode.path.startswith(node.path))))
        index = node.name.removeprefix("基准").removesuffix("镇")
        users = {role: session.scalar(select(User.id).where(User.username == f"t{index}_{role}")) for role in STAFF}
        towns.append(Town(node, areas, users))
    unit_ids = list(session.scalars(select(Unit.id).order_by(Unit.id)))
    return County(region, towns, unit_ids)


def prepare(url: str, scale: Scale, keep: bool, data_dir: Path, log: Callable[[str], None]) -> tuple:
    """The app on `url` with its county: generated (tables dropped first), or the one there with `keep`."""
    app = _app(url, data_dir)
    with app.app_context():
        if keep and db.session.scalar(select(func.count(ProcessInstance.id))):
            county, seconds = _existing(app), 0.0
        else:
            fresh_schema()
            started = time.perf_counter()
            county = generate(app, scale, log=log)
            seconds = time.perf_counter() - started
            log(f"  generated in {seconds:.0f} s: " + ", ".join(f"{k} {v:.0f} s" for k, v in county.timings.items()))
        cases = db.session.scalar(select(func.count(ProcessInstance.id)))
        db.session.remove()
    return app, county, seconds, cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="the county's database (its tables are dropped first)")
    parser.add_argument("--baseline-url", help="the one town's database (its tables are dropped first)")
    parser.add_argument("--towns", type=int, default=COUNTY.towns)
    parser.add_argument("--units", type=int, default=COUNTY.units)
    parser.add_argument("--finished", type=int, default=COUNTY.finished)
    parser.add_argument("--open", dest="open_tasks", type=int, default=COUNTY.open_tasks)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="measure the data already there (no generation)")
    parser.add_argument("--pages", nargs="+", choices=list(PAGES), metavar="PAGE",
                        help=f"measure only these pages ({', '.join(PAGES)}); default all")
    args = parser.parse_args()
    scale = Scale(args.towns, args.units, args.finished, args.open_tasks)
    data_dir = Path(tempfile.mkdtemp(prefix="firegrid-county-"))
    county_url = args.database_url or f"sqlite:///{data_dir / 'county.db'}"
    town_url = args.baseline_url or f"sqlite:///{data_dir / 'town.db'}"
    log = lambda line: print(line, flush=True)  # noqa: E731
    log(f"one town: {scale.one_town()}")
    town_app, town, town_seconds, town_cases = prepare(town_url, scale.one_town(), args.keep, data_dir / "town", log)
    log(f"county: {scale}")
    county_app, county, county_seconds, county_cases = prepare(county_url, scale, args.keep, data_dir / "county", log)
    town_pages, county_pages = measure([(town_app, town), (county_app, county)], args.repeat,
                                       [PAGES[key] for key in args.pages or ()])
    log(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}; backend {county_url.split(':')[0]}")
    log(f"cases: one town {town_cases:,} (generated in {town_seconds:.0f} s), "
        f"county {county_cases:,} (generated in {county_seconds:.0f} s)")
    log(f"{'page':<18} {'town p50':>9} {'p95':>8} {'county p50':>11} {'p95':>8} {'ratio p50':>10} {'p95':>6}")
    for label, (p50, p95) in town_pages.items():
        c50, c95 = county_pages[label]
        log(f"{label:<18} {p50:9.1f} {p95:8.1f} {c50:11.1f} {c95:8.1f} {c50 / p50:9.2f}x {c95 / p95:5.2f}x")
    log("(ms; issue 24 asks <= 2x)")


if __name__ == "__main__":
    main()
