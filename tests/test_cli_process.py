"""The `firegrid` command run as a real process in an empty directory, as an administrator runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _firegrid(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIREGRID_")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "webapp.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_help_and_check_write_nothing(tmp_path: Path) -> None:
    for args in (["--help"], ["serve", "--help"], ["check"], ["templates", "list"]):
        result = _firegrid(tmp_path, *args)
        assert result.returncode == 0, result.stderr
        assert list(tmp_path.iterdir()) == [], f"firegrid {' '.join(args)} wrote {list(tmp_path.iterdir())}"


@pytest.mark.slow
def test_serve_on_a_busy_port_says_so_in_chinese(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _firegrid(tmp_path, "serve", "--port", str(port))
    assert result.returncode != 0
    assert "已启动" not in result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert f"端口 {port} 已被占用" in result.stderr and "--port" in result.stderr
