"""`firegrid documents check-layout`: the layout verifier over a year's documents issued while the check
was off (the tests run with FIREGRID_LAYOUT_CHECK=0); reports are stored, the issued files unchanged."""

from __future__ import annotations

import io

import docx as python_docx
import pytest
from docx.shared import Mm
from sqlalchemy import update

from tests.services.test_archive_export import at
from tests.services.test_document_properties import sample_with
from webapp.cli import main
from webapp.models import Document
from webapp.services import documents
from webapp.services.documents import DOCX, Subject


def _run(app, *args):  # noqa: ANN001, ANN002, ANN202
    return app.test_cli_runner().invoke(main, list(args))


def _notice(session, docs, town, title: str, when: str) -> Document:
    return documents.issue(session, docs, template_key="notice", prefix_key="town_notice", title=title,
                           context=sample_with(docs, "notice", title=title), subject=Subject(town), user=None,
                           now=at(when))


def _with_mark_moved_up(content: bytes) -> bytes:
    """The same notice with a 10 mm top margin: its organ mark no longer sits where GB/T 9704 puts it."""
    document = python_docx.Document(io.BytesIO(content))
    document.sections[0].top_margin = Mm(10)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_check_layout_stores_a_report_per_document_and_fails_on_a_bad_one(app, session, small_town):
    docs = app.extensions["firegrid.runtime"].documents
    if not docs.pdf.available():
        pytest.skip("LibreOffice (soffice) is not installed")
    good = _notice(session, docs, small_town.town, "关于冬季防火的通知", "2026-02-03T10:00")
    bad = _notice(session, docs, small_town.town, "关于春季防火的通知", "2026-03-03T10:00")
    earlier = _notice(session, docs, small_town.town, "关于秋季防火的通知", "2025-10-03T10:00")
    moved = docs.store.put(session, _with_mark_moved_up(docs.store.read(bad.file_sha256)), DOCX, at("2026-03-03T10:00"))
    session.execute(update(Document).where(Document.id == bad.id).values(file_sha256=moved.sha256))
    session.commit()
    assert good.layout_check_label.startswith("未检查")

    result = _run(app, "documents", "check-layout", "--year", "2026")
    assert result.exit_code == 1, result.output
    assert "2026 年已检查 2 件，通过 1 件，未通过 1 件" in result.output
    assert "关于春季防火的通知" in result.output and "发文机关标志位置：1" in result.output
    session.expire_all()
    assert session.get(Document, good.id).layout_check_label == "通过"
    assert session.get(Document, bad.id).layout_check_label.startswith("未通过：")
    assert session.get(Document, earlier.id).layout_check_label.startswith("未检查")
    assert session.get(Document, bad.id).file_sha256 == moved.sha256  # the issued file stays as issued

    again = _run(app, "documents", "check-layout", "--year", "2026")
    assert again.exit_code == 0 and "已检查 0 件" in again.output
    assert "已检查 2 件" in _run(app, "documents", "check-layout", "--year", "2026", "--all").output
