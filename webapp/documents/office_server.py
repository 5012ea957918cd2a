"""The LibreOffice side of the long-lived listener (``office_listener`` runs this file as a child process).

Run by a Python that can import ``uno`` (Debian's python3-uno on its path); it imports nothing of the app.
It starts LibreOffice with its own profile, connects to it over a named UNO pipe, prints ``ready`` and then
converts one document per line read from stdin::

    {"source": "/tmp/…/in.docx", "target": "/tmp/…/out.pdf", "pdfa": false}   →   {"ok": true}
                                                                              or {"error": "…"}

Documents are loaded hidden (no frame window: ~20% less per document than unoserver's visible-frame load,
measured) and exported with writer_pdf_Export. It exits when stdin closes or when LibreOffice is gone (a
crash), taking LibreOffice and its work folder with it; the parent then starts a new one. Timeouts are the
parent's business: it kills this process group.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.lang import DisposedException
from com.sun.star.uno import Exception as UnoException
from com.sun.star.uno import RuntimeException as UnoRuntimeException

CONNECT_TIMEOUT = 60.0


def _prop(name: str, value: object) -> PropertyValue:
    return PropertyValue(Name=name, Value=value)


def _start_office(soffice: str, profile: str, pipe: str) -> subprocess.Popen:
    return subprocess.Popen(
        [soffice, "--headless", "--invisible", "--nocrashreport", "--nodefault", "--nologo", "--nofirststartwizard",
         "--norestore", "--nolockcheck", f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}",
         f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _connect(pipe: str, office: subprocess.Popen):  # noqa: ANN202 - a UNO proxy
    """The office's Desktop, polling its pipe every 50 ms (it answers ~1.5 s after the start)."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        except NoConnectException:
            if office.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def convert(desktop, source: str, target: str, pdfa: bool) -> None:  # noqa: ANN001 - a UNO proxy
    document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0,
                                            (_prop("ReadOnly", True), _prop("Hidden", True)))
    if document is None:
        raise ValueError("LibreOffice could not load the document")
    try:
        options = (_prop("SelectPdfVersion", 2),) if pdfa else ()
        filter_data = uno.Any("[]com.sun.star.beans.PropertyValue", options)
        uno.invoke(document, "storeToURL", (uno.systemPathToFileUrl(target), (
            _prop("FilterName", "writer_pdf_Export"), _prop("FilterData", filter_data))))
    finally:
        document.close(True)


def _alive(desktop) -> bool:  # noqa: ANN001
    try:
        desktop.getFrames()
        return True
    except (DisposedException, UnoRuntimeException):
        return False


def serve(desktop) -> int:  # noqa: ANN001
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            convert(desktop, request["source"], request["target"], request["pdfa"])
            reply = {"ok": True}
        except (UnoException, UnoRuntimeException, ValueError) as error:
            if not _alive(desktop):
                return 3  # LibreOffice crashed: the parent starts a new listener
            reply = {"error": f"{type(error).__name__}: {getattr(error, 'Message', '') or error}"}
        print(json.dumps(reply), flush=True)
    return 0


def _descendants(pid: int) -> list[int]:
    """Child processes, depth first (Linux /proc). The same as office_listener's: this file runs under the
    system's Python with uno and imports nothing of the app."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in map(int, (task / "children").read_text().split()):
                found += [child, *_descendants(child)]
    return found


def _end(work: Path) -> None:
    """LibreOffice goes with us, and so does the work folder (its profile: ~0.5-1 MB), also when the app
    process died without cleaning up (SIGTERM from a service manager, a crash): its stdin closed."""
    for pid in _descendants(os.getpid()):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--soffice", required=True)
    parser.add_argument("--work", required=True, type=Path, help="a folder of this listener's own")
    args = parser.parse_args()
    pipe = f"firegrid-office-{os.getpid()}"
    office = _start_office(args.soffice, str(args.work / "profile"), pipe)
    try:
        return serve(_connect(pipe, office))
    finally:
        _end(args.work)


if __name__ == "__main__":
    sys.exit(main())
