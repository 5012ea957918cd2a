"""County overview: the coverage and inspection counts read from indexes alone (units by id with grid and
creation time; the month's inspections and patrols with their grid and unit)

Revision ID: 0044ovw4
Revises: 0043dash3
Create Date: 2026-12-04 23:30:00
"""
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


def downgrade():
    op.drop_index('ix_patrol_patrolled_at_unit', table_name='patrol')
    op.drop_index('ix_inspection_inspected_at_grid_unit', table_name='inspection')
    op.drop_index('ix_unit_id_grid_created', table_name='unit')
