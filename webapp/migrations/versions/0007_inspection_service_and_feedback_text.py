"""inspection: who signed the receipt, and the referral feedback's text

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 21:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('served_to', sa.String(length=50), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('feedback_measures', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('feedback_result', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_column('feedback_result')
        batch_op.drop_column('feedback_measures')
        batch_op.drop_column('served_to')
