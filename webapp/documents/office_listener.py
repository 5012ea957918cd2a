"""Long-lived LibreOffice processes, driven over UNO: a pool of listeners per app process.

A one-shot ``soffice --convert-to`` pays LibreOffice's start (~1.5 s) on every call; a listener pays it once
and then converts one document at a time. The UNO side (``office_server.py``) needs Debian's python3-uno, so
it runs as a child process of this interpreter with that module's folder on its path; we hand it a DOCX path
and a PDF path on one line of its stdin and read one line of answer from its stdout.

A pool (``OfficePool``) holds ``size`` listeners, started together when the app starts or each on first use:
a single conversion takes the listener used last (so clicks only ever start one), a batch spreads its
documents over all of them in parallel (two LibreOffice processes convert a batch on 2 busy cores in ~60% of
one's time, bench/pdf.py).

A listener that died (LibreOffice crashed or was killed) is started again on the next conversion; a
conversion that takes longer than the timeout kills the listener (the next conversion starts a new one)
and raises ``ListenerTimeout``. When the listener cannot start at all, ``ListenerUnavailable`` tells the
caller to fall back to the one-shot conversion.

Why not unoserver (used before): its server sleeps a fixed 5 s at every start and loads documents into a
visible frame; both cost more than the ≤ 250 ms a document issue 24 asks for (README, bench/pdf.py).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import itertools
import json
import logging
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger(__name__)
START_TIMEOUT = 60.0  # LibreOffice's first start with a fresh profile takes 2-10 s on 2 busy cores
# LibreOffice keeps ~1.5-2 MB of every document it converted (measured: 164 MB → 776 MB after 400 notices,
# with no frame or document left open): a listener is renewed after this many, ~1.5 s per 200 documents.
RENEW_AFTER = 200
# A listener not yet running joins a batch only if this many documents are still waiting once the batch's
# first listener converts: its start (~1.5 s of 2 busy cores, slowing the other listener) pays off only on a
# long batch (bench/pdf.py: with 20 documents a cold pool of two took longer than one listener).
JOIN_COLD = 30
SERVER = Path(__file__).with_name("office_server.py")
_UNO_DIRS = ("/usr/lib/python3/dist-packages", "/usr/lib/libreoffice/program")


class ListenerUnavailable(RuntimeError):
    """The listener cannot run here (no python3-uno) or did not start."""


class ListenerTimeout(RuntimeError):
    """One document took longer than the timeout; the listener was stopped."""


class OfficeRefused(RuntimeError):
    """LibreOffice is running but could not load or export this document."""


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


class OfficeListener:
    """An ``office_server.py`` child process and its LibreOffice, started on first use."""

    def __init__(self, soffice: str, fonts_conf: Path, timeout: float = 20.0) -> None:
        self.soffice, self.fonts_conf, self.timeout = soffice, fonts_conf, timeout
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._work: Path | None = None
        self._pending = b""  # bytes read from the server past the last answer line
        self.renew_after, self._converted = RENEW_AFTER, 0

    @staticmethod
    def supported() -> bool:
        return uno_path() is not None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def office_pid(self) -> int | None:
        """The running LibreOffice (soffice.bin, below its launcher), e.g. for a test to kill."""
        if self._process is None:
            return None
        for pid in _descendants(self._process.pid):
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/exe").resolve().name == "soffice.bin":
                    return pid
        return None

    def start(self) -> None:
        """Start LibreOffice now (e.g. when the app starts) instead of on the first conversion."""
        with self._lock:
            self._ensure_running()

    def convert(self, docx: bytes, pdfa: bool = False) -> bytes:
        """PDF (or PDF/A-2b) of one DOCX; a listener found dead is started again once before giving up."""
        with self._lock:
            for attempt in (1, 2):
                self._ensure_running()
                try:
                    pdf = self._call(docx, pdfa)
                except TimeoutError as error:
                    self._stop()
                    raise ListenerTimeout(f"conversion took longer than {self.timeout:.0f} s") from error
                except (OSError, EOFError) as error:
                    log.warning("LibreOffice listener lost (%s); starting it again", error)
                    self._stop()
                    if attempt == 2:
                        raise ListenerUnavailable(str(error)) from error
                else:
                    self._converted += 1
                    if self._converted >= self.renew_after:  # its quota: the next conversion starts a fresh one
                        self._stop()
                    return pdf
        raise AssertionError("unreachable")

    def _call(self, docx: bytes, pdfa: bool) -> bytes:
        source, target = self._work / "in.docx", self._work / "out.pdf"
        source.write_bytes(docx)
        target.unlink(missing_ok=True)
        request = {"source": str(source), "target": str(target), "pdfa": pdfa}
        self._process.stdin.write(json.dumps(request).encode() + b"\n")
        self._process.stdin.flush()
        answer = json.loads(self._read_line(time.monotonic() + self.timeout))
        if "error" in answer:
            raise OfficeRefused(answer["error"][-2000:])
        return target.read_bytes()

    def _read_line(self, deadline: float) -> bytes:
        """One line from the server; TimeoutError past the deadline, EOFError when it exited."""
        stdout = self._process.stdout.fileno()
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([stdout], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(stdout, 65536)
            if not chunk:
                raise EOFError("the LibreOffice listener exited")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return line

    def _ensure_running(self) -> None:
        if self.running:
            return
        self._stop()
        extra = uno_path()
        if extra is None:
            raise ListenerUnavailable("python3-uno is not installed")
        self._work = Path(tempfile.mkdtemp(prefix="firegrid-office-"))
        env = dict(os.environ, FONTCONFIG_FILE=str(self.fonts_conf))
        if extra:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH"), extra]))
        command = [sys.executable, str(SERVER), "--soffice", self.soffice, "--work", str(self._work)]
        self._process = subprocess.Popen(command, env=env, start_new_session=True, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            if self._read_line(time.monotonic() + START_TIMEOUT) != b"ready":
                raise EOFError("unexpected greeting")
        except (TimeoutError, EOFError, OSError) as error:
            self._stop()
            raise ListenerUnavailable(f"the LibreOffice listener did not start ({error!r})") from error

    def _stop(self) -> None:
        """Kill the server and its LibreOffice (one process group) and remove the profile."""
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
            for stream in (self._process.stdin, self._process.stdout):
                with contextlib.suppress(OSError):
                    stream.close()
            self._process = None
        self._pending, self._converted = b"", 0
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None

    def close(self) -> None:
        with self._lock:
            self._stop()


class OfficePool:
    """Up to ``size`` listeners; each one is started when a conversion first needs it."""

    def __init__(self, listeners: Sequence[OfficeListener]) -> None:
        self.listeners = list(listeners)
        self._idle: queue.LifoQueue[OfficeListener] = queue.LifoQueue()
        for listener in reversed(self.listeners):  # the first listener is taken first
            self._idle.put(listener)

    @classmethod
    def of(cls, soffice: str, fonts_conf: Path, timeout: float = 20.0, size: int = 1) -> OfficePool:
        return cls([OfficeListener(soffice, fonts_conf, timeout) for _ in range(max(1, size))])

    @property
    def size(self) -> int:
        return len(self.listeners)

    @contextlib.contextmanager
    def _listener(self) -> Iterator[OfficeListener]:
        """The idle listener used last (running already, when one is), back to the pool afterwards."""
        listener = self._idle.get()
        try:
            yield listener
        finally:
            self._idle.put(listener)

    def start(self) -> None:
        """Start every listener now, one after the other (two starts at once slow each other down), e.g. when
        the app starts, so neither the first click nor the first batch waits for LibreOffice."""
        for listener in self.listeners:
            listener.start()

    def convert(self, docx: bytes, pdfa: bool = False) -> bytes:
        with self._listener() as listener:
            return listener.convert(docx, pdfa)

    def convert_many(self, documents: list[bytes], pdfa: bool = False) -> list[bytes]:
        """PDFs in the documents' order, converted by up to ``size`` listeners at once. The first error
        stops handing out documents and is raised once the conversions under way are done."""
        if len(documents) < 2 or self.size == 1:
            return [self.convert(d, pdfa) for d in documents]
        batch = _Batch(documents, pdfa)
        self._each_idle(min(self.size, len(documents)), batch.drain)
        return batch.results()

    def _each_idle(self, count: int, action: Callable[[OfficeListener], None]) -> None:
        """Run the action with ``count`` listeners at once, one thread each."""
        def run(_: int) -> None:
            with self._listener() as listener:
                action(listener)

        with ThreadPoolExecutor(max_workers=count, thread_name_prefix="firegrid-office") as threads:
            list(threads.map(run, range(count)))

    def close(self) -> None:
        for listener in self.listeners:
            listener.close()


class _Batch:
    """One batch shared by the pool's listeners: each takes the next document until none is left."""

    def __init__(self, documents: list[bytes], pdfa: bool) -> None:
        self.documents, self.pdfa = documents, pdfa
        self.pdfs: list[bytes | None] = [None] * len(documents)
        self.errors: list[tuple[int, Exception]] = []
        self.handed_out = 0
        self._lock, self._converting, self._joined = threading.Lock(), threading.Event(), itertools.count()

    def drain(self, listener: OfficeListener) -> None:
        if not self._join(listener):
            return
        while (index := self._next()) is not None:
            try:
                self.pdfs[index] = listener.convert(self.documents[index], self.pdfa)
            except Exception as error:  # noqa: BLE001 - raised by results(), in the caller's thread
                with self._lock:
                    self.errors.append((index, error))
            finally:
                self._converting.set()

    def _join(self, listener: OfficeListener) -> bool:
        """Whether this listener takes part: a running one or the batch's first does; one still to start
        waits until another converts (two LibreOffice starts at once on 2 cores slow each other down) and
        joins only a long batch (its start pays off only then)."""
        with self._lock:
            first = next(self._joined) == 0
        if first or listener.running:
            return True
        self._converting.wait()
        return len(self.documents) - self.handed_out >= JOIN_COLD

    def _next(self) -> int | None:
        with self._lock:
            if self.errors or self.handed_out == len(self.documents):
                return None
            self.handed_out += 1
            return self.handed_out - 1

    def results(self) -> list[bytes]:
        if self.errors:
            raise min(self.errors, key=lambda found: found[0])[1]
        return self.pdfs  # type: ignore[return-value] - every document converted


_POOLS: dict[tuple[str, int], OfficePool] = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(soffice: str, fonts_conf: Path, timeout: float, size: int) -> OfficePool:
    """The process's pool for this LibreOffice and size (every app built in the process shares it)."""
    with _POOLS_LOCK:
        key = (soffice, size)
        if key not in _POOLS:
            _POOLS[key] = OfficePool.of(soffice, fonts_conf, timeout, size)
        return _POOLS[key]


@atexit.register
def _close_all() -> None:
    for pool in _POOLS.values():
        pool.close()
