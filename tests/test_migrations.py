"""The schema comes from Alembic, and Alembic agrees with the models."""

from __future__ import annotations

import json

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text

from webapp import create_app
from webapp.config import PACKAGE_DIR
from webapp.demo import organisation as demo_service
from webapp.extensions import db
from webapp.models import GridNode
from webapp.models.grid import UNIT_CODE_ALPHABET, UNIT_CODE_LENGTH


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(PACKAGE_DIR / "migrations"))


def test_one_alembic_head():
    assert len(_script().get_heads()) == 1


def test_migrations_alone_produce_the_models_schema(tmp_path, app):
    """A database built by migrations only, never by create_all, matches the models exactly."""
    fresh = create_app({"DATA_DIR": tmp_path, "SECRET_KEY": "x", "CHECK_WORKFLOWS": False,
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrated.db'}"})
    with fresh.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []


def test_init_twice_keeps_rows(session, demo, app):
    before = session.scalar(select(db.func.count(GridNode.id)))
    upgrade()
    upgrade()
    # the region, 青石镇 with 3 villages and 9 small grids, 柳塘镇 with 2 villages and 3 small grids
    assert session.scalar(select(db.func.count(GridNode.id))) == before == 20


def test_upgrade_from_the_first_revision_keeps_rows(session, app):
    """Walk down to the first revision (its data-bearing tables survive), then back up to head. The early
    revisions know one town only, so the demo town alone (a county's second town cannot go down)."""
    demo_service.load_demo(session, now=app.extensions["firegrid.clock"].now(), county=False)
    session.commit()
    first = _script().get_base()
    units_before = session.execute(text("SELECT COUNT(*) FROM unit")).scalar()
    session.commit()
    downgrade(revision=first)
    upgrade()
    assert session.execute(text("SELECT COUNT(*) FROM unit")).scalar() == units_before == 60


def test_unit_codes_migration_gives_existing_units_distinct_codes(session, small_town):
    """0017 on a database whose units had no code: each gets one of eight unambiguous characters, all
    different; going down drops them and the card settings."""
    session.commit()
    downgrade(revision="0016")
    assert "code" not in {c["name"] for c in sa_inspect(db.engine).get_columns("unit")}
    upgrade()
    codes = list(session.execute(text("SELECT code FROM unit")).scalars())
    session.commit()
    assert len(codes) == len(set(codes)) == 4
    assert all(len(code) == UNIT_CODE_LENGTH and set(code) <= set(UNIT_CODE_ALPHABET) for code in codes)
    assert "unit_card_settings" in sa_inspect(db.engine).get_table_names()


def test_incoming_migration_gives_existing_towns_their_series(session, small_town):
    """A town set up before 收文 gets its 收文编号 series from its 镇政府 下行文 prefix (松林府发 → 松林收)."""
    session.commit()
    downgrade(revision="0025")
    assert session.execute(text("SELECT COUNT(*) FROM number_prefix WHERE key = 'incoming'")).scalar() == 0
    session.commit()
    upgrade()
    row = session.execute(text("SELECT organ, prefix, grammar FROM number_prefix WHERE key = 'incoming'")).one()
    assert tuple(row) == ("松林镇人民政府", "松林收", "di")


def test_delivery_migration_files_existing_towns_sheets_with_their_notices(session, small_town):
    """0036: an existing town's 组件规则 gain the notice + 发文稿纸 groups and keep their own; going down
    removes exactly those groups, the receipt table and the alerts' receipt column."""
    from webapp.archive import codes

    codes.create_settings(session, small_town.town).item_groups = [["rectification_notice", "reinspection_opinion"],
                                                                   ["minutes", "attendance"]]
    session.commit()
    downgrade(revision="0035")
    assert "document_receipt" not in sa_inspect(db.engine).get_table_names()
    assert "receipt_id" not in {c["name"] for c in sa_inspect(db.engine).get_columns("alert")}
    upgrade()
    groups = _item_groups(session)
    assert groups == [["rectification_notice", "reinspection_opinion"], ["minutes", "attendance"],
                      ["notice", "issuing_sheet"], ["notice_upward", "issuing_sheet"], ["bulletin", "issuing_sheet"]]
    downgrade(revision="0035")
    assert _item_groups(session) == [["rectification_notice", "reinspection_opinion"], ["minutes", "attendance"]]
    upgrade()


def _item_groups(session) -> list:  # noqa: ANN001
    value = session.execute(text("SELECT item_groups FROM archive_settings")).scalar()
    session.commit()
    return value if isinstance(value, list) else json.loads(value)


def test_receipt_desks_migration_keeps_receipts_and_the_alerts_that_open_them(app, session, small_town):
    """0039desks rebuilds document_receipt on SQLite for its new unique key: the village receipts and the
    alerts pointing at them survive going down and up (dropping the old table would cascade to the alerts)."""
    from datetime import datetime

    from webapp.clock import TZ
    from webapp.models import Alert, Document, DocumentReceipt

    now = datetime(2026, 3, 5, 9, tzinfo=TZ)
    stored = app.extensions["firegrid.runtime"].documents.store.put(session, b"notice", "application/octet-stream", now)
    document = Document(template_key="notice", kind="通知", title="通知", status="issued", file_sha256=stored.sha256,
                        filename="通知.docx", grid=small_town.town, created_at=now)
    receipt = DocumentReceipt(document=document, recipient=small_town.village, recipient_name="松林村",
                              delivered_at=now)
    session.add_all([document, receipt])
    session.flush()
    session.add(Alert(recipient=small_town.users["village_clerk"], kind="receipt", title="待签收：通知", created_at=now,
                      receipt_id=receipt.id))
    session.commit()
    downgrade(revision="0038photojob")
    upgrade()
    rows = session.execute(text("SELECT r.recipient_name, r.desk FROM alert a "
                                "JOIN document_receipt r ON r.id = a.receipt_id")).all()
    session.commit()
    assert [tuple(row) for row in rows] == [("松林村", "")]
