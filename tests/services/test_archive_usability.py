"""Issue 16 (archive): the catalogue opens, 四性检测 可用性 and `archive verify` open every packed file, and
PDF/A is claimed only for files that pass the PDF/A proxy check."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import bagit
import docx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import tiny_pdf
from tests.services.test_archive_export import at, build_year
from webapp.archive.catalogue import COLUMNS, CatalogueRow, CatalogueWriter
from webapp.archive.export import ExportOptions, export_year
from webapp.archive.models import ArchiveItem
from webapp.archive.verify import verify_package
from webapp.documents.inspection import inspect_large_ooxml
from webapp.documents.pdfa import check_pdfa
from webapp.documents.properties import CoreProperties
from webapp.models import AttachmentRole, Document, GridNode
from webapp.services import documents

NEEDS_SOFFICE = pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")


@pytest.fixture()
def docs(app):
    return app.extensions["firegrid.runtime"].documents


def _export(session, docs, tmp_path: Path, pdf: bool = False, name: str = "a.zip") -> tuple[dict, Path]:
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    result = export_year(session, docs, town=town, year=2026, out=tmp_path / name, now=at("2026-12-31T16:00"),
                         options=ExportOptions(pdf=pdf))
    session.commit()
    return result.report, tmp_path / name


def _unzip(path: Path, target: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(target)
    return next(target.iterdir())


def _rebag(bag_dir: Path, out: Path) -> Path:
    """After a file was replaced: fix the sizes in its item's metadata and the bag's manifests, so only the
    file's content (not its checksum) is wrong, then zip the bag again."""
    for metadata_path in (bag_dir / "data").glob("*/元数据.json"):
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        for entry in metadata["电子文件"]:
            entry["计算机文件大小"] = (metadata_path.parent / entry["计算机文件名"]).stat().st_size
        metadata_path.write_text(json.dumps(metadata, ensure_ascii=False), encoding="utf-8")
    bagit.Bag(str(bag_dir)).save(manifests=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in bag_dir.rglob("*") if p.is_file()):
            archive.write(path, f"{bag_dir.name}/{path.relative_to(bag_dir).as_posix()}")
    return out


def _break_xml_part(path: Path, part: str) -> None:
    """Still a valid zip, but one XML part is cut short: the kind of damage the old catalogue had."""
    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, content in members:
            target.writestr(info, content[: len(content) // 2] if info.filename == part else content)


def test_catalogue_with_several_rows_opens_in_python_docx(tmp_path):
    properties = CoreProperties("2026年度归档文件目录（全宗号 Z001）", "某镇人民政府", at("2026-12-31T16:00"))
    with CatalogueWriter(tmp_path, properties.title, properties) as catalogue:
        for seq in range(1, 4):
            catalogue.add(CatalogueRow(seq, f"Z001-WS·2026-D10-BGS-{seq:04d}", f"府发〔2026〕{seq}号",
                                       "某镇人民政府", f"关于<检查>&“整改”的通知{seq}", "20260208", "", 2, ""))
    table = docx.Document(str(tmp_path / "归档文件目录.docx")).tables[0]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == COLUMNS and len(rows) == 4
    assert [r[1] for r in rows[1:]] == [f"Z001-WS·2026-D10-BGS-{n:04d}" for n in (1, 2, 3)]
    assert rows[3][4] == "关于<检查>&“整改”的通知3"
    core = docx.Document(str(tmp_path / "归档文件目录.docx")).core_properties
    assert (core.title, core.author, core.last_modified_by) == (properties.title, "某镇人民政府", "Firegrid")
    assert core.created == at("2026-12-31T16:00")
    book = load_workbook(tmp_path / "归档文件目录.xlsx")
    assert book.properties.creator == "某镇人民政府" and book.properties.title == properties.title


def test_catalogue_sheet_written_as_xml_keeps_user_text_as_text(tmp_path):
    """The sheet's rows are written as XML by hand: markup is escaped, what XML cannot hold is dropped, and
    text Excel would take for a formula is a text cell with the quote prefix, as append_row writes it."""
    properties = CoreProperties("2026年度归档文件目录（全宗号 Z001）", "某镇人民政府", at("2026-12-31T16:00"))
    nasty = ['=HYPERLINK("http://example.invalid","点我")', "+1+1", "@SUM(A1)", "-1", "\x01=1+1"]
    with CatalogueWriter(tmp_path, properties.title, properties) as catalogue:
        for seq, text in enumerate(nasty, start=1):
            catalogue.add(CatalogueRow(seq, f"Z001-WS·2026-D10-BGS-{seq:04d}", text, " 某镇人民政府 ",
                                       "关于<检查>&“整改”的\x07通知", "20260208", "", 0, ""))
    assert inspect_large_ooxml(tmp_path / "归档文件目录.xlsx").opens
    sheet = load_workbook(tmp_path / "归档文件目录.xlsx").active
    rows = list(sheet.iter_rows(min_row=3))
    assert [row[2].value for row in rows] == [*nasty[:4], "=1+1"]
    assert all(row[2].data_type == "s" and row[2].quotePrefix for row in rows)
    first = rows[0]
    assert (first[0].value, first[7].value, first[8].value) == (1, 0, None)  # numbers stay numbers
    assert first[3].value == " 某镇人民政府 " and first[4].value == "关于<检查>&“整改”的通知"
    assert not first[1].quotePrefix and [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))] == COLUMNS


