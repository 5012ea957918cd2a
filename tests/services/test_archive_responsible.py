"""Issue 16 (archive metadata): every archived item names its 责任者 — the organ its data names, else the
government of the town it belongs to — in its metadata and in the catalogue, also for records made before
documents stored it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from tests.services.test_archive_export import at
from tests.services.test_document_properties import TOWN_GOVERNMENT, sample_with
from webapp.archive.catalogue import COLUMNS
from webapp.archive.export import ExportOptions, export_year
from webapp.archive.models import ArchiveItem
from webapp.models import Document, GridNode
from webapp.services import documents
from webapp.services.documents import Subject


@pytest.fixture()
def docs(app):
    return app.extensions["firegrid.runtime"].documents


def _year_of_kinds(session, small_town, docs) -> dict[int, str]:
    """One document of each kind; document id → the 责任者 the archive must record."""
    town, village, other = small_town.town, small_town.village, small_town.other_village
    notice = documents.issue(
        session, docs, template_key="notice", prefix_key="town_notice", title="关于冬季防火的通知",
        context=sample_with(docs, "notice", signature="松林镇人民政府", issuer="松林镇党政办公室"),
        subject=Subject(town), user=None, now=at("2026-02-03T10:00"))
    minutes = documents.issue(
        session, docs, template_key="minutes", prefix_key="minutes_joint", title="联席会议纪要",
        context=sample_with(docs, "minutes", issuer="松林镇消防安全委员会办公室"), number_field="issue_no",
        subject=Subject(town), user=None, now=at("2026-03-03T10:00"))
    record = documents.create_record(
        session, docs, template_key="inspection_record", title="消防安全检查记录（丰收便利店）",
        context=sample_with(docs, "inspection_record"), subject=Subject(village), user=None, now=at("2026-04-03T10:00"))
    sheet = documents.create_record(
        session, docs, template_key="evaluation_sheet", title="年度消防安全工作考评表（柳岸社区）",
        context=sample_with(docs, "evaluation_sheet", assessed={"name": "柳岸社区居民委员会"}), subject=Subject(other),
        user=None, now=at("2026-05-03T10:00"))
    letter = documents.create_record(
        session, docs, template_key="responsibility_letter", title="消防安全目标责任书（松林村）",
        context=sample_with(docs, "responsibility_letter", party_a={"name": "松林镇人民政府", "signatory": ""}),
        subject=Subject(village), user=None, now=at("2026-06-03T10:00"))
    session.commit()
    return {notice.id: "松林镇人民政府", minutes.id: "松林镇消防安全委员会办公室", record.id: TOWN_GOVERNMENT,
            sheet.id: TOWN_GOVERNMENT, letter.id: "松林镇人民政府"}


def _export_metadata(session, docs, tmp_path: Path) -> tuple[dict[str, dict], list[tuple]]:
    out = tmp_path / "a.zip"
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    export_year(session, docs, town=town, year=2026, out=out, now=at("2026-12-31T16:00"),
                options=ExportOptions(pdf=False))
    session.commit()
    with zipfile.ZipFile(out) as archive:
        archive.extractall(tmp_path / "x")
    data = next((tmp_path / "x").iterdir()) / "data"
    metadata = {p.parent.name: json.loads(p.read_text(encoding="utf-8")) for p in data.glob("*/元数据.json")}
    rows = list(load_workbook(data / "归档文件目录.xlsx").active.iter_rows(values_only=True))[2:]
    return metadata, rows


@pytest.mark.parametrize("recorded_before", [False, True])
def test_every_archived_item_names_its_responsible_party(session, small_town, docs, tmp_path, recorded_before):
    expected = _year_of_kinds(session, small_town, docs)
    if recorded_before:  # records made before documents stored a 责任者 (a direct update: issued rows are frozen)
        session.execute(update(Document).values(issuing_organ=""))
        session.commit()
    metadata, rows = _export_metadata(session, docs, tmp_path)
    codes = {row.main_document_id: row.archive_code
             for row in session.execute(select(ArchiveItem.main_document_id, ArchiveItem.archive_code))}
    assert set(codes) == set(expected)
    for document_id, organ in expected.items():
        item = metadata[codes[document_id]]
        assert item["责任者"] == organ, (document_id, item["题名"])
        assert [d["责任者"] for d in item["组成文件"]] == [organ]
    column = COLUMNS.index("责任者")
    assert {row[1]: row[column] for row in rows} == {codes[i]: organ for i, organ in expected.items()}
