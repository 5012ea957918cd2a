"""sessions and login throttling: per-user session version, forced password change, failed logins per address

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 03:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch copy): other tables reference user_account.
    op.add_column('user_account', sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'))
    op.add_column('user_account', sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                            server_default=sa.false()))
    op.create_table(
        'login_throttle',
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('address', name=op.f('pk_login_throttle')),
    )


def downgrade():
    op.drop_table('login_throttle')
    # user_account is referenced by other tables: SQLite (3.35+) drops the columns in place instead of
    # recreating the table, which its foreign keys would refuse.
    for column in ('must_change_password', 'session_version'):
        op.execute(f'ALTER TABLE user_account DROP COLUMN {column}')
