"""Dashboards: inspections and patrols indexed by grid and day, so a town's figures read the town's rows only

Revision ID: 0043dash3
Revises: 0042campaign_basis
Create Date: 2026-12-04 22:15:00
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0043dash3'
down_revision = '0042campaign_basis'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_inspection_grid_inspected_at', 'inspection', ['grid_id', 'inspected_at'])
    op.create_index('ix_inspection_grid_referred_on', 'inspection', ['grid_id', 'referred_on'])
    op.create_index('ix_patrol_grid_patrolled_at', 'patrol', ['grid_id', 'patrolled_at'])
    # 逾期未整改: the hazards whose due date (their own, else the notice's) has passed
    op.create_index('ix_inspection_deadline', 'inspection', ['deadline'])
    op.create_index('ix_inspection_hazard_deadline', 'inspection_hazard', ['deadline'])


def downgrade():
    op.drop_index('ix_inspection_hazard_deadline', table_name='inspection_hazard')
    op.drop_index('ix_inspection_deadline', table_name='inspection')
    op.drop_index('ix_patrol_grid_patrolled_at', table_name='patrol')
    op.drop_index('ix_inspection_grid_referred_on', table_name='inspection')
    op.drop_index('ix_inspection_grid_inspected_at', table_name='inspection')