def test_exported_catalogue_opens_and_converts_in_libreoffice(session, small_town, app, docs, tmp_path):
    build_year(session, app)
    report, path = _export(session, docs, tmp_path)
    assert report["检测项"]["可用性"]["通过"], report
    bag_dir = _unzip(path, tmp_path / "x")
    catalogue = bag_dir / "data" / "归档文件目录.docx"
    rows = docx.Document(str(catalogue)).tables[0].rows
    assert len(rows) == 1 + 4
    assert verify_package(path).ok
    if shutil.which("soffice"):  # the same file as LibreOffice reads it
        pdf = docs.pdf.convert(catalogue.read_bytes())
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "")
        assert rows[4].cells[1].text in text


@pytest.mark.parametrize(("target", "part"), [
    ("catalogue.xlsx", "xl/worksheets/sheet1.xml"),
    ("catalogue.docx", "word/document.xml"),
    ("item.docx", "word/document.xml"),
])
def test_verify_fails_naming_an_office_file_that_does_not_open(session, small_town, app, docs, tmp_path, target, part):
    build_year(session, app)
    _, path = _export(session, docs, tmp_path)
    assert verify_package(path).ok
    bag_dir = _unzip(path, tmp_path / "x")
    if target.startswith("catalogue"):
        victim = bag_dir / "data" / f"归档文件目录{Path(target).suffix}"
    else:
        victim = next((bag_dir / "data").glob("*/01_*.docx"))
    _break_xml_part(victim, part)
    result = verify_package(_rebag(bag_dir, tmp_path / "broken.zip"))
    assert not result.ok
    named = [p for p in result.problems if victim.name in p]
    assert named and all("无法以" in p and "打开" in p for p in named), result.problems
    assert not any("摘要不符" in p for p in result.problems)  # the bag itself is consistent: only usability fails


def _year_with_file_on_the_record(session, app, docs, name: str, content: bytes, media_type: str) -> Document:
    """build_year's year, its inspection record carrying one more uploaded file."""
    record = session.get(Document, build_year(session, app).record_id)
    documents.attach(session, docs, record, content=content, name=name, media_type=media_type,
                     role=AttachmentRole.ATTACHMENT, now=at("2026-06-02T10:00"))
    session.commit()
    return record


def test_verify_fails_naming_a_pdf_that_does_not_open(session, small_town, app, docs, tmp_path):
    _year_with_file_on_the_record(session, app, docs, "检查照片.pdf", tiny_pdf(), "application/pdf")
    _, path = _export(session, docs, tmp_path)
    assert verify_package(path).ok
    bag_dir = _unzip(path, tmp_path / "x")
    victim = next((bag_dir / "data").glob("*/*检查照片.pdf"))
    victim.write_bytes(tiny_pdf()[:200])
    result = verify_package(_rebag(bag_dir, tmp_path / "broken.zip"))
    assert any(victim.name in p and "无法以 PDF 打开" in p for p in result.problems), result.problems


