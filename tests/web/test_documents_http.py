"""The document store through services and HTTP: one file per content, immutability, scope, PDF."""

from __future__ import annotations

import io
import re
import shutil
from urllib.parse import quote

import pytest
from docx import Document as Docx
from sqlalchemy import func, select

from tests.docx_checks import check_pdf_text
from webapp.documents.pdf import PdfConversionError
from webapp.models import Document, GridNode, IssuedNumber, StoredFile
from webapp.services import documents
from webapp.services.errors import InvalidInput


def _docs(app):
    return app.extensions["firegrid.runtime"].documents


def _issue(app, session, grid: GridNode, title="关于开展冬季防火检查的通知"):
    docs, now = _docs(app), app.extensions["firegrid.clock"].now()
    context = dict(docs.library.spec("notice").sample, title=title)
    return documents.issue(session, docs, template_key="notice", context=context, title=title,
                           prefix_key="town_notice", subject=documents.Subject(grid),
                           user=None, now=now)


def test_same_content_is_stored_once(app, session, small_town):
    docs, now = _docs(app), app.extensions["firegrid.clock"].now()
    context = docs.library.spec("inspection_record").sample
    subject = documents.Subject(small_town.village)
    first = documents.create_record(session, docs, template_key="inspection_record", context=context,
                                    title="检查记录", subject=subject, user=None, now=now)
    second = documents.create_record(session, docs, template_key="inspection_record", context=context,
                                     title="检查记录", subject=subject, user=None, now=now)
    assert first.id != second.id and first.file_sha256 == second.file_sha256
    assert session.scalar(select(func.count()).select_from(StoredFile)) == 1
    assert docs.store.verify(first.file_sha256)


def test_issued_document_is_immutable_and_corrections_are_versions(app, session, small_town):
    issued = _issue(app, session, small_town.town)
    session.commit()
    issued.title = "改过的标题"
    with pytest.raises(InvalidInput, match="不能修改"):
        session.flush()
    session.rollback()
    docs, now = _docs(app), app.extensions["firegrid.clock"].now()
    context = dict(docs.library.spec("notice").sample, title="关于开展冬季防火检查的通知（更正）")
    corrected = documents.correct(session, docs, issued, context=context, user=None, now=now)
    session.commit()
    assert corrected.version == 2 and corrected.previous_id == issued.id and corrected.number == issued.number
    assert session.get(Document, issued.id).status == "superseded"
    text = "\n".join(p.text for p in Docx(io.BytesIO(docs.store.read(corrected.file_sha256))).paragraphs)
    assert issued.number in text and "（更正）" in text


def test_void_keeps_the_number_in_the_ledger(app, session, small_town):
    first = _issue(app, session, small_town.town)
    documents.void(session, first, "标题有误，重新发文")
    second = _issue(app, session, small_town.town, title="重新印发的通知")
    session.commit()
    ledger = list(session.scalars(select(IssuedNumber).order_by(IssuedNumber.serial)))
    assert [(n.serial, n.status) for n in ledger] == [(1, "void"), (2, "issued")]
    assert ledger[0].void_reason == "标题有误，重新发文" and second.number.endswith("〕2号")


def test_download_has_chinese_filename_and_enforces_scope(app, session, sign_in, small_town):
    issued = _issue(app, session, small_town.other_village)
    session.commit()
    response = sign_in("clerk").get(f"/documents/{issued.id}.docx")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert quote("松林府发") in response.headers["Content-Disposition"]
    assert Docx(io.BytesIO(response.data)).paragraphs
    assert sign_in("village_clerk").get(f"/documents/{issued.id}.docx").status_code == 403


def test_pdf_without_libreoffice_says_so_in_chinese(app, session, sign_in, small_town, monkeypatch, tmp_path,
                                                    without_libreoffice):
    issued = _issue(app, session, small_town.town)
    session.commit()
    monkeypatch.setattr(_docs(app), "pdf_cache_dir", tmp_path / "cache")
    response = sign_in("clerk").get(f"/documents/{issued.id}.pdf")
    assert response.status_code == 503 and "未安装 PDF 转换组件" in response.get_data(as_text=True)
    assert sign_in("clerk").get(f"/documents/{issued.id}.docx").status_code == 200


def test_failed_conversion_is_reported_in_chinese_and_logged(app, session, sign_in, small_town, monkeypatch, tmp_path,
                                                             caplog):
    issued = _issue(app, session, small_town.town)
    session.commit()

    def broken(content, pdfa=False):  # noqa: ANN001, ANN202
        raise PdfConversionError("soffice exited with status 1: source file could not be loaded")

    monkeypatch.setattr(_docs(app).pdf, "convert", broken)
    monkeypatch.setattr(_docs(app), "pdf_cache_dir", tmp_path / "cache")
    response = sign_in("clerk").get(f"/documents/{issued.id}.pdf")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and "PDF 转换失败，请稍后重试或下载 DOCX。" in page
    assert "soffice" not in page and "source file could not be loaded" in caplog.text


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_pdf_download_has_the_number_and_drops_no_characters(app, session, sign_in, small_town, tmp_path):
    issued = _issue(app, session, small_town.town)
    session.commit()
    response = sign_in("clerk").get(f"/documents/{issued.id}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    from pypdf import PdfReader

    first_page = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    compact = re.sub(r"\s+", "", first_page)
    assert "松林镇人民政府" in compact and issued.number in compact
    check_pdf_text(_docs(app).store.read(issued.file_sha256), response.data, tmp_path, name="notice")


def test_template_gallery_and_samples(sign_in, small_town, app):
    clerk = sign_in("clerk")
    page = clerk.get("/templates/").get_data(as_text=True)
    library = _docs(app).library
    for key in library:
        assert library.spec(key).title in page
    sample = clerk.get("/templates/rectification_notice/sample.docx")
    assert sample.status_code == 200 and "隐患整改通知书" in "\n".join(
        p.text for p in Docx(io.BytesIO(sample.data)).paragraphs)
