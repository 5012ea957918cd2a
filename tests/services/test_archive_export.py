"""Issue 10: archive export — items, 档号, BagIt package, catalogue, 四性检测 report, verify."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import bagit
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from tests.docx_checks import check_pdf_text
from webapp.archive import codes as archive_codes
from webapp.archive.catalogue import COLUMNS
from webapp.archive.export import ExportOptions, export_year, stored_codes
from webapp.archive.item_store import ItemPlan
from webapp.archive.models import ArchiveItem
from webapp.archive.verify import verify_package
from webapp.cases import actions as cases
from webapp.clock import TZ
from webapp.documents.pdf import PdfConversionError
from webapp.models import AttachmentRole, Document, GridNode, IssuedNumber, ProcessInstance, User, WorkTask
from webapp.services import documents, numbering
from webapp.services.documents import Subject

JPEG = b"\xff\xd8\xff\xe0" + b"signed scan " * 50 + b"\xff\xd9"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@dataclass
class Year:
    notice_ids: list[int]
    rectification_id: int
    reinspection_id: int
    record_id: int
    voided_number: str


def _user(session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


def _finish_case(session, runtime, instance: ProcessInstance, now: datetime) -> None:
    """Walk test_notice to its end: draft → review → countersign (one approver)."""
    data = {"draft": {"title": "整改", "body": "各村：……", "approver_names": "leader"}}
    for _ in range(6):
        task = session.scalar(select(WorkTask).where(WorkTask.instance_id == instance.id))
        if task is None:
            break
        user = task.assignee or _user(session, "clerk" if task.role == "clerk" else "leader")
        cases.submit_task(session, runtime, user=user, work_task_id=task.id, data=data.get(task.step_key, {}),
                          opinion="同意" if task.step_key != "draft" else "", now=now)
    assert instance.status == "completed"


def _issue(session, docs, key: str, prefix: str, subject: Subject, now: datetime, title: str) -> Document:
    return documents.issue(session, docs, template_key=key, context=docs.library.spec(key).sample, title=title,
                           prefix_key=prefix, subject=subject, user=_user(session, "clerk"), now=now,
                           number_field="issue_no" if key == "minutes" else "doc_number")


def build_year(session, app, *, finish_case: bool = True) -> Year:
    """A year of documents through the real services: notices (one voided), a case, records with scans."""
    runtime = app.extensions["firegrid.runtime"]
    docs = runtime.documents
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    clerk = _user(session, "clerk")
    plain = Subject(town)
    notices = [_issue(session, docs, "notice", "town_notice", plain, at(f"2026-0{m}-08T10:00"), f"关于检查的通知{m}")
               for m in (2, 3, 4)]
    documents.void(session, notices[1], "文字有误，重新发文")
    case = cases.start_case(session, runtime, procedure_key="test_notice", user=clerk, grid=town,
                            title="恒发超市隐患整改", data={"title": "恒发超市隐患整改"}, now=at("2026-05-06T09:00"))
    in_case = Subject(town, instance=case)
    notice = _issue(session, docs, "rectification_notice", "rectification", in_case, at("2026-05-08T10:00"),
                    "火灾隐患整改通知书")
    documents.attach(session, docs, notice, content=JPEG, name="签收回执.jpg", media_type="image/jpeg",
                     role=AttachmentRole.RECEIPT,
                     now=at("2026-05-09T10:00"))
    opinion = _issue(session, docs, "reinspection_opinion", "reinspection", in_case, at("2026-05-22T10:00"),
                     "复查意见书")
    if finish_case:
        _finish_case(session, runtime, case, at("2026-05-23T10:00"))
    record = documents.create_record(session, docs, template_key="inspection_record",
                                     context=docs.library.spec("inspection_record").sample, title="消防安全检查记录",
                                     subject=plain, user=clerk, now=at("2026-06-01T10:00"))
    documents.attach(session, docs, record, content=JPEG + b"2", name="检查照片.jpg", media_type="image/jpeg",
                     role=AttachmentRole.PHOTO, now=at("2026-06-01T11:00"))
    session.commit()
    return Year([n.id for n in notices], notice.id, opinion.id, record.id, notices[1].number)


@pytest.fixture()
def docs(app):
    return app.extensions["firegrid.runtime"].documents


def _export(session, docs, tmp_path: Path, name: str = "a.zip", **options) -> tuple:
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    result = export_year(session, docs, town=town, year=2026, out=tmp_path / name, now=at("2026-12-31T16:00"),
                         options=ExportOptions(**options))
    session.commit()
    return result, tmp_path / name


def catalogue_codes(package: Path) -> list[str]:
    """The 档号 of a package's items in catalogue order, as its 归档文件目录.xlsx lists them."""
    with zipfile.ZipFile(package) as archive:
        name = next(n for n in archive.namelist() if n.endswith("/data/归档文件目录.xlsx"))
        sheet = load_workbook(io.BytesIO(archive.read(name)), read_only=True).active
        return [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)]


