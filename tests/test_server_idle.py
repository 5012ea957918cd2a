"""`firegrid serve` as a real process: 200 idle connections held open do not starve a signed-in user,
and no response names the server."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(base: str, server: subprocess.Popen) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise AssertionError(server.stdout.read())
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5):
                return
        except OSError:  # not listening yet, or still loading the demo (URLError, refusals, read timeouts)
            time.sleep(0.5)
    raise AssertionError("server did not start")


@pytest.mark.slow
def test_idle_connections_do_not_starve_a_signed_in_user(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIREGRID_")}
    # one LibreOffice started on first use, as the other tests' processes (not a pool started with serve)
    env.update(PYTHONPATH=str(REPO), FIREGRID_DATA_DIR=str(tmp_path / "data"), FIREGRID_PDF_LISTENERS="1",
               FIREGRID_PDF_START_EARLY="0")
    server = subprocess.Popen([sys.executable, "-m", "webapp.cli", "serve", "--port", str(port), "--demo",
                               "--threads", "4"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    idle: list[socket.socket] = []
    try:
        _wait_until_up(base, server)
        for n in range(200):
            held = socket.create_connection(("127.0.0.1", port), timeout=10)
            if n % 2:
                held.sendall(b"GET /login HTTP/1.1\r\nHost: x\r\n")  # half a request, never finished
            idle.append(held)

        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with browser.open(f"{base}/login", timeout=30) as login_page:
            assert "Server" not in login_page.headers
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page.read().decode()).group(1)
        form = urllib.parse.urlencode({"csrf_token": token, "username": "clerk", "password": "firegrid-demo"})
        with browser.open(f"{base}/login", data=form.encode(), timeout=30) as signed_in:
            assert signed_in.url.endswith("/")
        with browser.open(f"{base}/units/", timeout=30) as units:
            assert units.status == 200 and "单位" in units.read().decode()
    finally:
        for held in idle:
            held.close()
        server.terminate()
        server.wait(timeout=30)
