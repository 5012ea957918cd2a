"""检查要点 on checklist items; the 器材存放点 register (equipment points) of each town

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 12:00:00

Existing checklist items get an empty 检查要点; their names, bases and place types are kept as the
town's admin left them (the new default content applies to towns created from now on).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inspection_checklist_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guidance', sa.Text(), nullable=False, server_default=''))
    op.create_table('equipment_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('town_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('equipment', sa.Text(), nullable=False),
    sa.Column('keeper', sa.String(length=50), nullable=False),
    sa.Column('keeper_phone', sa.String(length=30), nullable=False),
    sa.Column('last_checked_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['grid_id'], ['grid_node.id'], name=op.f('fk_equipment_point_grid_id_grid_node')),
    sa.ForeignKeyConstraint(['town_id'], ['grid_node.id'], name=op.f('fk_equipment_point_town_id_grid_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment_point')),
    sa.UniqueConstraint('town_id', 'name', name='uq_equipment_point_town_name')
    )
    with op.batch_alter_table('equipment_point', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equipment_point_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_equipment_point_town_id'), ['town_id'], unique=False)


def downgrade():
    with op.batch_alter_table('equipment_point', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_equipment_point_town_id'))
        batch_op.drop_index(batch_op.f('ix_equipment_point_grid_id'))
    op.drop_table('equipment_point')
    with op.batch_alter_table('inspection_checklist_item', schema=None) as batch_op:
        batch_op.drop_column('guidance')
