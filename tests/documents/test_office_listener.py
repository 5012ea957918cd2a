"""The long-lived LibreOffice listener: real conversions, a killed LibreOffice started again, a stuck one
timed out, a document it refuses reported (skipped without LibreOffice or python3-uno)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.docx_checks import check_pdf_text
from webapp.documents.office_listener import ListenerTimeout, OfficeListener, OfficePool, OfficeRefused
from webapp.documents.pdf import FONTS_CONF, PdfConversionError, PdfConverter

pytestmark = pytest.mark.slow  # each test starts LibreOffice at least once (5-30 s on 2 busy cores)


@pytest.fixture()
def listener(converter):  # noqa: ANN001 - the shared fixture skips without soffice
    if not OfficeListener.supported():
        pytest.skip("python3-uno is not installed")
    own = OfficeListener(converter._soffice, FONTS_CONF, timeout=8)
    yield own
    own.close()


def _first_page(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text().replace(" ", "")


def test_a_real_docx_converts_and_a_killed_office_is_started_again(listener, renderer, library, tmp_path):
    content = renderer.render_sample("notice")
    number = library.spec("notice").sample["doc_number"]
    pdf = listener.convert(content)
    assert number in _first_page(pdf)
    check_pdf_text(content, pdf, tmp_path, name="listener")
    office = listener.office_pid
    assert office is not None

    os.kill(office, signal.SIGKILL)  # LibreOffice crashes
    again = listener.convert(content)
    assert number in _first_page(again)
    assert listener.office_pid not in (None, office)


def test_a_stuck_conversion_times_out_and_the_next_one_works(listener, renderer, tmp_path):
    content = renderer.render_sample("notice")
    listener.convert(content)
    os.kill(listener.office_pid, signal.SIGSTOP)  # LibreOffice hangs
    started = time.monotonic()
    with pytest.raises(ListenerTimeout):
        listener.convert(content)
    assert time.monotonic() - started < listener.timeout + 10
    assert listener.office_pid is None  # the hung LibreOffice was killed with its server
    assert _first_page(listener.convert(content)) != ""


def test_the_converter_uses_the_listener_and_reports_a_timeout_as_a_conversion_error(listener, renderer, tmp_path):
    converter = PdfConverter(tmp_path, office=OfficePool([listener]))
    content = renderer.render_sample("notice")
    pdf_a = converter.convert(content, pdfa=True)
    assert b"pdfaid" in pdf_a
    os.kill(listener.office_pid, signal.SIGSTOP)
    with pytest.raises(PdfConversionError):
        converter.convert(content)


def test_a_document_libreoffice_cannot_load_is_reported_and_the_listener_keeps_running(listener, renderer):
    with pytest.raises(OfficeRefused):
        listener.convert(b"PK\x03\x04 a broken zip")
    office = listener.office_pid
    assert office is not None
    assert _first_page(listener.convert(renderer.render_sample("notice"))) != ""
    assert listener.office_pid == office


def test_a_listener_is_renewed_after_its_quota_of_documents(listener, renderer):
    """LibreOffice keeps memory of every document it converted: a listener is stopped after its quota
    and the next conversion starts a fresh one."""
    listener.renew_after = 2
    content = renderer.render_sample("notice")
    listener.convert(content)
    office = listener.office_pid
    listener.convert(content)
    assert not listener.running and listener.office_pid is None
    assert _first_page(listener.convert(content)) != "" and listener.office_pid not in (None, office)


def test_an_app_process_killed_outright_leaves_no_libreoffice_and_no_work_folder(converter, tmp_path):
    """SIGKILL runs no clean-up in the app: the listener notices its stdin closing and ends everything."""
    if not OfficeListener.supported():
        pytest.skip("python3-uno is not installed")
    script = ("import os, sys\nfrom webapp.documents.office_listener import OfficeListener\n"
              "from webapp.documents.pdf import FONTS_CONF\n"
              f"listener = OfficeListener({converter._soffice!r}, FONTS_CONF)\nlistener.start()\n"
              "print(listener.office_pid, listener._work, flush=True)\nos.kill(os.getpid(), 9)\n")
    app = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2])))
    office, work = app.stdout.split()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (Path(f"/proc/{office}").exists() or Path(work).exists()):
        time.sleep(0.2)
    assert not Path(f"/proc/{office}").exists() and not Path(work).exists()
