"""一户一档: every procedure's entries on the unit page in time order, photos, scope, and the one-PDF export."""

from __future__ import annotations

import io
import re
from datetime import date

import docx
import pdfplumber
import pytest
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from tests.docx_checks import check_gbt9704, check_pdf_text
from tests.web.test_inspection_flow import at, draft_and_sign_notice, serve, start_inspection, unit_in
from tests.web.test_letters_http import draft_data, run_jobs, task_id
from webapp.cases import photos, registry
from webapp.models import AuditEvent, Document, ProcessInstance, Unit, User
from webapp.procedures.evaluation import registers
from webapp.procedures.inspection.models import Inspection
from webapp.procedures.responsibility_letters.campaigns import organ_name
from webapp.procedures.responsibility_letters.models import ResponsibilityLetter
from webapp.services.documents import PDF, pdf_bytes, pdf_cache_path


def _docs(app):
    return app.extensions["firegrid.runtime"].documents


def _letter_signed(app, session, clerk, leader, unit: Unit) -> ResponsibilityLetter:
    """A campaign of the unit's village for units of its category, generated, and the unit's letter signed."""
    village = unit.grid.parent
    response = clerk.post("/procedures/responsibility_letters/start",
                          {"year": 2026, "grid_id": village.id, "counterparty_set": "units",
                           "categories": [unit.category]})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    instance = session.scalar(select(ProcessInstance).order_by(ProcessInstance.id.desc()))
    assert clerk.post(f"/tasks/{task_id(session, instance.id, 'draft')}",
                      draft_data(app, 2026, organ_name(village))).status_code == 302
    assert leader.post(f"/tasks/{task_id(session, instance.id, 'approve')}",
                       {"decision": "approve", "opinion": "同意"}).status_code == 302
    run_jobs(app, session)
    letter = session.scalar(select(ResponsibilityLetter).where(ResponsibilityLetter.unit_id == unit.id))
    assert letter is not None and letter.status == "issued"
    assert clerk.post(f"/letters/{letter.id}/sign", {"signed_on": "2026-03-02", "signatory_a": "孔德厚",
                                                     "signatory_b": "店主"}).status_code == 302
    session.expire_all()
    return session.get(ResponsibilityLetter, letter.id)


def _unit_with_history(app, session, login_as) -> tuple[Unit, dict]:
    """Through the real procedures: a signed letter (March), an inspection with a photographed hazard whose
    notice is signed and served (September), and a fire registered against the unit (October)."""
    clock = app.extensions["firegrid.clock"]
    clerk, leader, inspector = login_as("clerk"), login_as("leader"), login_as("inspector")
    unit = unit_in(session, "青石村")
    clock.set(at("2026-03-02T10:00"))
    letter = _letter_signed(app, session, clerk, leader, unit)
    clock.set(at("2026-09-28T09:40"))
    start_inspection(inspector, session, unit, {0: "疏散通道堆放杂物"})
    draft_and_sign_notice(clerk, leader, session)
    serve(clerk)
    clock.set(at("2026-10-06T08:00"))
    clerk_user = session.scalar(select(User).where(User.username == "clerk"))
    registers.add_fire(session, user=clerk_user, grid_id=unit.grid_id, occurred_on=date(2026, 10, 5),
                       place=unit.name, cause="电动车充电起火", unit_id=unit.id, now=clock.now())
    session.commit()
    run_jobs(app, session)  # the photos' watermarked copies
    session.expire_all()
    return session.get(Unit, unit.id), {"letter": letter, "clerk": clerk, "inspector": inspector}


