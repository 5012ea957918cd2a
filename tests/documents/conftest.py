"""Library-level fixtures: no Flask app, no database."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.documents.manifest import TemplateLibrary
from webapp.documents.pdf import PdfConverter
from webapp.documents.render import DocumentRenderer

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def library() -> TemplateLibrary:
    return TemplateLibrary.load(REPO / "doc_templates")


@pytest.fixture(scope="session")
def renderer(library) -> DocumentRenderer:
    return DocumentRenderer(library)


@pytest.fixture(scope="session")
def converter(tmp_path_factory) -> PdfConverter:
    """One LibreOffice profile for the PDF tests; they skip when soffice is not installed."""
    converter = PdfConverter(tmp_path_factory.mktemp("lo-profile"))
    if not converter.available():
        pytest.skip("LibreOffice (soffice) is not installed")
    return converter
