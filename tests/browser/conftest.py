"""Browser end-to-end fixtures: a live `firegrid serve` on a fresh demo database, and Chromium via Playwright.

The server always runs on its own SQLite file in a temporary data dir, also when the suite runs on
PostgreSQL (FIREGRID_TEST_DATABASE_URL): the other tests drop and recreate every table of that
database, so a second process must not share it. Without Chromium at /usr/bin/chromium or without
the `playwright` package, every browser test skips with the reason.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.support import SCREENSHOTS, phone_page

CHROMIUM = Path(os.environ.get("FIREGRID_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
START = "2026-10-19T08:00"  # the server's "now" when the demo is loaded (a Monday)
HISTORY_NOW = "2026-12-03T10:00"  # December: the history includes the year-end evaluation
CLI = [str(Path(__file__).with_name("run_with_clock.py"))]
# Variables of the developer's or CI's shell that must not reach the server under test.
FOREIGN_SETTINGS = ("FIREGRID_DATABASE_URL", "FIREGRID_TEST_DATABASE_URL", "FIREGRID_WORKFLOWS_DIR",
                    "FIREGRID_TEMPLATES_DIR", "FIREGRID_SECURE_COOKIES")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    data_dir: Path

    def firegrid(self, *args: str, timeout: float = 120) -> str:
        """Run a `firegrid` command against the server's database (a second process, as cron would)."""
        done = subprocess.run([sys.executable, *CLI, *args], env=self.env, cwd=self.data_dir, capture_output=True,
                              text=True, timeout=timeout, check=False)
        assert done.returncode == 0, f"firegrid {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def tick(self, moment: str) -> str:
        """`firegrid tick --now ISO`: fire the timers due at that moment."""
        return self.firegrid("tick", "--now", moment)

    def set_clock(self, moment: str) -> None:
        """What the server takes for "now" from here on (ISO, Beijing time); see run_with_clock.py."""
        Path(self.env["FIREGRID_TEST_NOW_FILE"]).write_text(moment, encoding="utf-8")


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"firegrid serve exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"firegrid serve did not answer within {seconds}s:\n{log.read_text(errors='replace')}")


def _serve(data_dir: Path, now: str, *demo_args: str) -> Iterator[LiveServer]:
    """`firegrid demo DEMO_ARGS…` at `now`, then `firegrid serve` on a free port until the caller is done."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN_SETTINGS}
    env.update({
        "FIREGRID_DATA_DIR": str(data_dir),
        "FIREGRID_SECRET_KEY": "browser-test-secret",
        "FIREGRID_TEST_NOW_FILE": str(data_dir / "now.txt"),
        # Timers fire only through `firegrid tick --now` in the tests, never by the wall clock.
        "FIREGRID_TIMER_INTERVAL": "86400",
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")]),
    })
    server = LiveServer(url=f"http://127.0.0.1:{port}", env=env, data_dir=data_dir)
    server.set_clock(now)
    server.firegrid("demo", *demo_args, timeout=600)
    log = data_dir / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, *CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
                                   env=env, cwd=data_dir, stdout=sink, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(server.url, process, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from _serve(tmp_path_factory.mktemp("browser-data"), START)


@pytest.fixture(scope="session")
def history_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A second server whose demo has this year's activity up to early December (`demo --history`), for
    pages that need records; the scenario tests keep the plain demo of `live_server` to themselves."""
    yield from _serve(tmp_path_factory.mktemp("history-data"), HISTORY_NOW, "--history")


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (CI installs the Debian package `chromium`)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the `playwright` Python package is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # noqa: ANN201
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture()
def log_in(request: pytest.FixtureRequest, chromium, live_server: LiveServer) -> Iterator[Callable]:  # noqa: ANN001
    """log_in("inspector") → a Playwright page of that demo account on a 390 × 844 phone viewport
    (of `live_server`, or of the server given)."""
    contexts = []

    def open_as(username: str, viewport: dict | None = None, server: LiveServer | None = None):  # noqa: ANN202
        page = phone_page(chromium, server or live_server, username, viewport)
        contexts.append(page.context)
        return page

    yield open_as
    if request.node.stash.get(FAILED, False):  # what each role was looking at when the test failed
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for number, context in enumerate(contexts):
            for page in context.pages:
                page.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}-{number}.png"), full_page=True)
    for context in contexts:
        context.close()
