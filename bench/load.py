"""Load test: concurrent browser-like users against `firegrid serve` on PostgreSQL, then invariants.

    python bench/load.py [--users 50] [--seconds 60] [--threads 8] [--keep]

Creates its own database (default firegrid_load, dropped first), loads `firegrid demo --history`
into it, starts `firegrid serve` on a free loopback port, and runs virtual users, each with its own
cookie jar and the CSRF token of the page it last read: half browse inboxes, dashboards and case
pages; a quarter open inbox tasks and submit their forms (and start new notices and inspections
when their inbox has nothing they can fill); a quarter download issued documents and check their
SHA-256. A 409 (someone else completed the task first) is expected and counted apart. Afterwards
it checks in the database that no task was completed twice, that document numbers are unique and
gap-free, and that every issued document's file matches its SHA-256. Exit status 1 on any error
or violation.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import html
import io
import random
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import lxml.html
import psycopg
import pypdf

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_support import (  # noqa: E402
    Browser,
    Server,
    Stats,
    check_invariants,
    form_errors,
    load_demo,
    page_form,
    recreate_database,
    report_lines,
    server_tracebacks,
    start_server,
    stop_server,
)

PASSWORD = "firegrid-demo"
SUBMITTERS = ["clerk", "leader", "office_head", "inspector", "clerk", "leader", "inspector2", "office_head",
              "clerk", "leader", "inspector", "clerk_shiqiao"]
DOWNLOADERS = ["archivist", "leader", "clerk_shiqiao", "inspector", "office_head", "clerk"]
BROWSERS = ["leader", "clerk", "inspector", "office_head", "archivist", "clerk_shiqiao", "inspector_shiqiao",
            "inspector2"]
COMMON_PAGES = ["/", "/tasks/", "/tasks/done", "/letters/", "/meetings/plan", "/meetings/decisions"]
ROLE_PAGES = {"/inspection/": ("leader", "clerk", "inspector", "inspector2", "clerk_shiqiao", "inspector_shiqiao"),
              "/notices/register": ("leader", "clerk", "office_head", "archivist", "clerk_shiqiao")}
STARTS = {"clerk": "notice", "clerk_shiqiao": "notice", "inspector": "inspection", "inspector2": "inspection"}


def _blank_pdf() -> bytes:
    """A one-page PDF that opens (uploads are opened in full when stored, so a stub is refused)."""
    out, writer = io.BytesIO(), pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.write(out)
    return out.getvalue()


RECEIPT_PDF = _blank_pdf()


@dataclass
class Catalogue:
    """What each account may see, read once from the database before the run."""

    cases: dict[str, list[int]]
    documents: dict[str, list[tuple[int, str]]]


@dataclass
class Run:
    base_url: str
    deadline: float
    think: float
    timeout: float
    catalogue: Catalogue
    stats: Stats

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    async def pause(self) -> None:
        if self.think:
            await asyncio.sleep(random.uniform(0, 2 * self.think))


def today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def read_catalogue(database_url: str) -> Catalogue:
    with psycopg.connect(database_url) as conn:
        scopes = dict(conn.execute("SELECT u.username, g.path FROM user_account u "
                                   "JOIN grid_node g ON g.id = u.scope_id").fetchall())
        cases = conn.execute("SELECT i.id, g.path FROM process_instance i JOIN grid_node g ON g.id = i.grid_id")
        cases = cases.fetchall()
        docs = conn.execute("SELECT d.id, d.file_sha256, g.path FROM document d JOIN grid_node g "
                            "ON g.id = d.grid_id WHERE d.status = 'issued'").fetchall()
    return Catalogue(
        cases={u: [i for i, p in cases if p.startswith(s)] for u, s in scopes.items()},
        documents={u: [(i, sha) for i, sha, p in docs if p.startswith(s)] for u, s in scopes.items()},
    )


# ---------------------------------------------------------------- browse and download


def browse_pages(username: str) -> list[str]:
    return COMMON_PAGES + [page for page, users in ROLE_PAGES.items() if username in users]


async def browse(browser: Browser, username: str, run: Run) -> None:
    pages, cases = browse_pages(username), run.catalogue.cases[username]
    while run.running():
        url = random.choice(pages) if random.random() < 0.6 or not cases else f"/cases/{random.choice(cases)}"
        await browser.get(url)
        await run.pause()


async def download(browser: Browser, username: str, run: Run) -> None:
    documents = run.catalogue.documents[username]
    while run.running() and documents:
        document_id, sha256 = random.choice(documents)
        response = await browser.get(f"/documents/{document_id}.docx")
        if response is not None and response.status_code == 200:
            if hashlib.sha256(response.content).hexdigest() != sha256:
                run.stats.error("download", "sha256", f"document {document_id}")
            run.stats.outcomes["downloaded"] += 1
        await run.pause()


# ---------------------------------------------------------------- filling forms like a user


Fields = list[tuple[str, str]]
Files = dict[str, tuple[str, bytes, str]]


def _set(fields: Fields, name: str, value: str) -> Fields:
    return [(k, v) for k, v in fields if k != name] + [(name, value)]


def _fill_blank(fields: Fields, name: str, value: str) -> Fields:
    return fields if any(k == name and v.strip() for k, v in fields) else _set(fields, name, value)


def _options(form: lxml.html.FormElement, name: str) -> list[str]:
    return [o for o in getattr(form.inputs[name], "value_options", []) if o and o != "0"]


def fill_task_form(form: lxml.html.FormElement) -> tuple[Fields, Files] | None:
    """The values a user would submit for the steps this test knows; None for any other step."""
    fields: Fields = list(form.form_values())
    names = {name for name in form.inputs.keys() if name}  # noqa: SIM118 — InputGetter has no iterator
    if "decision" in names:  # 核稿, 签发 (notices, rectification notices, referrals)
        return _set(_set(fields, "decision", "approve"), "opinion", "同意。"), {}
    if "body" in names:  # 拟稿 of a notice
        fields = _fill_blank(fields, "body", "一、开展隐患排查\n各村（社区）要对辖区场所逐户排查。")
        if not any(k == "addressees" for k, _ in fields):
            fields.append(("addressees", _options(form, "addressees")[0]))
        return fields, {}
    if "recipients" in names:  # 印发登记
        return _fill_blank(_fill_blank(fields, "printed_on", today()), "recipients", "各村（社区）"), {}
    if any(re.fullmatch(r"checks-\d+-rectified", name) for name in names):  # 复查: all rectified
        return [(k, v) for k, v in fields if not k.endswith("-rectified")] + [
            (name, "yes") for name in sorted(names) if name.endswith("-rectified")], {}
    if "severity" in names:  # 拟制整改通知书: the proposed deadline and hazards as prefilled, and a legal basis
        for name in sorted(n for n in names if n.endswith("-legal_basis")):  # where the record has none
            fields = _fill_blank(fields, name, "《中华人民共和国消防法》第十六条")
        return fields, {}
    if "receipt_scan" in names:  # 送达: date, receiver, scanned receipt
        fields = _fill_blank(_fill_blank(fields, "served_on", today()), "receiver_name", "王建国")
        return fields, {"receipt_scan": ("回执.pdf", RECEIPT_PDF, "application/pdf")}
    return None


def fill_inspection_start(form: lxml.html.FormElement) -> Fields:
    """A record with two inspectors and one hazard on the first item (→ a rectification notice)."""
    fields = [(k, v) for k, v in form.form_values() if k != "inspector_ids"]
    fields += [("inspector_ids", value) for value in _options(form, "inspector_ids")[:2]]
    fields = _set(fields, "items-0-result", "hazard")
    fields = _set(fields, "items-0-description", "疏散通道堆放杂物。")
    # items the form already marks as hazards (a patrol's open lead) need a place too
    hazards = [k.removesuffix("-result") for k, v in fields if k.endswith("-result") and v == "hazard"]
    for item in hazards:
        fields = _fill_blank(fields, f"{item}-location", "一楼走廊")
    return fields


# ---------------------------------------------------------------- submitting tasks and starting cases


def inbox_tasks(page: str) -> list[str]:
    return re.findall(r'href="(/tasks/\d+)"', page)


async def submit_task(browser: Browser, url: str, run: Run) -> str:
    """Open the task, fill its form, submit: 'submitted', 'conflict', 'skipped' or 'failed'."""
    page = await browser.get(url)
    if page is None or page.status_code != 200:
        return "conflict" if page is not None and page.status_code == 409 else "failed"
    form = page_form(page.text)
    filled = fill_task_form(form) if form is not None else None
    if filled is None:
        return "skipped"
    fields, files = filled
    response = await browser.post(url, fields, files)
    if response is None:
        return "failed"
    return {302: "submitted", 409: "conflict"}.get(response.status_code, "failed")


def _failed(response: httpx.Response | None, step: str) -> str:
    """Why a start failed: the step and the status, with the page's first error message."""
    if response is None:
        return f"start failed ({step}: no answer)"
    return f"start failed ({step}: {response.status_code} {form_errors(response.text)[:60]})"


