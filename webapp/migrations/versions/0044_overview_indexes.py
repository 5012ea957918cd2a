"""County overview: its counts read from indexes alone (units by id with grid and creation time; the month's
inspections and patrols with their grid and unit), and each hazard keeps its inspection's grid, so that
uncorrected hazards are counted by (status, grid) without joining every inspection

Revision ID: 0044ovw4
Revises: 0043dash3
Create Date: 2026-12-04 23:30:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0044ovw4'
down_revision = '0043dash3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_unit_id_grid_created', 'unit', ['id', 'grid_id', 'created_at'])
    op.create_index('ix_inspection_inspected_at_grid_unit', 'inspection', ['inspected_at', 'grid_id', 'unit_id'])
    op.create_index('ix_patrol_patrolled_at_unit', 'patrol', ['patrolled_at', 'unit_id'])
    with op.batch_alter_table('inspection_hazard', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grid_id', sa.Integer(), nullable=True))
    op.execute("UPDATE inspection_hazard SET grid_id = (SELECT i.grid_id FROM inspection i "
               "WHERE i.id = inspection_hazard.inspection_id)")
    with op.batch_alter_table('inspection_hazard', schema=None) as batch_op:
        batch_op.alter_column('grid_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_inspection_hazard_grid_id_grid_node'), 'grid_node', ['grid_id'],
                                    ['id'])
        batch_op.create_index('ix_inspection_hazard_status_grid', ['status', 'grid_id'], unique=False)


def downgrade():
    with op.batch_alter_table('inspection_hazard', schema=None) as batch_op:
        batch_op.drop_index('ix_inspection_hazard_status_grid')
        batch_op.drop_constraint(batch_op.f('fk_inspection_hazard_grid_id_grid_node'), type_='foreignkey')
        batch_op.drop_column('grid_id')
    op.drop_index('ix_patrol_patrolled_at_unit', table_name='patrol')
    op.drop_index('ix_inspection_inspected_at_grid_unit', table_name='inspection')
    op.drop_index('ix_unit_id_grid_created', table_name='unit')