def test_each_procedure_contributes_its_entries_oldest_first(app, session, login_as):
    unit, made = _unit_with_history(app, session, login_as)
    events = registry.unit_events(session, unit)
    assert [e.kind for e in events] == ["消防安全目标责任书", "责任书签订", "消防安全检查", "隐患整改通知书", "火灾"]
    letter, signing, inspected, notice, fire = events
    assert letter.state == "已签订" and "乙方" + unit.name in letter.summary
    assert signing.state == "已签订" and "2026-03-02" in signing.summary and "孔德厚" in signing.summary
    assert letter.document_ids == (made["letter"].document_id,) and letter.endpoint == "letters.letter"
    inspection = session.scalar(select(Inspection).where(Inspection.unit_id == unit.id))
    assert "疏散通道堆放杂物（整改中）" in inspected.summary and inspected.state == "整改中"
    assert inspected.document_ids == (inspection.record_document_id,)
    # the file shows and prints the watermarked copies (issue 19 item 6)
    printed = tuple(p["print_file"] for p in photos.resolve(session, inspection.hazards[0].photos))
    assert inspected.photo_keys == printed and all(printed)
    assert inspection.notice_number in notice.summary and "2026-09-28送达" in notice.summary
    assert notice.state == "已送达" and notice.document_ids == (inspection.notice_document_id,)
    assert dict(notice.args) == {"instance_id": inspection.instance_id}
    assert "电动车充电起火" in fire.summary and fire.when.date() == date(2026, 10, 5)
    assert [e.when for e in events] == sorted(e.when for e in events)


