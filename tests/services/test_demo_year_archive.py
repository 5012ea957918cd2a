"""The demo history's year exercises every attachment role and every document kind, exports (issue 14) and
binds into the 台账汇编 (issue 23). The year is played once for this file's tests (~2 minutes)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta

import bagit
import pytest
from pypdf import PdfReader
from sqlalchemy import select, text

from tests.conftest import clean_tables
from tests.services.test_ledger_binder import _contents_rows, _outline
from webapp.archive.export import ExportOptions, export_year
from webapp.cases import ledger_binder
from webapp.clock import TZ
from webapp.demo import history as demo_history
from webapp.demo import organisation as demo_service
from webapp.extensions import db
from webapp.models import AttachmentRole, Document, DocumentAttachment, GridNode, Job, User
from webapp.services import jobs
from webapp.services.documents import pdf_bytes

PLAYED_TO = datetime(2026, 12, 20, 10, tzinfo=TZ)


@pytest.fixture(scope="module")
def demo_year(app) -> None:  # noqa: ANN001
    """The demo loaded and its year played, once for the module (each test of it reads and adds to it)."""
    with app.app_context():
        clean_tables()
        clock = app.extensions["firegrid.clock"]
        clock.set(None)
        demo_service.load_demo(db.session, now=clock.now())
        db.session.commit()
        assert demo_history.play(db.session, app.extensions["firegrid.runtime"], clock, PLAYED_TO)
        db.session.remove()


@pytest.fixture()
def session(app, demo_year) -> Iterator:  # noqa: ANN001
    """The played year's session (this module's own: the suite's would empty the tables first)."""
    with app.app_context():
        app.extensions["firegrid.clock"].set(None)
        yield db.session
        db.session.rollback()
        db.session.remove()


@pytest.mark.slow
def test_demo_year_files_every_role_and_kind_and_exports(app, session, tmp_path):
    runtime = app.extensions["firegrid.runtime"]
    roles = set(session.scalars(select(DocumentAttachment.role)))
    assert roles == {r.value for r in AttachmentRole}, roles  # every declared role is uploaded by some step
    kinds = set(session.scalars(select(Document.template_key)))
    # Every template, the results 通报 included. Made on request for their reader and never stored as issued
    # documents: the 一户一档 summary, a 专项行动's 总结报告 and the 台账汇编's cover and contents. The 督办单 is
    # made when a leader issues a 督办事项, which the demo year leaves to the visitor (tests/web/test_supervision.py).
    on_request = {"unit_file", "campaign_report", "ledger_binder_contents", "supervision_sheet"}
    assert kinds == set(runtime.documents.library) - on_request, kinds
    for attachment in session.scalars(select(DocumentAttachment).where(DocumentAttachment.role.in_(
            [AttachmentRole.RECEIPT, AttachmentRole.FEEDBACK, AttachmentRole.SCAN])).limit(3)):
        assert PdfReader(runtime.documents.store.path(attachment.file_sha256)).pages  # real, openable scans

    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    result = export_year(session, runtime.documents, town=town, year=2026, out=tmp_path / "year.zip",
                         now=datetime(2026, 12, 31, 16, tzinfo=TZ), options=ExportOptions(pdf=False))
    session.commit()
    with zipfile.ZipFile(result.path) as archive:
        archive.extractall(tmp_path / "bag")
    bag_dir = next((tmp_path / "bag").iterdir())
    bagit.Bag(str(bag_dir)).validate()
    uses, titles = set(), []
    for metadata_path in (bag_dir / "data").glob("*/元数据.json"):
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        uses |= {f["用途"] for f in metadata["电子文件"]}
        titles.append(metadata["题名"])
    assert {r.label for r in AttachmentRole} <= uses, uses
    assert any("考评结果" in t and "通报" in t for t in titles), titles
    assert result.passed, result.report


# The binder's sections this test binds, with the procedure whose cases issue their documents and the
# templates of those issued without a case: the grid chart, two sections of cases' documents and a section
# left out between them; 17 documents, enough for a restart after two chunks, few enough for LibreOffice
# (会议纪要 holds 44, 检查与整改 and 责任书 hundreds: a minute or more each).
CHOSEN = {"组织机构与网格": ("", ()), "考评": ("evaluation", ("evaluation_sheet",)),
          "通知与通报": ("notice_issuance", ("notice", "notice_upward", "bulletin", "issuing_sheet"))}
