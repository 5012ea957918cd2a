"""Report layouts (统计表样式): an admin's Excel layout of the reports upward, each column mapped to a measure

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-04 18:00:00

A new table only; nothing existing changes.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'report_layout',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('grid_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('first_heading', sa.String(length=50), nullable=False),
        sa.Column('columns', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['grid_id'], ['grid_node.id'], name='fk_report_layout_grid_id_grid_node'),
        sa.PrimaryKeyConstraint('id', name='pk_report_layout'),
        sa.UniqueConstraint('grid_id', 'name', name='uq_report_layout_grid_name'),
    )
    with op.batch_alter_table('report_layout') as batch_op:
        batch_op.create_index('ix_report_layout_grid_id', ['grid_id'], unique=False)


def downgrade():
    with op.batch_alter_table('report_layout') as batch_op:
        batch_op.drop_index('ix_report_layout_grid_id')
    op.drop_table('report_layout')
