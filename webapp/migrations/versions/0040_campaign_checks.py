"""How each inspection tagged to a 专项行动 found the campaign's own checklist items

Revision ID: 0040campaign_checks
Revises: 0039desks
Create Date: 2026-12-04 20:50:00

Additive: a new table. A campaign's checklist (JSON) now holds {"name", "legal_basis"} items; the plain strings
of campaigns saved before are read as items without a basis, so no data changes.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0040campaign_checks'
down_revision = '0039desks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'inspection_campaign_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('inspection_id', sa.Integer(), nullable=False),
        sa.Column('item_name', sa.String(length=100), nullable=False),
        sa.Column('result', sa.String(length=10), nullable=False),
        sa.Column('hazard_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'],
                                name=op.f('fk_inspection_campaign_check_inspection_id_inspection'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['hazard_id'], ['inspection_hazard.id'],
                                name=op.f('fk_inspection_campaign_check_hazard_id_inspection_hazard'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_campaign_check')),
    )
    op.create_index(op.f('ix_inspection_campaign_check_inspection_id'), 'inspection_campaign_check',
                    ['inspection_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_inspection_campaign_check_inspection_id'), table_name='inspection_campaign_check')
    op.drop_table('inspection_campaign_check')
