"""Pieces of bench/load.py: the server under test, a browser-like HTTP client, statistics, invariants."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import lxml.html
import psycopg

CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FIREGRID = str(Path(sys.executable).with_name("firegrid"))


# ---------------------------------------------------------------- the server under test


@dataclass
class Server:
    admin_url: str  # postgresql://user@host:port — the maintenance connection (database "postgres")
    database: str
    data_dir: Path
    threads: int
    port: int = 0
    process: subprocess.Popen | None = None
    log: IO[bytes] | None = None

    @property
    def database_url(self) -> str:
        return f"{self.admin_url}/{self.database}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {**os.environ, "FIREGRID_DATABASE_URL": self.database_url, "FIREGRID_DATA_DIR": str(self.data_dir),
                "FIREGRID_SECRET_KEY": "firegrid-load-test"}


def recreate_database(server: Server, drop_only: bool = False) -> None:
    with psycopg.connect(f"{server.admin_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{server.database}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{server.database}"')


def load_demo(server: Server) -> float:
    """`firegrid demo --history` into the fresh database; returns the seconds it took."""
    start = time.perf_counter()
    subprocess.run([FIREGRID, "demo", "--history"], env=server.env(), check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(server: Server, timeout: float = 60.0) -> None:
    """`firegrid serve` as a subprocess on a free loopback port; returns once /healthz answers."""
    server.port = free_port()
    server.log = (server.data_dir / "server.log").open("wb")
    server.process = subprocess.Popen(
        [FIREGRID, "serve", "--host", "127.0.0.1", "--port", str(server.port), "--threads", str(server.threads)],
        env=server.env(), stdout=server.log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"firegrid serve exited with {server.process.returncode}; see {server.log.name}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("firegrid serve did not become healthy in time")


def stop_server(server: Server) -> None:
    if server.process is not None and server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    if server.log is not None:
        server.log.close()


def server_tracebacks(server: Server, limit: int = 3) -> list[str]:
    """The last few tracebacks the server logged (for the report of 5xx responses)."""
    text = (server.data_dir / "server.log").read_text(encoding="utf-8", errors="replace")
    blocks = re.split(r"\n(?=\S)", text)
    return [b for b in blocks if "Traceback" in b][-limit:]


# ---------------------------------------------------------------- statistics


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)  # (kind, reason) → count
    error_samples: list[str] = field(default_factory=list)
    conflicts: int = 0
    outcomes: Counter = field(default_factory=Counter)  # e.g. submitted, skipped, started
    by_route: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # "GET /cases/<id>"

    def record(self, kind: str, method: str, url: str, seconds: float) -> None:
        self.latencies[kind].append(seconds)
        route = re.sub(r"\d+", "<id>", url.split("?")[0])
        self.by_route[f"{method} {route}"].append(seconds)

    def error(self, kind: str, reason: str, detail: str) -> None:
        self.errors[(kind, reason)] += 1
        if len(self.error_samples) < 20:
            self.error_samples.append(f"{kind} {reason} {detail}")

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def request_count(self) -> int:
        """Requests of the timed run (the logins before it are not counted)."""
        return sum(len(v) for k, v in self.latencies.items() if k != "login")


def percentile(samples: list[float], pct: float) -> float:
    if len(samples) < 2:
        return samples[0] if samples else 0.0
    return statistics.quantiles(samples, n=100, method="inclusive")[int(pct) - 1]


def report_lines(stats: Stats, elapsed: float) -> list[str]:
    lines = [f"{'kind':<9}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"]
    for kind in ("browse", "submit", "download"):
        ms = [s * 1000 for s in stats.latencies.get(kind, [])]
        lines.append(f"{kind:<9}{len(ms):>9}{len(ms) / elapsed:>8.1f}{percentile(ms, 50):>9.0f}"
                     f"{percentile(ms, 95):>9.0f}{percentile(ms, 99):>9.0f}{max(ms, default=0):>9.0f}")
    total = stats.request_count
    lines.append(f"total: {total} requests in {elapsed:.1f} s = {total / elapsed:.1f} req/s")
    lines.append(f"errors: {stats.error_count} {dict(stats.errors) or ''}".rstrip())
    lines.append(f"conflicts (409, expected): {stats.conflicts}")
    lines.append("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.outcomes.items())))
    lines.append("slowest routes (p95 ms, p50 ms, requests):")
    routes = sorted(stats.by_route.items(), key=lambda item: -percentile(item[1], 95))[:6]
    lines += [f"  {route:<42}{percentile(s, 95) * 1000:>7.0f}{percentile(s, 50) * 1000:>7.0f}{len(s):>6}"
              for route, s in routes]
    return lines + [f"  sample error: {s}" for s in stats.error_samples[:10]]


# ---------------------------------------------------------------- a browser-like client


class Browser:
    """One virtual user: its own cookie jar, the CSRF token of the last page, timings into Stats."""

    def __init__(self, base_url: str, kind: str, stats: Stats, timeout: float) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout, follow_redirects=False)
        self.kind, self.stats, self.csrf_token = kind, stats, ""

    async def request(self, method: str, url: str, **kwargs: object) -> httpx.Response | None:
        """The response, or None after a timeout or transport error (counted as an error)."""
        start = time.perf_counter()
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            self.stats.error(self.kind, "timeout", f"{method} {url}")
            return None
        except httpx.TransportError as error:
            self.stats.error(self.kind, "transport", f"{method} {url}: {error!r}")
            return None
        self.stats.record(self.kind, method, url, time.perf_counter() - start)
        self._classify(method, url, response)
        if response.headers.get("content-type", "").startswith("text/html"):
            match = CSRF_PATTERN.search(response.text)
            self.csrf_token = match.group(1) if match else self.csrf_token
        return response

    def _classify(self, method: str, url: str, response: httpx.Response) -> None:
        status = response.status_code
        if status == 409:
            self.stats.conflicts += 1
        elif status >= 500:
            self.stats.error(self.kind, f"{status}", f"{method} {url}")
        elif status >= 400:
            self.stats.error(self.kind, f"{status}", f"{method} {url}: {form_errors(response.text)[:200]}")

    async def get(self, url: str) -> httpx.Response | None:
        return await self.request("GET", url)

    async def post(self, url: str, data: list[tuple[str, str]], files: dict | None = None) -> httpx.Response | None:
        fields = [("csrf_token", self.csrf_token), *[(k, v) for k, v in data if k != "csrf_token"]]
        if files:  # multipart: httpx wants a dict of lists for repeated keys
            grouped: dict[str, list[str]] = defaultdict(list)
            for key, value in fields:
                grouped[key].append(value)
            return await self.request("POST", url, data=dict(grouped), files=files)
        return await self.request("POST", url, content=_urlencode(fields),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})

    async def login(self, username: str, password: str) -> bool:
        await self.get("/login")
        response = await self.post("/login", [("username", username), ("password", password)])
        return response is not None and response.status_code == 302

    async def close(self) -> None:
        await self.client.aclose()


def _urlencode(fields: list[tuple[str, str]]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields).encode()


def form_errors(html: str) -> str:
    return " ".join(re.findall(r'class="(?:error|flash[^"]*)"[^>]*>([^<]+)<', html))


def page_form(html: str) -> lxml.html.FormElement | None:
    """The page's own form (task or start form), not the logout form of the header."""
    forms = [f for f in lxml.html.fromstring(html).forms if f.get("enctype") == "multipart/form-data"]
    return forms[0] if forms else None