DIRECT = """SELECT d.id FROM document d JOIN grid_node g ON g.id = d.grid_id
            LEFT JOIN process_instance p ON p.id = d.instance_id
            WHERE d.status = 'issued' AND d.issued_at >= :start AND d.issued_at < :end
              AND g.path LIKE :path AND ((p.id IS NOT NULL AND p.procedure = :procedure)
                                          OR (p.id IS NULL AND d.template_key IN ({keys})))
              AND d.template_key <> 'supervision_sheet'"""


def _issued(session, town: GridNode, section: str) -> set[int]:  # noqa: ANN001
    """The town's documents of the year in a section, straight from the tables."""
    procedure, keys = CHOSEN[section]
    if not procedure:
        return set()
    query = text(DIRECT.format(keys=", ".join(f"'{k}'" for k in keys)))
    return set(session.scalars(query, {"start": datetime(2026, 1, 1, tzinfo=TZ), "end": datetime(2027, 1, 1, tzinfo=TZ),
                                       "path": f"{town.path}%", "procedure": procedure}))


@pytest.mark.slow  # the year's play is shared with the test above; LibreOffice converts the chosen sections
def test_the_demo_years_binder_holds_every_issued_document_with_true_page_numbers(app, session):
    runtime = app.extensions["firegrid.runtime"]
    if not runtime.documents.pdf.available():
        pytest.skip("LibreOffice is not installed")
    clerk = session.scalar(select(User).where(User.username == "clerk"))
    town = clerk.scope
    expected = {section: _issued(session, town, section) for section in CHOSEN}
    assert sum(len(ids) for ids in expected.values()) > 2 * ledger_binder.CHUNK, expected  # a restart mid-way
    moment = datetime(2026, 12, 31, 16, tzinfo=TZ)
    # the year's own background work first (its evidence photos' checks), so the workers below run the binder
    jobs.run_due_jobs(session, runtime, worker="before", clock=lambda: moment)
    job = ledger_binder.queue(session, runtime.documents, user=clerk, year=2026, chosen=list(CHOSEN), now=moment)
    session.commit()
    # worker A converts two chunks, showing progress, then stops (the server restarts)
    for chunk in (1, 2):
        assert jobs.run_pending(session, runtime, worker="A", now=moment)
        session.refresh(job)
        assert (job.done, ledger_binder.progress(job).label) == (chunk * ledger_binder.CHUNK, "转换文件")
    assert 0 < ledger_binder.progress(job).percent < 100
    later = moment + timedelta(minutes=3)  # a new runner takes the job over once A's claim is stale
    jobs.run_due_jobs(session, runtime, worker="B", clock=lambda: later)
    session.expire_all()
    job = session.get(Job, job.id)
    assert (job.status, job.done) == ("done", job.total)
    content, _filename = ledger_binder.result_pdf(runtime.documents, job)
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == job.result["pages"]

    documents = {d.id: d for d in session.scalars(select(Document).where(
        Document.id.in_(set().union(*expected.values()))))}
    outline = _outline(reader)
    contents = _contents_rows(content, outline[1][1] - 1)
    sections = {title.split("、", 1)[1]: (page, children) for title, page, children in outline[1:]}
    for section, ids in expected.items():
        page, children = sections[section]
        titles = [f"{documents[i].number} {documents[i].title}" if documents[i].number else documents[i].title
                  for i in sorted(ids, key=lambda i: (documents[i].issued_at, i))]
        bound = [c for c, _ in children][1 if section == "组织机构与网格" else 0:]
        assert bound == titles, section  # every issued document of the section, once, in issue order
        # each part starts where the contents say, and the next one where this one's own pages end
        for index, (child, child_page) in enumerate(children):
            assert contents[re.sub(r"\s", "", child)] == str(child_page), child
            if index and section != "组织机构与网格":
                previous = documents[sorted(ids, key=lambda i: (documents[i].issued_at, i))[index - 1]]
                assert child_page == children[index - 1][1] + len(PdfReader(io.BytesIO(
                    pdf_bytes(runtime.documents, previous))).pages), child
        assert children[0][1] == page
