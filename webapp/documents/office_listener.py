"""One long-lived LibreOffice per app process, driven over UNO by unoserver (PyPI).

A one-shot ``soffice --convert-to`` pays LibreOffice's start (~1.5 s) on every call; the listener pays
it once per process and then converts one document at a time. unoserver's server needs the ``uno``
module of the system's python3-uno, so it runs as a child process of this interpreter with that
module's folder on its path. Conversions are serialised by a lock (LibreOffice converts one document at
a time anyway); several app processes each start their own listener on their own ports and profile.

A listener that died (LibreOffice crashed or was killed) is started again on the next conversion; a
conversion that takes longer than the timeout kills the listener (the next conversion starts a new one)
and raises ``ListenerTimeout``. When the listener cannot start at all, ``ListenerUnavailable`` tells the
caller to fall back to the one-shot conversion.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import importlib.util
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from pathlib import Path

log = logging.getLogger(__name__)
START_TIMEOUT = 60.0  # LibreOffice's first start with a fresh profile takes 5-10 s on 2 busy cores
_UNO_DIRS = ("/usr/lib/python3/dist-packages", "/usr/lib/libreoffice/program")


class ListenerUnavailable(RuntimeError):
    """The listener cannot run here (no unoserver, no python3-uno) or did not start."""


class ListenerTimeout(RuntimeError):
    """One document took longer than the timeout; the listener was stopped."""


def uno_path() -> str | None:
    """The folder to put on the server's path so it can import ``uno``; "" when this Python has it."""
    if importlib.util.find_spec("uno") is not None:
        return ""
    return next((d for d in _UNO_DIRS if Path(d, "uno.py").exists()), None)


def _descendants(pid: int) -> list[int]:
    """Child processes, depth first (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in map(int, (task / "children").read_text().split()):
                found += [child, *_descendants(child)]
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host):  # noqa: ANN001, ANN201 - xmlrpc's signature
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


class OfficeListener:
    """A unoserver child process and its LibreOffice, started on first use."""

    def __init__(self, soffice: str, fonts_conf: Path, timeout: float = 20.0) -> None:
        self.soffice, self.fonts_conf, self.timeout = soffice, fonts_conf, timeout
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._port = 0
        self._work: Path | None = None

    @staticmethod
    def supported() -> bool:
        return importlib.util.find_spec("unoserver") is not None and uno_path() is not None

    @property
    def office_pid(self) -> int | None:
        """The running LibreOffice (soffice.bin, below its launcher script), e.g. for a test to kill."""
        if self._process is None:
            return None
        for pid in _descendants(self._process.pid):
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/exe").resolve().name == "soffice.bin":
                    return pid
        return None

    def convert(self, docx: bytes, filter_options: list[str]) -> bytes:
        """PDF of one DOCX; a listener found dead is started again once before giving up."""
        with self._lock:
            for attempt in (1, 2):
                self._ensure_running()
                try:
                    return self._call(docx, filter_options)
                except TimeoutError as error:
                    self._stop()
                    raise ListenerTimeout(f"conversion took longer than {self.timeout:.0f} s") from error
                except (OSError, http.client.HTTPException, xmlrpc.client.Fault) as error:
                    if self.office_pid is not None and isinstance(error, xmlrpc.client.Fault):
                        raise  # LibreOffice is alive: this document could not be converted
                    log.warning("LibreOffice listener lost (%s); starting it again", error)
                    self._stop()
                    if attempt == 2:
                        raise ListenerUnavailable(str(error)) from error
        raise AssertionError("unreachable")

    def _call(self, docx: bytes, filter_options: list[str]) -> bytes:
        proxy = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{self._port}", allow_none=True,
                                          transport=_TimeoutTransport(self.timeout + 2))
        try:
            result = proxy.convert(None, xmlrpc.client.Binary(docx), None, "pdf", "writer_pdf_Export",
                                   filter_options, False)
        except xmlrpc.client.Fault as fault:
            if "Timeout" in fault.faultString:  # the server's own timeout fired first: it is exiting
                raise TimeoutError(fault.faultString) from fault
            raise
        return result.data

    def _ensure_running(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        self._stop()
        if not self.supported():
            raise ListenerUnavailable("unoserver or python3-uno is not installed")
        self._start()

    def _start(self) -> None:
        self._work = Path(tempfile.mkdtemp(prefix="firegrid-office-"))
        self._port, uno_port = _free_port(), _free_port()
        extra = uno_path()
        env = dict(os.environ, FONTCONFIG_FILE=str(self.fonts_conf))
        if extra:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH"), extra]))
        command = [sys.executable, "-m", "unoserver.server", "--port", str(self._port), "--uno-port", str(uno_port),
                   "--executable", self.soffice, "--user-installation", str(self._work / "profile"),
                   "--conversion-timeout", str(max(1, int(self.timeout))), "--quiet"]
        self._process = subprocess.Popen(command, env=env, start_new_session=True, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_ready()

    def _wait_ready(self) -> None:
        proxy = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{self._port}", transport=_TimeoutTransport(5))
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            with contextlib.suppress(OSError, http.client.HTTPException, xmlrpc.client.Error):
                proxy.info()
                return
            time.sleep(0.2)
        self._stop()
        raise ListenerUnavailable("the LibreOffice listener did not start")

    def _stop(self) -> None:
        """Kill the server and its LibreOffice (one process group) and remove the profile."""
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
            self._process = None
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None

    def close(self) -> None:
        with self._lock:
            self._stop()


_LISTENERS: dict[str, OfficeListener] = {}
_LISTENERS_LOCK = threading.Lock()


def shared_listener(soffice: str, fonts_conf: Path, timeout: float) -> OfficeListener:
    """The process's one listener for this LibreOffice (every app built in the process shares it)."""
    with _LISTENERS_LOCK:
        if soffice not in _LISTENERS:
            _LISTENERS[soffice] = OfficeListener(soffice, fonts_conf, timeout)
        return _LISTENERS[soffice]


@atexit.register
def _close_all() -> None:
    for listener in _LISTENERS.values():
        listener.close()
