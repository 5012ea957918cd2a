"""Issue 16 (archive metadata): every rendered DOCX carries its own core properties, and every document
records its 责任者 (the organ its data names, else the government of its town)."""

from __future__ import annotations

import copy
import io
import zipfile
from datetime import datetime

import docx
import pytest

from webapp.clock import TZ
from webapp.models import Document
from webapp.services import documents
from webapp.services.documents import Subject

NOW = datetime(2026, 5, 8, 10, 30, tzinfo=TZ)
TOWN_GOVERNMENT = "示例区松林镇人民政府"  # the factories' town under its region


@pytest.fixture()
def docs(app):
    return app.extensions["firegrid.runtime"].documents


def sample_with(docs, key: str, **changes) -> dict:
    """A template's sample data with some fields changed."""
    context = copy.deepcopy(docs.library.spec(key).sample)
    context.update(changes)
    return context


def _package(data: bytes) -> tuple[docx.opc.coreprops.CoreProperties, zipfile.ZipFile]:
    return docx.Document(io.BytesIO(data)).core_properties, zipfile.ZipFile(io.BytesIO(data))


def _assert_no_template_leftovers(data: bytes) -> None:
    core, package = _package(data)
    assert core.last_modified_by == "Firegrid" and core.revision == 1
    assert core.comments == "" and "python-docx" not in package.read("docProps/core.xml").decode()
    app_xml = package.read("docProps/app.xml").decode()
    assert "<Application>Firegrid</Application>" in app_xml and "Macintosh" not in app_xml
    assert "Normal.dotm" not in app_xml
    assert not [n for n in package.namelist() if "thumbnail" in n]
    assert "thumbnail" not in package.read("_rels/.rels").decode()


def test_issued_notice_carries_organ_title_number_and_issue_time(session, small_town, docs):
    title = "关于开展冬季防火检查的通知"
    context = sample_with(docs, "notice", title=title, signature="松林镇人民政府", issuer="松林镇党政办公室")
    document = documents.issue(session, docs, template_key="notice", context=context, title=title,
                               prefix_key="town_notice", subject=Subject(small_town.town), user=None, now=NOW)
    data = docs.store.read(document.file_sha256)
    core, _ = _package(data)
    assert (core.title, core.author, core.category) == (title, "松林镇人民政府", "通知")
    assert core.identifier == document.number
    assert core.created == NOW and core.modified == NOW
    assert document.issuing_organ == "松林镇人民政府"  # the 发文机关 that signs, not the 印发机关
    _assert_no_template_leftovers(data)


@pytest.mark.parametrize(("key", "grid", "changes", "organ"), [
    ("inspection_record", "village", {}, TOWN_GOVERNMENT),  # no organ in the data: the town's government
    ("evaluation_sheet", "other_village", {}, TOWN_GOVERNMENT),
    ("responsibility_letter", "village", {"party_a": {"name": "松林镇人民政府", "signatory": ""}}, "松林镇人民政府"),
])
def test_records_get_their_responsible_party_from_data_or_town(session, small_town, docs, key, grid, changes, organ):
    title = f"记录（{key}）"
    document = documents.create_record(session, docs, template_key=key, context=sample_with(docs, key, **changes),
                                       title=title, subject=Subject(getattr(small_town, grid)), user=None, now=NOW)
    assert document.issuing_organ == organ
    core, _ = _package(docs.store.read(document.file_sha256))
    assert (core.title, core.author, core.created) == (title, organ, NOW)


def test_a_preview_render_takes_title_organ_and_date_from_its_data(docs):
    context = sample_with(docs, "rectification_notice", signature="松林镇人民政府", date="2026-05-07")
    data = docs.renderer.render("rectification_notice", context)
    core, _ = _package(data)
    assert (core.author, core.created) == ("松林镇人民政府", datetime(2026, 5, 7, tzinfo=TZ))
    assert core.title == context["title"]
    assert docs.renderer.render("rectification_notice", context) == data  # same data, same bytes (preview cache)
    _assert_no_template_leftovers(data)


def test_every_template_renders_without_leftover_properties(docs):
    for key in docs.library:
        data = docs.renderer.render_sample(key)
        core, _ = _package(data)
        assert core.created.year >= 2026, key
        _assert_no_template_leftovers(data)


def test_correction_keeps_the_organ_and_number(session, small_town, docs):
    title = "关于开展冬季防火检查的通知"
    context = sample_with(docs, "notice", title=title, signature="松林镇人民政府")
    first = documents.issue(session, docs, template_key="notice", context=context, title=title,
                            prefix_key="town_notice", subject=Subject(small_town.town), user=None, now=NOW)
    later = datetime(2026, 5, 9, 9, 0, tzinfo=TZ)
    second: Document = documents.correct(session, docs, first, context=context, user=None, now=later)
    core, _ = _package(docs.store.read(second.file_sha256))
    assert (core.author, core.identifier, core.created) == ("松林镇人民政府", first.number, later)
