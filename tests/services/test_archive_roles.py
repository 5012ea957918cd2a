"""Every attachment role that can be declared reaches the archive package (issue 14: KeyError 'receipt')."""

from __future__ import annotations

import json

import bagit

from tests.conftest import tiny_pdf
from tests.services.test_archive_export import _export, _unzip, at, build_year
from webapp.archive.models import ArchiveItem
from webapp.models import AttachmentRole, Document
from webapp.services import documents


def test_one_file_of_every_declared_role_is_exported(session, small_town, app, tmp_path):
    docs = app.extensions["firegrid.runtime"].documents
    year = build_year(session, app)
    record = session.get(Document, year.record_id)
    content = tiny_pdf()
    expected = {}
    for number, role in enumerate(AttachmentRole):  # iterates the declaration: a new role is covered at once
        name = f"{role.label}{number}.pdf"
        # Distinct bytes per role, so each is stored (and packed) as its own file.
        documents.attach(session, docs, record, content=content + f"%{role.value}\n".encode(), name=name,
                         media_type=documents.PDF, role=role, now=at("2026-06-02T10:00"))
        expected[role.label] = name
    session.commit()

    result, path = _export(session, docs, tmp_path, pdf=False)
    bag_dir = _unzip(path, tmp_path / "bag")
    bagit.Bag(str(bag_dir)).validate()
    code = session.query(ArchiveItem.archive_code).filter_by(main_document_id=year.record_id).scalar()
    folder = bag_dir / "data" / code
    files = json.loads((folder / "元数据.json").read_text(encoding="utf-8"))["电子文件"]
    by_use = {f["用途"]: f["计算机文件名"] for f in files}
    for label, name in expected.items():
        assert by_use[label].endswith(name), (label, by_use)
        assert (folder / by_use[label]).read_bytes().startswith(b"%PDF-")
    assert result.passed, result.report