def test_unit_page_lists_the_file_newest_first_with_photos(app, session, login_as):
    unit, made = _unit_with_history(app, session, login_as)
    page = made["inspector"].get(f"/units/{unit.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    section = html[html.index('id="unit-file"'):]
    kinds = re.findall(r"<strong>([^<]+)</strong>", section[:section.index("</section>")])
    assert kinds == ["火灾", "隐患整改通知书", "消防安全检查", "责任书签订", "消防安全目标责任书"]
    assert "按时间倒序" in section and '<span class="tag">已送达</span>' in section
    assert '<span class="tag">整改中</span>' in section and '<span class="tag">已签订</span>' in section
    inspection = session.scalar(select(Inspection).where(Inspection.unit_id == unit.id))
    assert f'href="/cases/{inspection.instance_id}"' in section
    assert f'href="/documents/{inspection.notice_document_id}.docx"' in section
    assert f'href="/letters/{made["letter"].id}"' in section
    key = photos.resolve(session, inspection.hazards[0].photos)[0]["print_file"]
    assert f"/units/{unit.id}/photos/{key}/thumbnail.jpg" in section
    thumb = made["inspector"].get(f"/units/{unit.id}/photos/{key}/thumbnail.jpg")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    from PIL import Image
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 240
    original = made["inspector"].get(f"/units/{unit.id}/photos/{key}")
    assert original.status_code == 200 and original.data == _docs(app).store.read(key)
    # only the file's own photos are served here: another stored file (the notice DOCX) is not
    notice = session.get(Document, inspection.notice_document_id)
    assert made["inspector"].get(f"/units/{unit.id}/photos/{notice.file_sha256}").status_code == 404


def test_the_file_is_scope_checked_and_refusals_are_logged(app, session, login_as):
    unit, made = _unit_with_history(app, session, login_as)
    inspection = session.scalar(select(Inspection).where(Inspection.unit_id == unit.id))
    key = photos.resolve(session, inspection.hazards[0].photos)[0]["print_file"]
    outsider = login_as("clerk_shiqiao")  # 石桥村; the unit lies in 青石村
    for url in (f"/units/{unit.id}", f"/units/{unit.id}/file.pdf", f"/units/{unit.id}/file.docx",
                f"/units/{unit.id}/photos/{key}", f"/units/{unit.id}/photos/{key}/thumbnail.jpg"):
        assert outsider.get(url).status_code == 403, url
    refusals = session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
    assert len(refusals) >= 5
    assert login_as("inspector").get(f"/units/{unit.id}/file.docx").status_code == 200


def test_without_libreoffice_the_page_says_so_and_offers_the_docx(app, session, login_as, without_libreoffice):
    unit, made = _unit_with_history(app, session, login_as)
    inspector = made["inspector"]
    assert "暂不能导出 PDF" in inspector.get(f"/units/{unit.id}").get_data(as_text=True)
    response = inspector.get(f"/units/{unit.id}/file.pdf")
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "未安装" in text and f"/units/{unit.id}/file.docx" in text
    form = docx.Document(io.BytesIO(inspector.get(f"/units/{unit.id}/file.docx").data))
    cells = [c.text for t in form.tables for r in t.rows for c in r.cells]
    assert unit.name in cells and unit.code in cells and "火灾" in cells and "隐患整改通知书" in cells
    assert "记录5条，附文件3份、现场照片1张" in cells  # letter, record and notice; the hazard's photo


def _store_a_pdf_of_the_letter_with_one_more_page(app, session, document_id: int) -> int:
    """As the PDF job does after issuing, but with a blank page added, so the export shows which PDF it
    took; returns the letter's own page count."""
    docs, document = _docs(app), session.get(Document, document_id)
    made = PdfWriter(clone_from=io.BytesIO(docs.pdf.convert(docs.store.read(document.file_sha256))))
    pages = len(made.pages)
    made.add_blank_page()
    out = io.BytesIO()
    made.write(out)
    document.pdf_sha256 = docs.store.put(session, out.getvalue(), PDF, app.extensions["firegrid.clock"].now()).sha256
    session.commit()
    pdf_cache_path(docs, document.file_sha256).unlink(missing_ok=True)  # the worker's cache outlives a test
    return pages


@pytest.mark.slow
def test_the_pdf_holds_the_summary_the_documents_and_the_photos(app, session, login_as, tmp_path):
    if not _docs(app).pdf.available():
        pytest.skip("LibreOffice (soffice) is not installed")
    unit, made = _unit_with_history(app, session, login_as)
    inspector, docs = made["inspector"], _docs(app)
    letter_pages = _store_a_pdf_of_the_letter_with_one_more_page(app, session, made["letter"].document_id)
    response = inspector.get(f"/units/{unit.id}/file.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    titles = [item.title for item in reader.outline]
    inspection = session.scalar(select(Inspection).where(Inspection.unit_id == unit.id))
    assert titles[0] == "一户一档" and titles[-1] == "现场照片"
    assert any(inspection.notice_number in t for t in titles) and len(titles) == 5  # summary, 3 documents, photos
    summary_pages = reader.get_destination_page_number(reader.outline[1])  # where the first document starts
    with pdfplumber.open(io.BytesIO(response.data)) as pdf:
        pages = [page.extract_text() or "" for page in pdf.pages]
        photo_pages = [page for page in pdf.pages if page.images]
        cells = [(cell or "").replace("\n", "").replace(" ", "") for page in pdf.pages[:summary_pages]
                 for table in page.extract_tables() for row in table for cell in row]
    first = pages[0].replace(" ", "")
    assert unit.name in first and "一户一档" in first and unit.code in first
    in_order = ["消防安全目标责任书", "责任书签订", "消防安全检查", "隐患整改通知书", "火灾"]
    assert [cell for cell in cells if cell in in_order] == in_order  # oldest first
    assert "已送达" in cells and "已签订" in cells and "整改中" in cells
    everything = "".join(pages).replace(" ", "").replace("\n", "")
    assert inspection.notice_number.replace(" ", "") in everything and "整改通知书" in everything
    assert "2026年度消防安全目标责任书" in everything and "消防安全检查记录" in everything
    assert photo_pages and "现场照片" in (photo_pages[-1].extract_text() or "")
    letter = session.get(Document, made["letter"].document_id)
    assert not pdf_cache_path(docs, letter.file_sha256).exists()  # its stored PDF was used, none made
    appended = [PdfReader(io.BytesIO(pdf_bytes(docs, session.get(Document, i)))) for i in
                (letter.id, inspection.record_document_id, inspection.notice_document_id)]
    assert len(appended[0].pages) == letter_pages + 1
    assert len(reader.pages) == summary_pages + sum(len(r.pages) for r in appended) + 1  # one photo page
    assert reader.pages[summary_pages].extract_text() == appended[0].pages[0].extract_text()
    summary_docx = inspector.get(f"/units/{unit.id}/file.docx").data
    check_gbt9704(summary_docx, "--no-header", tmp_path=tmp_path, name="unit-file", no_warnings=True)
    check_pdf_text(summary_docx, docs.pdf.convert(summary_docx), tmp_path=tmp_path, name="unit-file")
