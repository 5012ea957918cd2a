"""DOCX → PDF (or PDF/A-2b) through LibreOffice.

Conversions go to the process's pool of long-lived LibreOffice listeners (``office_listener``): it pays
LibreOffice's start once, not per call, and converts a batch on several listeners at once. Where the
listeners cannot run (no python3-uno),
or is switched off, one ``soffice --convert-to`` call converts a whole batch: a new ``soffice``
costs ~1.5 s while 20 files in one call cost ~0.3 s each. One LibreOffice profile serves one
one-shot conversion at a time: a thread lock plus a file lock on the profile serialise callers
across threads and processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from webapp.documents.office_listener import (
    ListenerTimeout,
    ListenerUnavailable,
    OfficeListener,
    OfficePool,
    OfficeRefused,
    shared_pool,
)
from webapp.documents.unused_styles import without_unused_styles

log = logging.getLogger(__name__)
FONTS_CONF = Path(__file__).with_name("fonts.conf")
PDF_FILTER = "pdf:writer_pdf_Export"
PDFA_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
_THREAD_LOCKS: dict[Path, threading.Lock] = {}
_REGISTRY_LOCK = threading.Lock()


class PdfUnavailable(RuntimeError):
    """LibreOffice is not installed: PDFs cannot be produced (DOCX still can)."""

    def __init__(self, message: str = "服务器未安装 PDF 转换组件，暂不能生成 PDF；DOCX 文件可正常下载。") -> None:
        super().__init__(message)


class PdfConversionError(RuntimeError):
    """soffice ran but did not produce every PDF."""


class PdfConverter:
    def __init__(self, profile_dir: Path, soffice: str | None = None, timeout_per_doc: float = 20.0,
                 office: OfficePool | bool = True, listeners: int = 1) -> None:
        """`office`: True for the process's shared pool of `listeners` listeners, False for one-shot calls
        only, or a pool of one's own."""
        self.profile_dir = Path(profile_dir)
        self._soffice = soffice or shutil.which("soffice") or shutil.which("libreoffice")
        self.timeout_per_doc = timeout_per_doc
        if office is True and self.available() and OfficeListener.supported():
            office = shared_pool(self._soffice, FONTS_CONF, timeout_per_doc, listeners)
        self.office: OfficePool | None = office if isinstance(office, OfficePool) else None

    def available(self) -> bool:
        return bool(self._soffice) and os.access(self._soffice, os.X_OK)

    def convert(self, docx: bytes, pdfa: bool = False) -> bytes:
        return self.convert_many([docx], pdfa)[0]

    def start(self) -> None:
        """Start the listeners now (app start), so no PDF waits for LibreOffice's start; never raises."""
        if self.office is not None and self.available():
            try:
                self.office.start()
            except ListenerUnavailable:
                log.warning("LibreOffice listener did not start; PDFs will use one soffice call", exc_info=True)

    def convert_many(self, documents: list[bytes], pdfa: bool = False) -> list[bytes]:
        """PDFs of the documents, in the same order: through the listeners, else in one soffice call."""
        if not self.available():
            raise PdfUnavailable()
        if not documents:
            return []
        documents = [without_unused_styles(d) for d in documents]  # ~50 ms less LibreOffice time each
        if self.office is not None:
            with contextlib.suppress(ListenerUnavailable):
                return self._listen(documents, pdfa)
        with self._exclusive(), tempfile.TemporaryDirectory(prefix="firegrid-pdf-") as work:
            work_dir = Path(work)
            sources = []
            for index, data in enumerate(documents):
                source = work_dir / f"{index:05d}.docx"
                source.write_bytes(data)
                sources.append(source)
            self._run(sources, work_dir / "out", pdfa)
            return [self._result(work_dir / "out" / f"{s.stem}.pdf") for s in sources]

    def _listen(self, documents: list[bytes], pdfa: bool) -> list[bytes]:
        try:
            return self.office.convert_many(documents, pdfa)
        except ListenerUnavailable:
            log.warning("LibreOffice listener unavailable; converting with one soffice call", exc_info=True)
            raise
        except ListenerTimeout as error:
            raise PdfConversionError(str(error)) from error
        except OfficeRefused as error:  # LibreOffice could not load or export this document
            raise PdfConversionError(str(error)) from error

    def _run(self, sources: list[Path], out_dir: Path, pdfa: bool) -> None:
        command = [
            self._soffice, f"-env:UserInstallation={self.profile_dir.resolve().as_uri()}",
            "--headless", "--norestore", "--nolockcheck",
            "--convert-to", PDFA_FILTER if pdfa else PDF_FILTER, "--outdir", str(out_dir),
            *map(str, sources),
        ]
        env = dict(os.environ, FONTCONFIG_FILE=str(FONTS_CONF))
        timeout = 60 + self.timeout_per_doc * len(sources)
        completed = subprocess.run(command, env=env, capture_output=True, timeout=timeout, check=False)
        if completed.returncode != 0:
            raise PdfConversionError(completed.stderr.decode("utf-8", "replace")[-2000:])

    @staticmethod
    def _result(path: Path) -> bytes:
        if not path.exists():
            raise PdfConversionError(f"LibreOffice produced no {path.name}")
        return path.read_bytes()

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        with _REGISTRY_LOCK:
            thread_lock = _THREAD_LOCKS.setdefault(self.profile_dir.resolve(), threading.Lock())
        with thread_lock, open(self.profile_dir / ".firegrid-lock", "w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
