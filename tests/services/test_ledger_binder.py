"""台账汇编 (issue 23 item 5): the year's issued documents of the chosen sections bound into one PDF with a
cover, a contents page whose page numbers are the sections' real first pages, and bookmarks; made by a
background job whose progress is kept in the database, so a job left by a dead worker is finished by the
next one (a restarted background loop)."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import docx
import pdfplumber
import pytest
from pypdf import PdfReader

from tests import factories
from tests.docx_checks import check_gbt9704
from tests.services.test_special_campaigns import inspect
from webapp.cases import ledger_binder, registry
from webapp.clock import TZ
from webapp.models import Document, Job
from webapp.procedures.evaluation import registers
from webapp.services import documents, jobs
from webapp.services.documents import Subject

MOMENT = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.fixture()
def runtime(app):  # noqa: ANN001, ANN201
    return app.extensions["firegrid.runtime"]


def issue(session, runtime, grid, template_key: str, title: str, *, when: datetime = MOMENT) -> Document:  # noqa: ANN001
    """A document issued without a case (as a batch-made 责任书 is), from the template's sample data."""
    docs = runtime.documents
    found = documents.create_record(session, docs, template_key=template_key, context=docs.library.spec(template_key)
                                    .sample, title=title, subject=Subject(grid), user=None, now=when)
    session.commit()
    return found


def year_of_documents(session, runtime, town) -> dict[str, list[str]]:  # noqa: ANN001
    """A small year: letters, minutes, inspection records, an evaluation sheet; and what must stay out."""
    issue(session, runtime, town.village, "responsibility_letter", "2026年度消防安全目标责任书（松林村）")
    issue(session, runtime, town.town, "minutes", "镇消防安全委员会会议纪要")
    inspect(session, runtime, town, "丰收便利店")
    inspect(session, runtime, town, "快乐网咖")
    issue(session, runtime, town.town, "evaluation_sheet", "2026年度消防安全工作考评表（松林村）")
    registers.add_publicity(session, user=town.users["clerk"], grid_id=town.village.id, held_on=MOMENT.date(),
                            kind="training", five_into="进社区", title="冬季防火培训", attendance=40, now=MOMENT)
    issue(session, runtime, town.town, "minutes", "上年会议纪要", when=datetime(2025, 12, 30, 9, 0, tzinfo=TZ))
    issue(session, runtime, town.town, "minutes", "作废的会议纪要").status = "void"
    other = factories.town(session, "柏树镇")
    issue(session, runtime, other, "minutes", "外镇会议纪要")
    session.commit()
    return {"责任书": ["2026年度消防安全目标责任书（松林村）"], "会议纪要": ["镇消防安全委员会会议纪要"],
            "检查与整改": ["消防安全检查记录（丰收便利店）", "消防安全检查记录（快乐网咖）"],
            "宣传培训": ["松林镇2026年度消防宣传培训登记表"], "考评": ["2026年度消防安全工作考评表（松林村）"]}


def test_the_plan_holds_exactly_the_years_issued_documents_of_the_chosen_sections(session, runtime, small_town):
    expected = year_of_documents(session, runtime, small_town)
    steps = ledger_binder.plan(session, small_town.town, 2026, ["会议纪要", "检查与整改", "宣传培训"])
    titles = [(title, [session.get(Document, i).title for i in ids]) for title, ids in steps]
    assert titles == [("会议纪要", expected["会议纪要"]), ("检查与整改", expected["检查与整改"]), ("宣传培训", [])]


def test_the_publicity_register_is_the_towns_list_of_the_year(session, runtime, small_town, tmp_path):
    year_of_documents(session, runtime, small_town)
    other = factories.town(session, "枫林镇")
    stranger = factories.user(session, "stranger_clerk", "clerk", scope=other)
    registers.add_publicity(session, user=stranger, grid_id=other.id, held_on=MOMENT.date(), kind="drill",
                            five_into="进企业", title="外镇演练", now=MOMENT)
    [part] = registry.binder_parts(session, small_town.town, 2026, MOMENT.date())
    assert (part.section, part.title) == ("宣传培训", "松林镇2026年度消防宣传培训登记表")
    text = docx_text(part.docx)
    assert "冬季防火培训" in text and "外镇演练" not in text and "共1次" in text
    check_gbt9704(part.docx, "--no-header", tmp_path=tmp_path, name="publicity_register")
    assert registry.binder_parts(session, small_town.town, 2025, MOMENT.date()) == []


def _outline(reader: PdfReader) -> list[tuple[str, int, list[tuple[str, int]]]]:
    """(title, first page, [(child title, page)]) of each top-level bookmark; pages count from 1."""
    found, items = [], reader.outline
    for index, item in enumerate(items):
        if isinstance(item, list):
            continue
        children = items[index + 1] if index + 1 < len(items) and isinstance(items[index + 1], list) else []
        found.append((item.title, reader.get_destination_page_number(item) + 1,
                      [(c.title, reader.get_destination_page_number(c) + 1) for c in children]))
    return found