def _unzip(path: Path, target: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(target)
    return next(target.iterdir())


def test_export_builds_a_valid_bag_with_items_codes_catalogue_and_report(session, small_town, app, docs, tmp_path):
    year = build_year(session, app)
    result, path = _export(session, docs, tmp_path)
    assert result.item_count == 4  # 2 notices, notice + opinion as one item, the record
    bag_dir = _unzip(path, tmp_path / "x")
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    info = bag.info
    assert info["Item-Count"] == "4" and info["Archive-Year"] == "2026" and info["Fonds"] == "Z001"
    assert "Bagging-Date" in info and info["Source-Organization"]
    assert (bag_dir / "tagmanifest-sha256.txt").exists() and (bag_dir / "manifest-sha256.txt").exists()
    assert verify_package(path).ok

    item = session.scalar(select(ArchiveItem).where(ArchiveItem.main_document_id == year.rectification_id))
    assert [m.document_id for m in item.members] == [year.rectification_id, year.reinspection_id]
    assert item.archive_code == "Z001-WS·2026-D30-BGS-0003"  # after the two notices of the same class
    folder = bag_dir / "data" / item.archive_code
    names = sorted(p.name for p in folder.iterdir())
    assert any(n.endswith("签收回执.jpg") for n in names) and "元数据.xml" in names
    metadata = json.loads((folder / "元数据.json").read_text(encoding="utf-8"))
    assert metadata["保管期限"] == "定期30年" and metadata["文件编号"].startswith("松林消整〔2026〕第")
    steps = [(e["动作"], e["办理人"]) for e in metadata["办理过程"]]
    assert steps[0] == ("发起", "苏晓梅") and ("办理", "郝国强") in steps
    assert {f["用途"] for f in metadata["电子文件"]} >= {"正文", "送达回执"}
    record_code = session.scalar(select(ArchiveItem.archive_code).where(ArchiveItem.main_document_id == year.record_id))
    assert record_code == "Z001-WS·2026-D10-BGS-0001"

    sheet = load_workbook(bag_dir / "data" / "归档文件目录.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[1]) == COLUMNS and len(rows) == 2 + 4
    assert [r[1] for r in rows[2:]] == ["Z001-WS·2026-D30-BGS-0001", "Z001-WS·2026-D30-BGS-0002",
                                        "Z001-WS·2026-D30-BGS-0003", "Z001-WS·2026-D10-BGS-0001"]
    assert [r[0] for r in rows[2:]] == [1, 2, 3, 4] and rows[2][5] == "20260208" and rows[2][7] >= 1
    assert zipfile.ZipFile(bag_dir / "data" / "归档文件目录.docx").testzip() is None

    report = json.loads((bag_dir / "data" / "四性检测报告.json").read_text(encoding="utf-8"))
    assert report["通过"], report
    assert any(year.voided_number in line and "文字有误" in line for line in report["作废文号说明"])


def test_reexport_keeps_codes_and_new_documents_get_the_next_number(session, small_town, app, docs, tmp_path):
    build_year(session, app)
    first, _ = _export(session, docs, tmp_path, "1.zip", pdf=False)
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    codes_before = stored_codes(session, town, 2026)
    archive_codes.update_settings(session, town, fonds="Z009", source_organization="松林镇人民政府",
                                  pattern=archive_codes.DEFAULT_CODE_PATTERN, default_organ="XF",
                                  organ_codes={}, retention_rules={}, item_groups=archive_codes.default_item_groups())
    session.commit()
    _issue(session, docs, "notice", "town_notice", Subject(town), at("2026-11-02T10:00"), "关于冬季防火的通知")
    session.commit()
    second, _ = _export(session, docs, tmp_path, "2.zip", pdf=False)
    after = stored_codes(session, town, 2026)
    assert {k: after[k] for k in codes_before} == codes_before  # nothing renumbered after the settings changed
    assert set(catalogue_codes(second.path)) == set(catalogue_codes(first.path)) | {"Z009-WS·2026-D30-XF-0001"}
    third, _ = _export(session, docs, tmp_path, "3.zip", pdf=False)
    assert catalogue_codes(third.path) == catalogue_codes(second.path)
    assert any("档号" in note for note in second.report["说明"])


def test_changing_one_byte_of_a_payload_file_fails_verify_naming_it(session, small_town, app, docs, tmp_path):
    build_year(session, app)
    _, path = _export(session, docs, tmp_path, pdf=False)
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    victim = next(info.filename for info, _ in members
                  if info.filename.endswith(".docx") and "/data/Z001" in info.filename)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        for info, content in members:
            if info.filename == victim:
                content = content[:-100] + bytes([content[-100] ^ 0xFF]) + content[-99:]
            archive.writestr(info, content)
    result = verify_package(tampered)
    assert not result.ok
    relative = victim.split("/", 1)[1]
    assert any(relative in problem and "摘要不符" in problem for problem in result.problems), result.problems
    assert len(result.problems) >= 1


def test_raw_byte_flip_inside_the_zip_is_named(session, small_town, app, docs, tmp_path):
    build_year(session, app)
    _, path = _export(session, docs, tmp_path, pdf=False)
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("元数据.xml"))
    raw = bytearray(path.read_bytes())
    offset = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 5
    raw[offset] ^= 0x01
    path.write_bytes(bytes(raw))
    result = verify_package(path)
    assert not result.ok and any("元数据.xml" in p for p in result.problems), result.problems


def test_real_gap_is_reported_and_running_cases_wait(session, small_town, app, docs, tmp_path):
    build_year(session, app, finish_case=False)
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    lost = numbering.allocate(session, town_id=town.id, prefix="松林府发", year=2026, grammar="wenhao",
                              now=at("2026-07-01T10:00"))
    session.delete(lost)  # a number allocated and lost: a real gap
    _issue(session, docs, "notice", "town_notice", Subject(town), at("2026-07-02T10:00"), "关于汛期防火的通知")
    session.commit()
    result, path = _export(session, docs, tmp_path, pdf=False)
    assert result.item_count == 4  # the running case's notice and opinion wait
    integrity = result.report["检测项"]["完整性"]
    assert not integrity["通过"] and any("松林府发〔2026〕第4号" in p for p in integrity["问题"])
    assert any("松林消整" in note for note in result.report["说明"])  # issued but not in this export
    verified = verify_package(path)
    assert verified.ok and any("断号" in w for w in verified.warnings)
    assert session.scalar(select(IssuedNumber).where(IssuedNumber.status == "void")) is not None


def test_filters_select_retention_classes(session, small_town, app, docs, tmp_path):
    build_year(session, app)
    result, _ = _export(session, docs, tmp_path, pdf=False, retentions={"D10"})
    assert catalogue_codes(result.path) == ["Z001-WS·2026-D10-BGS-0001"]


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_pdfa_in_the_package_keeps_every_character_of_its_docx(session, small_town, app, docs, tmp_path):
    year = build_year(session, app)
    _, path = _export(session, docs, tmp_path)  # with PDF/A
    bag_dir = _unzip(path, tmp_path / "x")
    notice = session.get(Document, year.notice_ids[0])
    item = session.scalar(select(ArchiveItem).where(ArchiveItem.main_document_id == notice.id))
    folder = bag_dir / "data" / item.archive_code
    [docx_path] = [p for p in folder.iterdir() if p.suffix == ".docx"]
    [pdf_path] = [p for p in folder.iterdir() if p.suffix == ".pdf"]
    pdf = pdf_path.read_bytes()
    assert b"pdfaid" in pdf or b"PDF/A" in pdf
    first_page = PdfReader(io.BytesIO(pdf)).pages[0].extract_text().replace(" ", "")
    assert notice.number in first_page
    check_pdf_text(docx_path, pdf_path, tmp_path, name="archived-notice")


def test_failed_pdfa_conversion_is_noted_in_chinese_and_logged(session, small_town, app, docs, tmp_path, monkeypatch,
                                                                caplog):
    build_year(session, app)

    def broken(contents, pdfa=False):  # noqa: ANN001, ANN202
        raise PdfConversionError("soffice exited with status 1: source file could not be loaded")

    monkeypatch.setattr(docs.pdf, "convert_many", broken)
    monkeypatch.setattr(docs, "pdf_cache_dir", tmp_path / "cache")
    result, _ = _export(session, docs, tmp_path)
    notes = result.report["说明"]
    assert "部分文件转换 PDF/A 失败，这些件仅含 DOCX。" in notes
    assert not any("soffice" in note for note in notes) and "source file could not be loaded" in caplog.text


def test_assigner_completes_a_filed_item_and_numbers_new_ones_after_the_highest(session, small_town, app):
    """A batch's items go in as rows without ORM objects: a filed item keeps its code and gains the documents it
    lacks (after its members), a new item takes the next 件号 of its class."""
    year = build_year(session, app)
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    rules = archive_codes.load_rules(session, town)
    first, second, third = year.notice_ids[0], year.notice_ids[1], year.record_id
    filed = archive_codes.Assigner(session, rules, at("2026-12-31T16:00")).assign(2026, [
        _plan([first], "D30")])
    item_id = session.scalar(select(ArchiveItem.id).where(ArchiveItem.main_document_id == first))
    again = archive_codes.Assigner(session, rules, at("2027-01-05T16:00")).assign(2026, [
        _plan([first, second], "D30", item_id=item_id, code=filed[0].archive_code, serial=1),
        _plan([third], "D30")])
    session.commit()
    assert [(i.serial, i.archive_code) for i in again] == [(1, "Z001-WS·2026-D30-BGS-0001"),
                                                           (2, "Z001-WS·2026-D30-BGS-0002")]
    item = session.get(ArchiveItem, item_id)
    assert [(m.document_id, m.position) for m in item.members] == [(first, 0), (second, 1)]
    new = session.scalar(select(ArchiveItem).where(ArchiveItem.main_document_id == third))
    assert (new.serial, new.assigned_at, [m.document_id for m in new.members]) == (2, at("2027-01-05T16:00"), [third])


def _plan(document_ids: list[int], retention: str, *, item_id: int | None = None, code: str = "",
                       serial: int = 0) -> ItemPlan:
    return ItemPlan(document_ids, "题名", "", "某镇人民政府", at("2026-03-01T09:00"), retention, "BGS", code, item_id,
                    serial)