def links(html: str, pattern: str) -> list[str]:
    return re.findall(rf'href="({pattern})"', html)


# ---------------------------------------------------------------- invariants, checked in the database


def completed_twice(conn: psycopg.Connection) -> list[str]:
    """A task completed again without a send-back/withdraw in between (which legitimately reopens it)."""
    rows = conn.execute("SELECT instance_id, action, engine_task_id FROM case_event "
                        "WHERE action IN ('complete', 'send_back', 'withdraw') ORDER BY instance_id, id").fetchall()
    done: dict[int, set[str]] = defaultdict(set)
    problems = []
    for instance_id, action, task_id in rows:
        if action != "complete":
            done[instance_id].clear()
        elif task_id and task_id in done[instance_id]:
            problems.append(f"case {instance_id} task {task_id}")
        else:
            done[instance_id].add(task_id)
    return problems


def number_problems(conn: psycopg.Connection) -> list[str]:
    """Per prefix and year: serials 1..N, each once (void numbers stay in the ledger), counter == N."""
    problems = []
    ledgers: dict[tuple[str, int], list[int]] = defaultdict(list)
    for prefix, year, serial in conn.execute("SELECT prefix, year, serial FROM issued_number"):
        ledgers[(prefix, year)].append(serial)
    counters = dict(((p, y), n) for p, y, n in conn.execute("SELECT prefix, year, last_serial FROM number_sequence"))
    for key, serials in sorted(ledgers.items()):
        if sorted(serials) != list(range(1, len(serials) + 1)):
            dupes = sorted(s for s, n in Counter(serials).items() if n > 1)
            gaps = sorted(set(range(1, max(serials) + 1)) - set(serials))
            problems.append(f"{key[0]} {key[1]}: duplicated {dupes} missing {gaps}")
        if counters.get(key) != len(serials):
            problems.append(f"{key[0]} {key[1]}: counter {counters.get(key)} but {len(serials)} numbers")
    shared = conn.execute("SELECT document_id FROM issued_number WHERE document_id IS NOT NULL "
                          "AND status <> 'void' GROUP BY document_id HAVING count(*) > 1").fetchall()
    return problems + [f"document {row[0]} holds several numbers" for row in shared]


def _file_problem(files_dir: Path, sha256: str) -> str | None:
    path = files_dir / sha256[:2] / sha256[2:4] / sha256
    if not path.exists():
        return f"file {sha256[:12]} missing"
    return None if hashlib.sha256(path.read_bytes()).hexdigest() == sha256 else f"file {sha256[:12]} corrupt"


def file_problems(conn: psycopg.Connection, files_dir: Path) -> tuple[int, list[str]]:
    """Every issued document's file, and every other stored file (uploads), hashes to its SHA-256."""
    documents = conn.execute("SELECT id, file_sha256 FROM document WHERE status = 'issued'").fetchall()
    problems = [f"document {i}: {p}" for i, sha in documents if (p := _file_problem(files_dir, sha))]
    others = conn.execute("SELECT sha256 FROM stored_file WHERE sha256 NOT IN "
                          "(SELECT file_sha256 FROM document WHERE status = 'issued')").fetchall()
    problems += [f"stored file: {p}" for (sha,) in others if (p := _file_problem(files_dir, sha))]
    return len(documents) + len(others), problems


def check_invariants(server: Server) -> list[tuple[str, list[str]]]:
    with psycopg.connect(server.database_url) as conn:
        checked, files = file_problems(conn, server.data_dir / "files")
        return [
            ("no task completed twice", completed_twice(conn)),
            ("document numbers unique and gap-free per prefix/year", number_problems(conn)),
            (f"issued documents' and uploaded files match their SHA-256 ({checked} files)", files),
        ]