def _started(response: httpx.Response | None) -> str:
    return "started" if response is not None and response.status_code == 302 else _failed(response, "post")


async def start_notice(browser: Browser, run: Run) -> str:
    url = "/procedures/notice_issuance/start"
    page = await browser.get(url)
    if page is None or page.status_code != 200:
        return _failed(page, "open")
    title = f"关于做好消防安全检查工作的通知（压测{random.randrange(10**6)}）"
    return _started(await browser.post(url, [("kind", "通知"), ("title", title)]))


async def start_inspection(browser: Browser, run: Run) -> str:
    page = await browser.get("/procedures/inspection/start")
    form = page_form(page.text) if page is not None and page.status_code == 200 else None
    if form is None:
        return _failed(page, "open")
    url = f"/procedures/inspection/start?unit_id={random.choice(_options(form, 'unit_id'))}"
    page = await browser.get(url)
    form = page_form(page.text) if page is not None and page.status_code == 200 else None
    if form is None:
        return _failed(page, "unit")
    return _started(await browser.post(url, fill_inspection_start(form), {}))


async def work_inbox(browser: Browser, skipped: set[str], run: Run) -> bool:
    """Submit one task from the inbox; False when there is none this user can fill."""
    inbox = await browser.get("/tasks/")
    urls = [u for u in inbox_tasks(inbox.text) if u not in skipped] if inbox is not None else []
    random.shuffle(urls)
    for url in urls[:5]:
        outcome = await submit_task(browser, url, run)
        run.stats.outcomes[outcome] += 1
        if outcome == "skipped":
            skipped.add(url)
        elif outcome in ("submitted", "conflict"):
            return True
    return False


