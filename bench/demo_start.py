"""First start of the demo with its history (issue 24, item 5 asks ≤ 60 s on a 2-core machine).

    python bench/demo_start.py [--port 5077] [--pdf-timeout 900] [--source CHECKOUT] [--keep]

Runs `firegrid serve --demo --history` on an empty data dir (SQLite) and times it until /login answers 200,
then until the background loop has made the issued documents' PDFs (when LibreOffice is installed), and
stops the server. Prints wall-clock seconds and the server process's CPU seconds, since on a shared machine
the wall clock mostly measures the other jobs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _pdfs_pending(database: Path) -> int | None:
    """Issued documents still without their PDF (None before the table exists)."""
    try:
        with sqlite3.connect(database) as connection:
            return connection.execute("SELECT COUNT(*) FROM document WHERE status = 'issued' "
                                      "AND pdf_sha256 IS NULL").fetchone()[0]
    except sqlite3.Error:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--pdf-timeout", type=float, default=900, help="seconds to wait for the PDFs (0: don't)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout to run (another branch, to compare)")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="firegrid-demo-start-"))
    env = {**os.environ, "FIREGRID_DATA_DIR": str(data_dir), "PYTHONPATH": str(args.source)}
    env.pop("FIREGRID_DATABASE_URL", None)
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-c", "from webapp.cli import main; main()", "serve", "--demo",
                               "--history", "--port", str(args.port)], env=env, cwd=data_dir,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while not _answers(f"http://127.0.0.1:{args.port}/login"):
            if server.poll() is not None:
                raise SystemExit(f"the server stopped (exit {server.returncode}); data dir {data_dir}")
            time.sleep(0.2)
        ready, ready_cpu = time.perf_counter() - started, _cpu_seconds(server.pid)
        print(f"serving after {ready:.1f} s (server CPU {ready_cpu:.1f} s); "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        pending = _pdfs_pending(data_dir / "firegrid.db")
        print(f"issued documents without a PDF at that moment: {pending}", flush=True)
        deadline = time.perf_counter() + args.pdf_timeout
        while args.pdf_timeout and shutil.which("soffice") and time.perf_counter() < deadline:
            if _pdfs_pending(data_dir / "firegrid.db") == 0:
                print(f"every PDF made by the background loop after {time.perf_counter() - started:.1f} s",
                      flush=True)
                break
            time.sleep(2)
    finally:
        # Ctrl-C first: the server's exit handlers stop its LibreOffice listener (its own process group)
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
