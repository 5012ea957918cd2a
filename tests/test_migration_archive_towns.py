"""Migration 0015: the one server-wide archive of an install at revision 0014 becomes one fonds per town,
without losing a setting, an item or an export (SQLite and, with FIREGRID_TEST_DATABASE_URL, PostgreSQL)."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import JSON, bindparam, select, text

from tests import factories
from tests.services.test_archive_export import at, catalogue_codes
from webapp.archive import codes as archive_codes
from webapp.archive.export import ExportOptions, export_year
from webapp.archive.models import ArchiveExport, ArchiveItem, ArchiveSettings, OrganCode, RetentionRule
from webapp.models import Document, GridNode, User
from webapp.models.types import AwareDateTime
from webapp.procedures.inspection.models import ChecklistItem
from webapp.services import documents
from webapp.services.documents import Subject

PREVIOUS_HEAD = "0014"
AT = at("2026-12-31T16:00")


def _issue(session, docs, town, clerk, month: int, title: str) -> int:
    return documents.issue(session, docs, template_key="notice", context=docs.library.spec("notice").sample,
                           title=title, prefix_key="town_notice", subject=Subject(town), user=clerk,
                           now=at(f"2026-0{month}-08T10:00")).id


def _old_archive(session, doc_a: list[int], doc_b: int) -> None:
    """What the previous head held: one settings row (id 1), global rules, items and an export with no town."""
    run = session.execute
    run(text("INSERT INTO archive_settings (id, fonds_code, source_organization, category_code, code_pattern, "
             "default_organ_code, item_groups) VALUES (1, 'Z077', '松林镇人民政府', 'WS', :pattern, 'BGS', :groups)")
        .bindparams(bindparam("groups", type_=JSON())),
        {"pattern": archive_codes.DEFAULT_CODE_PATTERN, "groups": [["rectification_notice", "reinspection_opinion"]]})
    run(text("INSERT INTO archive_organ_code (organ, code) VALUES ('松林镇人民政府', 'QSF')"))
    run(text("INSERT INTO archive_retention_rule (key, retention) VALUES ('notice', 'D10')"))
    for serial, document_id in enumerate([*doc_a, doc_b], start=1):
        code = f"Z077-WS·2026-D30-BGS-{serial:04d}"
        run(text("INSERT INTO archive_item (year, retention, organ_code, serial, archive_code, main_document_id, "
                 "assigned_at) VALUES (2026, 'D30', 'BGS', :serial, :code, :doc, :at)")
            .bindparams(bindparam("at", type_=AwareDateTime())),
            {"serial": serial, "code": code, "doc": document_id, "at": AT})
        item_id = run(text("SELECT id FROM archive_item WHERE archive_code = :code"), {"code": code}).scalar()
        run(text("INSERT INTO archive_item_document (document_id, item_id, position) VALUES (:doc, :id, 0)"),
            {"doc": document_id, "id": item_id})
    run(text("INSERT INTO archive_export (year, status, filename, item_count, size, sha256, passed, message, "
             "filters, created_at) VALUES (2026, 'done', '00001_Z077-WS-2026.zip', 3, 10, '', :passed, '', "
             ":filters, :at)").bindparams(bindparam("at", type_=AwareDateTime()),
                                          bindparam("filters", type_=JSON())),
        {"passed": True, "filters": {}, "at": AT})
    session.commit()


def test_the_one_archive_moves_into_the_towns_without_loss(app, session, small_town):
    docs = app.extensions["firegrid.runtime"].documents
    town_a = small_town.town
    town_b = factories.town(session, "柏树镇", region=town_a.parent)
    clerk_b = factories.user(session, "clerk_b", "clerk", scope=town_b)
    doc_a = [_issue(session, docs, town_a, small_town.users["clerk"], m, f"松林通知{m}") for m in (2, 3)]
    doc_b = _issue(session, docs, town_b, clerk_b, 4, "柏树通知")
    session.commit()
    a_id, b_id = town_a.id, town_b.id
    session.close()

    downgrade(revision=PREVIOUS_HEAD)
    _old_archive(session, doc_a, doc_b)
    upgrade()
    session.expire_all()

    settings = {s.town_id: s for s in session.scalars(select(ArchiveSettings))}
    assert set(settings) == {a_id, b_id}
    assert (settings[a_id].fonds_code, settings[a_id].source_organization) == ("Z077", "松林镇人民政府")
    assert (settings[b_id].fonds_code, settings[b_id].source_organization) == ("Z077", "")  # not town A's name
    assert settings[b_id].item_groups == [["rectification_notice", "reinspection_opinion"],  # + 0036's:
                                          ["notice", "issuing_sheet"], ["notice_upward", "issuing_sheet"],
                                          ["bulletin", "issuing_sheet"]]
    assert {(o.town_id, o.organ, o.code) for o in session.scalars(select(OrganCode))} == {
        (a_id, "松林镇人民政府", "QSF"), (b_id, "松林镇人民政府", "QSF")}
    assert {(r.town_id, r.key) for r in session.scalars(select(RetentionRule))} == {(a_id, "notice"), (b_id, "notice")}
    items = {i.main_document_id: (i.town_id, i.archive_code) for i in session.scalars(select(ArchiveItem))}
    assert items == {doc_a[0]: (a_id, "Z077-WS·2026-D30-BGS-0001"), doc_a[1]: (a_id, "Z077-WS·2026-D30-BGS-0002"),
                     doc_b: (b_id, "Z077-WS·2026-D30-BGS-0003")}
    [export] = session.scalars(select(ArchiveExport))
    assert export.town_id == a_id and export.filename == "00001_Z077-WS-2026.zip"  # the town with most items

    # The archive works on the migrated data: codes kept, town B's next 件号 follows its own, a new settings row
    # gets the next id (PostgreSQL's sequence was moved past the copied rows).
    town_a, town_b = session.get(GridNode, a_id), session.get(GridNode, b_id)
    clerk_b = session.scalar(select(User).where(User.username == "clerk_b"))
    _issue(session, docs, town_b, clerk_b, 5, "柏树通知二")
    session.commit()
    result = export_year(session, docs, town=town_b, year=2026, out=app.config["DATA_DIR"] / "migrated-b.zip",
                         now=AT, options=ExportOptions(pdf=False))
    # the migrated retention rule (notice → D10) holds in town B; its first D10 item is its 0001
    codes = catalogue_codes(result.path)
    assert codes == ["Z077-WS·2026-D30-BGS-0003", "Z077-WS·2026-D10-BGS-0001"], codes
    town_c = factories.town(session, "杉木镇", region=town_a.parent)
    assert archive_codes.settings(session, town_c).id > max(s.id for s in settings.values())
    session.commit()
    assert session.scalar(select(Document.id).where(Document.id == doc_b)) == doc_b


def test_the_one_checklist_moves_to_the_first_town_and_is_copied_to_the_others(app, session, small_town):
    town_a = small_town.town
    town_b = factories.town(session, "柏树镇", region=town_a.parent)
    a_id, b_id = town_a.id, town_b.id
    session.commit()
    session.close()

    downgrade(revision="0015")
    session.execute(text("DELETE FROM inspection_checklist_item"))  # the old install's checklist: these two
    for order, name in enumerate(("安全出口", "自定义项目")):
        session.execute(text("INSERT INTO inspection_checklist_item (name, legal_basis, categories, sort_order, "
                             "is_active) VALUES (:name, '消防法', :categories, :order, :active)")
                        .bindparams(bindparam("categories", type_=JSON())),
                        {"name": name, "categories": ["small_shop"], "order": order, "active": True})
    old_ids = set(session.execute(text("SELECT id FROM inspection_checklist_item")).scalars())
    session.commit()
    upgrade()

    rows = {(i.town_id, i.name): i for i in session.scalars(select(ChecklistItem))}
    assert set(rows) == {(a_id, "安全出口"), (a_id, "自定义项目"), (b_id, "安全出口"), (b_id, "自定义项目")}
    assert {rows[(a_id, n)].id for n in ("安全出口", "自定义项目")} == old_ids  # recorded inspections keep theirs
    assert rows[(b_id, "自定义项目")].categories == ["small_shop"] and rows[(b_id, "自定义项目")].sort_order == 1
