"""PDF conversion through LibreOffice (skipped when soffice is missing)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.docx_checks import check_pdf_text
from webapp.documents.pdf import PdfConverter, PdfUnavailable


def test_missing_soffice_raises_chinese_message(tmp_path):
    converter = PdfConverter(tmp_path, soffice="/nonexistent/soffice")
    with pytest.raises(PdfUnavailable, match="未安装 PDF 转换组件"):
        converter.convert(b"")


def test_every_sample_converts_with_its_text(converter, renderer, library, tmp_path):
    keys = library.keys()
    documents = [renderer.render_sample(k) for k in keys]
    pdfs = converter.convert_many(documents)
    for key, data, pdf in zip(keys, documents, pdfs, strict=True):
        sample = library.spec(key).sample
        first_page = PdfReader(io.BytesIO(pdf)).pages[0].extract_text().replace(" ", "")
        for field in ("organ_mark", "doc_number", "mark"):
            if field in sample:
                assert sample[field].replace(" ", "") in first_page, (key, field)
        check_pdf_text(data, pdf, tmp_path, name=key)


def test_pdfa_option(converter, renderer, library, tmp_path):
    content = renderer.render_sample("notice")
    pdf = converter.convert(content, pdfa=True)
    assert b"pdfaid" in pdf or b"PDF/A" in pdf
    first_page = PdfReader(io.BytesIO(pdf)).pages[0].extract_text().replace(" ", "")
    assert library.spec("notice").sample["doc_number"] in first_page
    check_pdf_text(content, pdf, tmp_path, name="notice-pdfa")
