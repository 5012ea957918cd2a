"""The PDF/A of an issued document, made once by the background job after issuing, stored, downloaded and
archived as it is (the LibreOffice tests skip without soffice)."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from webapp.archive.export import ExportOptions, export_year
from webapp.documents.pdf import PdfConversionError
from webapp.models import Document, GridNode
from webapp.models.jobs import Job
from webapp.services import background, documents, jobs

# LibreOffice's listener starts once per test process (10-30 s on 2 busy cores), so these are slow
needs_libreoffice = pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")


@pytest.fixture(autouse=True)
def pdf_after_issue(app, monkeypatch):  # noqa: ANN001 - conftest turns the job off for the other tests
    monkeypatch.setattr(app.extensions["firegrid.runtime"].documents, "pdf_after_issue", True)


def _issue(app, session, town: GridNode, title: str = "关于开展冬季防火检查的通知") -> Document:
    docs, now = app.extensions["firegrid.runtime"].documents, app.extensions["firegrid.clock"].now()
    context = dict(docs.library.spec("notice").sample, title=title)
    return documents.issue(session, docs, template_key="notice", context=context, title=title,
                           prefix_key="town_notice", subject=documents.Subject(town), user=None, now=now)


def _run_jobs(app, session) -> None:
    runtime, clock = app.extensions["firegrid.runtime"], app.extensions["firegrid.clock"]
    jobs.run_due_jobs(session, runtime, worker="test", clock=clock.now)


def _open_pdf_jobs(session) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.kind == documents.PDF_JOB_KIND,
                                                  Job.status.in_(("pending", "running")))))


@pytest.mark.slow
@needs_libreoffice
def test_issuing_queues_one_job_that_stores_each_pdfa(app, session, small_town):
    first, second = _issue(app, session, small_town.town), _issue(app, session, small_town.town, "第二份通知")
    session.commit()
    assert first.pdf_sha256 is None and len(_open_pdf_jobs(session)) == 1  # one job for both

    _run_jobs(app, session)
    docs = app.extensions["firegrid.runtime"].documents
    for document in (session.get(Document, first.id), session.get(Document, second.id)):
        pdf = docs.store.read(document.pdf_sha256)
        assert b"pdfaid" in pdf
        assert document.number in PdfReader(io.BytesIO(pdf)).pages[0].extract_text().replace(" ", "")
    assert not _open_pdf_jobs(session)


@pytest.mark.slow
@needs_libreoffice
def test_the_download_serves_the_stored_pdf(app, session, sign_in, small_town):
    issued = _issue(app, session, small_town.town)
    session.commit()
    _run_jobs(app, session)
    stored = app.extensions["firegrid.runtime"].documents.store.read(session.get(Document, issued.id).pdf_sha256)
    response = sign_in("clerk").get(f"/documents/{issued.id}.pdf")
    assert response.status_code == 200 and response.data == stored


@pytest.mark.slow
@needs_libreoffice
def test_the_export_packs_the_stored_pdf_without_converting(app, session, small_town, monkeypatch, tmp_path):
    issued = _issue(app, session, small_town.town)
    session.commit()
    _run_jobs(app, session)
    docs = app.extensions["firegrid.runtime"].documents

    def no_conversion(contents, pdfa=False):  # noqa: ANN001, ANN202 - the export must not convert
        raise PdfConversionError("converted at export time")

    monkeypatch.setattr(docs.pdf, "convert_many", no_conversion)
    result = export_year(session, docs, town=small_town.town, year=issued.issued_at.year, out=tmp_path / "a.zip",
                         now=app.extensions["firegrid.clock"].now(), options=ExportOptions())
    session.commit()
    with zipfile.ZipFile(result.path) as package:
        [pdf_name] = [n for n in package.namelist() if n.endswith(".pdf") and "/data/" in n]
        packed = package.read(pdf_name)
    assert hashlib.sha256(packed).hexdigest() == session.get(Document, issued.id).pdf_sha256
    assert not any("PDF/A 失败" in note for note in result.report["说明"])


@pytest.mark.slow
def test_the_export_makes_a_missing_pdf_and_stores_it(app, session, small_town, tmp_path):
    """A document the job has not reached yet: the export converts it first and keeps the result."""
    docs = app.extensions["firegrid.runtime"].documents
    if not docs.pdf.available():
        pytest.skip("LibreOffice (soffice) is not installed")
    issued = _issue(app, session, small_town.town)
    session.commit()
    export_year(session, docs, town=small_town.town, year=issued.issued_at.year, out=tmp_path / "a.zip",
                now=app.extensions["firegrid.clock"].now(), options=ExportOptions())
    session.commit()
    assert b"pdfaid" in docs.store.read(session.get(Document, issued.id).pdf_sha256)


def test_without_libreoffice_no_job_is_queued_and_the_document_is_issued(app, session, small_town,
                                                                          without_libreoffice):
    issued = _issue(app, session, small_town.town)
    session.commit()
    assert issued.status == "issued" and issued.pdf_sha256 is None
    assert not _open_pdf_jobs(session)


def test_serve_starts_a_libreoffice_listener_beside_its_loop_when_set(app, monkeypatch):
    started = []
    pdf = app.extensions["firegrid.runtime"].documents.pdf
    monkeypatch.setattr(pdf, "start", lambda: started.append(True))
    assert background.start_office(app) is None and not started  # the tests' setting: started on first use

    monkeypatch.setitem(app.config, "PDF_START_EARLY", True)
    background.start_office(app).join(10)
    assert started == [True]


def test_without_libreoffice_the_early_start_does_nothing(app, monkeypatch, without_libreoffice):
    monkeypatch.setitem(app.config, "PDF_START_EARLY", True)
    starter = background.start_office(app)
    starter.join(10)
    assert not starter.is_alive() and app.extensions["firegrid.runtime"].documents.pdf.office is None
