"""The demo history's year exercises every attachment role and every document kind, and exports (issue 14)."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime

import bagit
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from webapp.archive.export import ExportOptions, export_year
from webapp.clock import TZ
from webapp.demo import history as demo_history
from webapp.models import AttachmentRole, Document, DocumentAttachment, GridNode


@pytest.mark.slow
def test_demo_year_files_every_role_and_kind_and_exports(app, session, demo, tmp_path):
    runtime, clock = app.extensions["firegrid.runtime"], app.extensions["firegrid.clock"]
    assert demo_history.play(session, runtime, clock, datetime(2026, 12, 20, 10, tzinfo=TZ))
    roles = set(session.scalars(select(DocumentAttachment.role)))
    assert roles == {r.value for r in AttachmentRole}, roles  # every declared role is uploaded by some step
    kinds = set(session.scalars(select(Document.template_key)))
    # Every template, the results 通报 included. Made on request for their reader and never stored as issued
    # documents: the 一户一档 summary, a 专项行动's 总结报告 and the 台账汇编's cover and contents. The 督办单 is
    # made when a leader issues a 督办事项, which the demo year leaves to the visitor (tests/web/test_supervision.py).
    on_request = {"unit_file", "campaign_report", "ledger_binder_contents", "supervision_sheet"}
    assert kinds == set(runtime.documents.library) - on_request, kinds
    for attachment in session.scalars(select(DocumentAttachment).where(DocumentAttachment.role.in_(
            [AttachmentRole.RECEIPT, AttachmentRole.FEEDBACK, AttachmentRole.SCAN])).limit(3)):
        assert PdfReader(runtime.documents.store.path(attachment.file_sha256)).pages  # real, openable scans

    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    result = export_year(session, runtime.documents, town=town, year=2026, out=tmp_path / "year.zip",
                         now=datetime(2026, 12, 31, 16, tzinfo=TZ), options=ExportOptions(pdf=False))
    session.commit()
    with zipfile.ZipFile(result.path) as archive:
        archive.extractall(tmp_path / "bag")
    bag_dir = next((tmp_path / "bag").iterdir())
    bagit.Bag(str(bag_dir)).validate()
    uses, titles = set(), []
    for metadata_path in (bag_dir / "data").glob("*/元数据.json"):
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        uses |= {f["用途"] for f in metadata["电子文件"]}
        titles.append(metadata["题名"])
    assert {r.label for r in AttachmentRole} <= uses, uses
    assert any("考评结果" in t and "通报" in t for t in titles), titles
    assert result.passed, result.report