async def submit(browser: Browser, username: str, run: Run) -> None:
    skipped: set[str] = set()
    starter = {"notice": start_notice, "inspection": start_inspection}.get(STARTS.get(username, ""))
    while run.running():
        if not await work_inbox(browser, skipped, run) and starter is not None:
            run.stats.outcomes[await starter(browser, run)] += 1
        await run.pause()


# ---------------------------------------------------------------- the run


def virtual_users(count: int) -> list[tuple[str, str]]:
    """(kind, account): half browse, a quarter submit, a quarter download."""
    quarter = count // 4
    kinds = [("submit", SUBMITTERS[i % len(SUBMITTERS)]) for i in range(quarter)]
    kinds += [("download", DOWNLOADERS[i % len(DOWNLOADERS)]) for i in range(quarter)]
    return kinds + [("browse", BROWSERS[i % len(BROWSERS)]) for i in range(count - 2 * quarter)]


async def run_users(server: Server, args: argparse.Namespace, catalogue: Catalogue) -> tuple[Stats, float]:
    stats, users = Stats(), virtual_users(args.users)
    browsers = [Browser(server.base_url, "login", stats, args.timeout) for _ in users]
    logged_in = await asyncio.gather(*(b.login(name, PASSWORD) for b, (_, name) in zip(browsers, users, strict=True)))
    stats.outcomes["login failed"] = logged_in.count(False)
    run = Run(server.base_url, time.monotonic() + args.seconds, args.think, args.timeout, catalogue, stats)
    loops = {"browse": browse, "submit": submit, "download": download}
    started = time.monotonic()
    for browser, (kind, _) in zip(browsers, users, strict=True):
        browser.kind = kind
    await asyncio.gather(*(loops[kind](b, name, run) for b, (kind, name) in zip(browsers, users, strict=True)))
    elapsed = time.monotonic() - started
    await asyncio.gather(*(b.close() for b in browsers))
    return stats, elapsed


def print_invariants(results: list[tuple[str, list[str]]]) -> bool:
    for name, problems in results:
        print(f"{'OK  ' if not problems else 'FAIL'} {name}")
        for problem in problems[:10]:
            print(f"       {problem}")
    return all(not problems for _, problems in results)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (firegrid serve --threads)")
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between a user's actions (s)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout (s)")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="firegrid_load")
    parser.add_argument("--keep", action="store_true", help="keep the database and data dir for inspection")
    return parser.parse_args()


def execute(server: Server, args: argparse.Namespace) -> bool:
    print(f"demo --history loaded in {load_demo(server):.0f} s; data dir {server.data_dir}")
    catalogue = read_catalogue(server.database_url)
    try:
        start_server(server)
        print(f"server on {server.base_url} ({args.threads} threads); {args.users} users for {args.seconds:.0f} s")
        stats, elapsed = asyncio.run(run_users(server, args, catalogue))
    finally:
        stop_server(server)
    print("\n".join(report_lines(stats, elapsed)))
    if any(reason.startswith("5") for _, reason in stats.errors):
        print("server tracebacks:\n" + "\n".join(html.unescape(t) for t in server_tracebacks(server)))
    invariants_ok = print_invariants(check_invariants(server))
    return invariants_ok and stats.error_count == 0


def main() -> int:
    args = parse_args()
    if args.database in ("test", "postgres"):
        sys.exit(f"refusing to use the database named {args.database!r}")
    server = Server(args.admin_url, args.database, Path(tempfile.mkdtemp(prefix="firegrid-load-")), args.threads)
    recreate_database(server)
    try:
        ok = execute(server, args)
    finally:
        if args.keep:
            print(f"kept: database {server.database_url}, data dir {server.data_dir}")
        else:
            recreate_database(server, drop_only=True)
            shutil.rmtree(server.data_dir, ignore_errors=True)
    print("RESULT:", "OK" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