def test_export_reports_an_archived_file_that_does_not_open(session, small_town, app, docs, tmp_path):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(docs.renderer.render_sample("notice"))
    _break_xml_part(broken, "word/document.xml")
    _year_with_file_on_the_record(session, app, docs, "现场说明.docx", broken.read_bytes(), documents.DOCX)
    report, path = _export(session, docs, tmp_path)
    usability = report["检测项"]["可用性"]
    assert not report["通过"] and not usability["通过"]
    assert any("现场说明.docx" in p and "无法以 Word 文档打开" in p for p in usability["问题"]), usability
    assert any("现场说明.docx" in p for p in verify_package(path).problems)


def test_an_uploaded_plain_pdf_is_not_described_as_pdfa(session, small_town, app, docs, tmp_path):
    record = _year_with_file_on_the_record(session, app, docs, "扫描件.pdf", tiny_pdf(), "application/pdf")
    _, path = _export(session, docs, tmp_path)
    bag_dir = _unzip(path, tmp_path / "x")
    code = session.scalar(select(ArchiveItem.archive_code).where(ArchiveItem.main_document_id == record.id))
    metadata_path = bag_dir / "data" / code / "元数据.json"
    metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    [entry] = [e for e in metadata["电子文件"] if e["计算机文件名"].endswith("扫描件.pdf")]
    assert entry["格式信息"] == "PDF"
    assert not check_pdfa(bag_dir / "data" / code / entry["计算机文件名"]).passed

    entry["格式信息"] = "PDF/A-2b"  # a package that claims what the file is not fails verify
    metadata_path.write_text(json.dumps(metadata, ensure_ascii=False), encoding="utf-8")
    result = verify_package(_rebag(bag_dir, tmp_path / "claimed.zip"))
    assert any(entry["计算机文件名"] in p and "未通过 PDF/A 检查" in p and "OutputIntent" in p
               for p in result.problems), result.problems


def test_pdfa_proxy_names_each_missing_property_of_a_plain_pdf(tmp_path):
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(tiny_pdf())
    check = check_pdfa(plain)
    assert not check.passed and check.label == "PDF"
    assert any("pdfaid" in p for p in check.problems) and any("OutputIntent" in p for p in check.problems)


@NEEDS_SOFFICE
def test_libreoffice_pdfa_passes_the_proxy_and_is_described_as_pdfa(session, small_town, app, docs, tmp_path,
                                                                     monkeypatch):
    year = build_year(session, app)
    monkeypatch.setattr(docs, "pdf_cache_dir", tmp_path / "pdf-cache")  # converted now, not from another test
    report, path = _export(session, docs, tmp_path, pdf=True)
    bag_dir = _unzip(path, tmp_path / "x")
    code = session.scalar(select(ArchiveItem.archive_code).where(ArchiveItem.main_document_id == year.notice_ids[0]))
    folder = bag_dir / "data" / code
    [pdf] = folder.glob("*.pdf")
    check = check_pdfa(pdf)
    assert check.passed and check.label == "PDF/A-2b", check.problems
    metadata = json.loads((folder / "元数据.json").read_text(encoding="utf-8"))
    [entry] = [e for e in metadata["电子文件"] if e["计算机文件名"] == pdf.name]
    assert entry["格式信息"] == "PDF/A-2b" and entry["用途"] == "正文（PDF/A）"
    assert not any("PDF/A 检查" in note for note in report["说明"])
    assert verify_package(path).ok


@NEEDS_SOFFICE
def test_plain_pdf_from_libreoffice_fails_the_proxy(docs, tmp_path):
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(docs.pdf.convert(docs.renderer.render_sample("notice")))
    check = check_pdfa(plain)
    assert not check.passed and not any("字体" in p for p in check.problems)  # fonts are embedded all the same
