"""版式检查 at issuing: the verifier's report is stored with the document and shown on the case page;
issuing stops with a Chinese message when the layout fails; without LibreOffice it says 未检查."""

from __future__ import annotations

import dataclasses
import io
import shutil
import zipfile

import pdfplumber
import pytest
from sqlalchemy import func, select

from webapp.cases import actions as cases
from webapp.documents.manifest import TemplateLibrary
from webapp.documents.pdf import PdfConverter
from webapp.documents.render import DocumentRenderer
from webapp.models import Document, IssuedNumber, User
from webapp.services import documents
from webapp.services.errors import InvalidInput


def _services(app, **changes) -> documents.DocumentServices:
    return dataclasses.replace(app.extensions["firegrid.runtime"].documents, **changes)


def _opinion(docs, hazards: int) -> dict:
    sample = docs.library.spec("reinspection_opinion").sample
    hazard = {"description": "疏散通道堆放货物，影响人员安全疏散", "location": "仓库后门", "corrected": False,
              "remark": "尚未清理。"}
    return {**sample, "hazards": [hazard] * hazards}


def _issue_in_case(app, session, small_town, docs, context: dict):
    runtime, now = app.extensions["firegrid.runtime"], app.extensions["firegrid.clock"].now()
    clerk = session.scalar(select(User).where(User.username == "clerk"))
    case = cases.start_case(session, runtime, procedure_key="test_notice", user=clerk, grid=small_town.town,
                            title="隐患复查", data={"title": "隐患复查"}, now=now)
    document = documents.issue(session, docs, template_key="reinspection_opinion", context=context, title="复查意见书",
                               prefix_key="reinspection", subject=documents.Subject(small_town.town, instance=case),
                               user=clerk, now=now)
    session.commit()
    return case, document


@pytest.fixture()
def checking(app):
    docs = _services(app, layout_check=True)
    if not docs.pdf.available():
        pytest.skip("LibreOffice (soffice) is not installed")
    return docs


def test_issued_long_opinion_passes_and_the_case_page_says_so(app, session, small_town, sign_in, checking):
    case, document = _issue_in_case(app, session, small_town, checking, _opinion(checking, 9))
    assert document.layout_check_label == "通过"
    pdf = documents.pdf_cache_path(checking, document.file_sha256).read_bytes()  # the PDF the verifier read
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        pages = [page.extract_text().replace(" ", "").replace("\n", "") for page in opened.pages]
    date_page = next(text for text in reversed(pages) if "2026年5月22日" in text)
    assert "依法移交" in date_page.split(checking.library.spec("reinspection_opinion").sample["signature"])[0]
    page = sign_in("clerk").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "版式检查：通过" in page


def test_issuing_stops_when_the_layout_fails(app, session, small_town, checking, tmp_path):
    """A template whose red rule is indented (146 mm) fails the rule check; no adjustment fixes it."""
    templates = tmp_path / "templates"
    shutil.copytree(checking.library.directory, templates)
    source = templates / "reinspection_opinion.docx"
    out = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w") as changed:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "word/document.xml":
                xml = data.decode()
                rule = xml.index('w:color="FF0000"/></w:pBdr>')
                indent = '<w:ind w:left="0" w:right="0"/>'
                at = xml.index(indent, rule)
                data = (xml[:at] + '<w:ind w:left="283" w:right="283"/>' + xml[at + len(indent):]).encode()
            changed.writestr(item, data)
    source.write_bytes(out.getvalue())
    library = TemplateLibrary.load(templates)
    broken = dataclasses.replace(checking, library=library, renderer=DocumentRenderer(library))
    before = session.scalar(select(func.count()).select_from(Document))
    with pytest.raises(InvalidInput, match="版式检查未通过，文件未印发：第1页红色分隔线宽 146 mm，应为 156 mm"):
        _issue_in_case(app, session, small_town, broken, _opinion(broken, 2))
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Document)) == before
    assert session.scalar(select(func.count()).select_from(IssuedNumber)) == 0


def test_without_libreoffice_the_document_is_issued_and_marked_unchecked(app, session, small_town, sign_in,
                                                                          tmp_path):
    docs = _services(app, layout_check=True, pdf=PdfConverter(tmp_path, soffice="/nonexistent/soffice"))
    case, document = _issue_in_case(app, session, small_town, docs, _opinion(docs, 2))
    assert document.status == "issued"
    assert document.layout_check_label == "未检查（服务器未安装 LibreOffice，未生成 PDF）"
    page = sign_in("clerk").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "版式检查：未检查（服务器未安装 LibreOffice，未生成 PDF）" in page
    assert "版式检查：通过" not in page


def test_issued_notice_gets_its_banji_at_the_foot_of_an_even_page(app, session, small_town, checking):
    """A one-page joint notice: issuing moves the 版记 to the foot of page 2, which shows no page number."""
    runtime, now = app.extensions["firegrid.runtime"], app.extensions["firegrid.clock"].now()
    clerk = session.scalar(select(User).where(User.username == "clerk"))
    case = cases.start_case(session, runtime, procedure_key="test_notice", user=clerk, grid=small_town.town,
                            title="通知", data={"title": "通知"}, now=now)
    context = {**checking.library.spec("notice").sample, "body": [{"text": "请遵照执行。"}], "attachments": [],
               "joint_organs": ["松林镇人民政府", "松林镇消防安全委员会"]}
    document = documents.issue(session, checking, template_key="notice", context=context, title="通知",
                               prefix_key="town_notice", subject=documents.Subject(small_town.town, instance=case),
                               user=clerk, now=now)
    session.commit()
    assert document.layout_check_label == "通过（版记移至偶数页末）"
    pdf = documents.pdf_cache_path(checking, document.file_sha256).read_bytes()
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        pages = ["".join((page.extract_text() or "").split()) for page in opened.pages]
    assert len(pages) % 2 == 0 and pages[-1].startswith("抄送：") and "—" not in pages[-1]
