"""the inspection checklist per town: each town's admin keeps their own 检查项目

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 09:00:00

Installs before this revision held one checklist for the server. Its items go to the first town (so the
inspections that name them keep their legal basis) and are copied, as new items, to every other town.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

TABLE = 'inspection_checklist_item'
COPIED = 'name, legal_basis, categories, sort_order, is_active'


def upgrade():
    bind = op.get_bind()
    towns = list(bind.execute(sa.text("SELECT id FROM grid_node WHERE level = 'town' ORDER BY id")).scalars())
    rows = bind.execute(sa.text(f'SELECT COUNT(*) FROM {TABLE}')).scalar()
    if rows and not towns:
        raise RuntimeError('checklist items exist but no town: add the town first')
    with op.batch_alter_table(TABLE) as batch_op:
        batch_op.add_column(sa.Column('town_id', sa.Integer(), nullable=True))
    if towns:
        bind.execute(sa.text(f'UPDATE {TABLE} SET town_id = :town'), {'town': towns[0]})
    with op.batch_alter_table(TABLE) as batch_op:
        batch_op.alter_column('town_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(f'fk_{TABLE}_town_id_grid_node', 'grid_node', ['town_id'], ['id'])
        batch_op.create_index(f'ix_{TABLE}_town_id', ['town_id'], unique=False)
        batch_op.drop_constraint(f'uq_{TABLE}_name', type_='unique')
        batch_op.create_unique_constraint(f'uq_{TABLE}_town_name', ['town_id', 'name'])
    for town in towns[1:]:
        bind.execute(sa.text(f'INSERT INTO {TABLE} (town_id, {COPIED}) '
                             f'SELECT :town, {COPIED} FROM {TABLE} WHERE town_id = :first ORDER BY id'),
                     {'town': town, 'first': towns[0]})


def downgrade():
    """Back to one checklist: the first town's items are kept."""
    bind = op.get_bind()
    bind.execute(sa.text(f'DELETE FROM {TABLE} WHERE town_id <> (SELECT MIN(town_id) FROM {TABLE})'))
    with op.batch_alter_table(TABLE) as batch_op:
        batch_op.drop_constraint(f'uq_{TABLE}_town_name', type_='unique')
        batch_op.create_unique_constraint(f'uq_{TABLE}_name', ['name'])
        batch_op.drop_index(f'ix_{TABLE}_town_id')
        batch_op.drop_constraint(f'fk_{TABLE}_town_id_grid_node', type_='foreignkey')
        batch_op.drop_column('town_id')
