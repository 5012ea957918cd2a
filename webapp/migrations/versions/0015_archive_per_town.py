"""the archive per town: each town is its own fonds (全宗) with its own settings, organ codes, retention rules,
档号 serials and export packages

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 08:50:00

Installs before this revision held one archive for the whole server. The settings row, organ codes and
retention rules go to the first town and are copied to every other town (whose 立档单位 is left empty:
it named the first town's body); each archive item goes to the town of its main document (the first town
when that document lies outside every town); each export to the town holding most of that year's items.
"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

SETTINGS_COLUMNS = ('fonds_code', 'category_code', 'code_pattern', 'default_organ_code', 'item_groups')
RULE_TABLES = {'archive_organ_code': ('organ', 'code'), 'archive_retention_rule': ('key', 'retention')}
TABLES = ('archive_settings', *RULE_TABLES, 'archive_item', 'archive_export')


def _towns(bind):
    towns = [tuple(row) for row in bind.execute(sa.text(
        "SELECT id, path FROM grid_node WHERE level = 'town' ORDER BY id"))]
    rows = sum(bind.execute(sa.text(f'SELECT COUNT(*) FROM {table}')).scalar() for table in TABLES)
    if rows and not towns:
        raise RuntimeError('archive settings, items or exports exist but no town: add the town first')
    return towns


def _add_town_column(table):
    with op.batch_alter_table(table) as batch_op:
        batch_op.add_column(sa.Column('town_id', sa.Integer(), nullable=True))


def _require_town(table, *, unique=False, index=False):
    with op.batch_alter_table(table) as batch_op:
        batch_op.alter_column('town_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(f'fk_{table}_town_id_grid_node', 'grid_node', ['town_id'], ['id'])
        if unique:
            batch_op.create_unique_constraint(f'uq_{table}_town_id', ['town_id'])
        if index:
            batch_op.create_index(f'ix_{table}_town_id', ['town_id'], unique=False)


def _settings_per_town(bind, towns):
    """The one settings row → the first town; a copy (立档单位 left empty) for every other town."""
    _add_town_column('archive_settings')
    row = bind.execute(sa.text('SELECT id FROM archive_settings ORDER BY id LIMIT 1')).scalar()
    if row is not None:
        bind.execute(sa.text('DELETE FROM archive_settings WHERE id <> :id'), {'id': row})
        bind.execute(sa.text('UPDATE archive_settings SET town_id = :town WHERE id = :id'),
                     {'town': towns[0][0], 'id': row})
        columns = ', '.join(SETTINGS_COLUMNS)
        for offset, (town, _path) in enumerate(towns[1:], start=1):
            bind.execute(sa.text(
                f"INSERT INTO archive_settings (id, town_id, source_organization, {columns}) "
                f"SELECT id + :offset, :town, '', {columns} FROM archive_settings WHERE id = :id"),
                {'offset': offset, 'town': town, 'id': row})
        if bind.dialect.name == 'postgresql':  # explicit ids leave the sequence behind
            bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('archive_settings', 'id'), "
                                 "(SELECT MAX(id) FROM archive_settings))"))
    _require_town('archive_settings', unique=True)


def _rules_per_town(bind, towns, sqlite):
    for table, (key, value) in RULE_TABLES.items():
        _add_town_column(table)
        if towns:
            bind.execute(sa.text(f'UPDATE {table} SET town_id = :town'), {'town': towns[0][0]})
        _require_town(table)
        with op.batch_alter_table(table, recreate='always' if sqlite else 'auto') as batch_op:
            batch_op.drop_constraint(f'pk_{table}', type_='primary')
            batch_op.create_primary_key(f'pk_{table}', ['town_id', key])
        for town, _path in towns[1:]:  # once the key holds the town, the copies fit
            bind.execute(sa.text(f'INSERT INTO {table} (town_id, {key}, {value}) '
                                 f'SELECT :town, {key}, {value} FROM {table} WHERE town_id = :first'),
                         {'town': town, 'first': towns[0][0]})


def _items_per_town(bind, towns):
    _add_town_column('archive_item')
    for town, path in towns:
        bind.execute(sa.text(
            'UPDATE archive_item SET town_id = :town WHERE town_id IS NULL AND main_document_id IN '
            '(SELECT d.id FROM document d JOIN grid_node g ON g.id = d.grid_id WHERE g.path LIKE :prefix)'),
            {'town': town, 'prefix': f'{path}%'})
    if towns:
        bind.execute(sa.text('UPDATE archive_item SET town_id = :town WHERE town_id IS NULL'),
                     {'town': towns[0][0]})
    with _item_documents_aside(bind):
        _require_town('archive_item', index=True)
        with op.batch_alter_table('archive_item') as batch_op:
            batch_op.drop_constraint('uq_archive_item_archive_code', type_='unique')
            batch_op.drop_constraint('uq_archive_item_class_serial', type_='unique')
            batch_op.create_unique_constraint('uq_archive_item_town_class_serial',
                                              ['town_id', 'year', 'retention', 'organ_code', 'serial'])
            batch_op.create_unique_constraint('uq_archive_item_town_archive_code', ['town_id', 'archive_code'])


def _exports_per_town(bind, towns):
    _add_town_column('archive_export')
    exports = list(bind.execute(sa.text('SELECT id, year FROM archive_export')))
    for export_id, year in exports:
        town = bind.execute(sa.text(
            'SELECT town_id FROM archive_item WHERE year = :year GROUP BY town_id '
            'ORDER BY COUNT(*) DESC, town_id LIMIT 1'), {'year': year}).scalar() or towns[0][0]
        bind.execute(sa.text('UPDATE archive_export SET town_id = :town WHERE id = :id'),
                     {'town': town, 'id': export_id})
    _require_town('archive_export', index=True)


@contextmanager
def _item_documents_aside(bind):
    """SQLite alters a table by rebuilding it, and dropping the old archive_item would break the rows of
    archive_item_document that point at it (foreign keys are on, and cannot be turned off inside the
    migration's transaction): those rows wait in a side table meanwhile. PostgreSQL alters in place."""
    if bind.dialect.name != 'sqlite':
        yield
        return
    bind.execute(sa.text('CREATE TABLE _keep_archive_item_document AS SELECT document_id, item_id, position '
                         'FROM archive_item_document'))
    bind.execute(sa.text('DELETE FROM archive_item_document'))
    yield
    bind.execute(sa.text('INSERT INTO archive_item_document (document_id, item_id, position) '
                         'SELECT document_id, item_id, position FROM _keep_archive_item_document'))
    bind.execute(sa.text('DROP TABLE _keep_archive_item_document'))


def upgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    towns = _towns(bind)
    _settings_per_town(bind, towns)
    _rules_per_town(bind, towns, sqlite)
    _items_per_town(bind, towns)
    _exports_per_town(bind, towns)


def _drop_town(table, *, unique=False, index=False):
    with op.batch_alter_table(table) as batch_op:
        if index:
            batch_op.drop_index(f'ix_{table}_town_id')
        if unique:
            batch_op.drop_constraint(f'uq_{table}_town_id', type_='unique')
        batch_op.drop_constraint(f'fk_{table}_town_id_grid_node', type_='foreignkey')
        batch_op.drop_column('town_id')


def downgrade():
    """Back to one archive: the first town's settings and rules are kept; items and exports of every town stay
    (this fails if two towns' items share a 档号 or a class serial, which one server-wide fonds cannot hold)."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    first = bind.execute(sa.text('SELECT MIN(town_id) FROM archive_settings')).scalar()
    bind.execute(sa.text('DELETE FROM archive_settings WHERE town_id <> :first'), {'first': first})
    bind.execute(sa.text('UPDATE archive_settings SET id = 1'))  # the one row the earlier code reads
    for table in RULE_TABLES:
        first_rule = bind.execute(sa.text(f'SELECT MIN(town_id) FROM {table}')).scalar()
        bind.execute(sa.text(f'DELETE FROM {table} WHERE town_id <> :first'), {'first': first or first_rule})
    _drop_town('archive_export', index=True)
    with _item_documents_aside(bind):
        with op.batch_alter_table('archive_item') as batch_op:
            batch_op.drop_constraint('uq_archive_item_town_archive_code', type_='unique')
            batch_op.drop_constraint('uq_archive_item_town_class_serial', type_='unique')
            batch_op.create_unique_constraint('uq_archive_item_class_serial',
                                              ['year', 'retention', 'organ_code', 'serial'])
            batch_op.create_unique_constraint('uq_archive_item_archive_code', ['archive_code'])
        _drop_town('archive_item', index=True)
    for table, (key, _value) in RULE_TABLES.items():
        with op.batch_alter_table(table, recreate='always' if sqlite else 'auto') as batch_op:
            batch_op.drop_constraint(f'pk_{table}', type_='primary')
            batch_op.create_primary_key(f'pk_{table}', [key])
        _drop_town(table)
    _drop_town('archive_settings', unique=True)
