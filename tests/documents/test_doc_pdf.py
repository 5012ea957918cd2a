"""PDF conversion through LibreOffice (skipped when soffice is missing)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.documents.conftest import run_shared_tool
from webapp.documents.pdf import PdfConverter, PdfUnavailable


@pytest.fixture(scope="module")
def converter(tmp_path_factory):
    converter = PdfConverter(tmp_path_factory.mktemp("lo-profile"))
    if not converter.available():
        pytest.skip("LibreOffice (soffice) is not installed")
    return converter


def test_missing_soffice_raises_chinese_message(tmp_path):
    converter = PdfConverter(tmp_path, soffice="/nonexistent/soffice")
    with pytest.raises(PdfUnavailable, match="未安装 LibreOffice"):
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
        docx_path, pdf_path = Path(tmp_path, f"{key}.docx"), Path(tmp_path, f"{key}.pdf")
        docx_path.write_bytes(data)
        pdf_path.write_bytes(pdf)
        result = run_shared_tool("pdf_text_integrity.py", str(docx_path), str(pdf_path))
        if result is not None:
            assert result.returncode == 0, (key, result.stdout)


def test_pdfa_option(converter, renderer):
    pdf = converter.convert(renderer.render_sample("notice"), pdfa=True)
    assert b"pdfaid" in pdf or b"PDF/A" in pdf
