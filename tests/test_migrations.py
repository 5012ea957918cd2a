"""The schema comes from Alembic, and Alembic agrees with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import select, text

from webapp.config import PACKAGE_DIR
from webapp.extensions import db
from webapp.models import GridNode


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(PACKAGE_DIR / "migrations"))


def test_one_alembic_head():
    assert len(_script().get_heads()) == 1


def test_migrations_produce_the_models_schema(session):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_init_twice_keeps_rows(session, demo, app):
    before = session.scalar(select(db.func.count(GridNode.id)))
    upgrade()
    upgrade()
    assert session.scalar(select(db.func.count(GridNode.id))) == before == 14


def test_upgrade_from_the_first_revision_keeps_rows(session, demo):
    """Walk down to the first revision (data-bearing tables survive), then back up to head."""
    first = _script().get_base()
    units_before = session.execute(text("SELECT COUNT(*) FROM unit")).scalar()
    session.commit()
    from flask_migrate import downgrade

    downgrade(revision=first)
    upgrade()
    assert session.execute(text("SELECT COUNT(*) FROM unit")).scalar() == units_before == 60
