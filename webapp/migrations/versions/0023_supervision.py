"""督办: each town's number of working days overdue after which a task is escalated to its leaders

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 16:10:00

Towns with reminder settings get the default of 2 working days.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reminder_settings') as batch:
        batch.add_column(sa.Column('supervise_after_workdays', sa.Integer(), nullable=False, server_default='2'))


def downgrade():
    with op.batch_alter_table('reminder_settings') as batch:
        batch.drop_column('supervise_after_workdays')
