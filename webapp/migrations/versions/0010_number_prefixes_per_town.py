"""number prefixes, counters and the number ledger per town (a county server numbers each town apart)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 03:20:00

Installs before this revision held one town (prefixes were global): every existing prefix, counter and
issued number belongs to the first town.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TABLES = ('number_prefix', 'number_sequence', 'issued_number')
OLD_KEYS = {'number_prefix': ['key'], 'number_sequence': ['prefix', 'year']}


def _first_town(bind):
    town = bind.execute(sa.text("SELECT id FROM grid_node WHERE level = 'town' ORDER BY id LIMIT 1")).scalar()
    rows = sum(bind.execute(sa.text(f'SELECT COUNT(*) FROM {table}')).scalar() for table in TABLES)
    if rows and town is None:
        raise RuntimeError('number prefixes or numbers exist but no town: add the town first')
    return town


def _set_primary_key(table, columns, sqlite):
    with op.batch_alter_table(table, recreate='always' if sqlite else 'auto') as batch_op:
        batch_op.drop_constraint(f'pk_{table}', type_='primary')
        batch_op.create_primary_key(f'pk_{table}', columns)


def upgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    town = _first_town(bind)
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('town_id', sa.Integer(), nullable=True))
        bind.execute(sa.text(f'UPDATE {table} SET town_id = :town'), {'town': town})
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column('town_id', existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(f'fk_{table}_town_id_grid_node', 'grid_node', ['town_id'], ['id'])
    for table, columns in OLD_KEYS.items():
        _set_primary_key(table, ['town_id', *columns], sqlite)
    with op.batch_alter_table('issued_number') as batch_op:
        batch_op.drop_constraint('uq_issued_number_prefix_year_serial', type_='unique')
        batch_op.create_unique_constraint('uq_issued_number_town_prefix_year_serial',
                                          ['town_id', 'prefix', 'year', 'serial'])


def downgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    with op.batch_alter_table('issued_number') as batch_op:
        batch_op.drop_constraint('uq_issued_number_town_prefix_year_serial', type_='unique')
        batch_op.create_unique_constraint('uq_issued_number_prefix_year_serial', ['prefix', 'year', 'serial'])
    for table, columns in OLD_KEYS.items():
        _set_primary_key(table, columns, sqlite)
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_town_id_grid_node', type_='foreignkey')
            batch_op.drop_column('town_id')
