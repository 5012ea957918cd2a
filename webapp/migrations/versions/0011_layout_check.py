"""layout check: the layout verifier's report stored with each document

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('layout_check', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('layout_check')