def _contents_rows(content: bytes, pages: int) -> dict[str, str]:
    """The contents table's rows read back from the first `pages` pages (label without spaces → page); a long
    title wraps inside its cell, so the table's cells are read, not the page's lines."""
    rows = {}
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        for page in pdf.pages[:pages]:
            for table in page.extract_tables():
                for label, number in (row for row in table if len(row) == 2 and row[0] and row[1]):
                    rows[re.sub(r"\s", "", label)] = number.strip()
    return rows


@pytest.mark.slow  # LibreOffice converts the year's documents, the grid chart and the contents (~10 s)
def test_the_binder_has_contents_that_match_its_pages_and_survives_a_dead_worker(session, runtime, small_town):
    if not runtime.documents.pdf.available():
        pytest.skip("LibreOffice is not installed")
    expected = year_of_documents(session, runtime, small_town)
    chosen = list(ledger_binder.SECTIONS)
    job = ledger_binder.queue(session, runtime.documents, user=small_town.users["clerk"], year=2026, chosen=chosen,
                              now=MOMENT)
    session.commit()
    assert (job.total, job.done, ledger_binder.progress(job).label) == (6, 0, "排队中")
    # worker A converts the first chunk, then dies holding the claim
    assert jobs.run_pending(session, runtime, worker="A", now=MOMENT)
    session.refresh(job)
    assert (job.status, job.claimed_by, job.done, job.phase) == ("running", "A", 5, "转换文件")
    assert ledger_binder.progress(job).percent == 83
    # a restarted loop leaves a live claim alone, and takes over once its heartbeat is stale
    assert not jobs.run_pending(session, runtime, worker="B", now=MOMENT + timedelta(seconds=30))
    later = MOMENT + timedelta(minutes=3)
    jobs.run_due_jobs(session, runtime, worker="B", clock=lambda: later)
    session.refresh(job)
    assert job.status == "done" and job.done == job.total
    content, filename = ledger_binder.result_pdf(runtime.documents, job)
    assert filename == "松林镇2026年度消防安全网格化管理台账.pdf"
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == job.result["pages"]
    outline = _outline(reader)
    assert [title for title, _page, _children in outline] == [
        "封面与目录", "一、组织机构与网格", "二、责任书", "三、会议纪要", "四、检查与整改", "五、宣传培训", "六、考评"]
    for title, _page, children in outline[2:]:
        assert [c for c, _ in children] == expected[title.split("、")[1]]  # every document, none other
    assert outline[1][2][0][0] == "松林镇消防安全网格化管理工作运行网格图"
    contents = _contents_rows(content, outline[1][1] - 1)
    for title, page, children in outline[1:]:
        assert contents[title] == str(page), title  # the contents name the page the section starts on
        for child, child_page in children:
            assert contents[child.replace(" ", "")] == str(child_page), child
    assert contents["七、通知与通报（本年度无已印发文件）"] == "—"
    assert runtime.documents.store.path(session.get(Job, job.id).result["sha256"]).exists()  # in the file store


def test_without_libreoffice_nothing_is_queued(session, runtime, small_town, without_libreoffice):
    with pytest.raises(ledger_binder.PdfUnavailable, match="不能生成台账汇编"):
        ledger_binder.queue(session, runtime.documents, user=small_town.users["clerk"], year=2026,
                            chosen=["责任书"], now=MOMENT)


def test_a_village_user_cannot_bind_the_town(session, runtime, small_town):
    from webapp.services.errors import OutOfScope

    with pytest.raises((OutOfScope, ledger_binder.InvalidInput)):
        ledger_binder.queue(session, runtime.documents, user=small_town.users["village_clerk"], year=2026,
                            chosen=["责任书"], now=MOMENT)


def test_a_chunk_uses_the_pdf_the_pdf_job_stored_instead_of_converting_again(session, runtime, small_town):
    if not runtime.documents.pdf.available():
        pytest.skip("LibreOffice is not installed")
    from pypdf import PdfWriter

    from webapp.services.documents import PDF, pdf_cache_path

    docs = runtime.documents
    minutes = issue(session, runtime, small_town.town, "minutes", "镇消防安全委员会会议纪要")
    stored = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.write(stored)
    minutes.pdf_sha256 = docs.store.put(session, stored.getvalue(), PDF, MOMENT).sha256
    session.commit()
    # the worker's PDF cache outlives a test, and another test may have converted these very bytes
    pdf_cache_path(docs, minutes.file_sha256).unlink(missing_ok=True)
    job = ledger_binder.queue(session, docs, user=small_town.users["clerk"], year=2026, chosen=["会议纪要"],
                              now=MOMENT)
    session.commit()
    assert jobs.run_pending(session, runtime, worker="A", now=MOMENT)
    session.refresh(job)
    assert job.done == 1 and not pdf_cache_path(docs, minutes.file_sha256).exists()  # no LibreOffice call
