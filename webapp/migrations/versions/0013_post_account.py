"""grid posts link to the account of the person who holds them (the organisation workbook's 账号 column)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 03:45:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('grid_post') as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_grid_post_user_id_user_account', 'user_account', ['user_id'], ['id'])


def downgrade():
    with op.batch_alter_table('grid_post') as batch_op:
        batch_op.drop_constraint('fk_grid_post_user_id_user_account', type_='foreignkey')
        batch_op.drop_column('user_id')
