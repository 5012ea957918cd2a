"""免打扰: each town's quiet hours for e-mail, SMS and group-robot messages (default 22:00 to 07:00)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 17:40:00

Towns with reminder settings get the default hours; equal hours turn them off.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reminder_settings') as batch:
        batch.add_column(sa.Column('quiet_from', sa.Integer(), nullable=False, server_default='22'))
        batch.add_column(sa.Column('quiet_until', sa.Integer(), nullable=False, server_default='7'))


def downgrade():
    with op.batch_alter_table('reminder_settings') as batch:
        batch.drop_column('quiet_until')
        batch.drop_column('quiet_from')
