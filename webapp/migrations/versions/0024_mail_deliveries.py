"""E-mail delivery of 消息提醒: each town's mail server, a delivery log with retries, users' e-mail addresses

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 15:20:00

Existing users get an empty address with e-mail alerts off; nothing is sent until an administrator
configures a town's mail server and a user's address.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('user_account', sa.Column('email', sa.String(length=120), server_default='', nullable=False))
    op.add_column('user_account', sa.Column('email_alerts', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        'mail_settings',
        sa.Column('town_id', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('host', sa.String(length=200), nullable=False),
        sa.Column('port', sa.Integer(), nullable=False),
        sa.Column('security', sa.String(length=10), nullable=False),
        sa.Column('username', sa.String(length=120), nullable=False),
        sa.Column('password', sa.String(length=200), nullable=False),
        sa.Column('sender', sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(['town_id'], ['grid_node.id'], name='fk_mail_settings_town_id_grid_node'),
        sa.PrimaryKeyConstraint('town_id', name='pk_mail_settings'),
    )
    op.create_table(
        'delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('alert_id', sa.Integer(), nullable=False),
        sa.Column('town_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('address', sa.String(length=120), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=300), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_by', sa.String(length=120), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], name='fk_delivery_alert_id_alert', ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['town_id'], ['grid_node.id'], name='fk_delivery_town_id_grid_node'),
        sa.PrimaryKeyConstraint('id', name='pk_delivery'),
    )
    op.create_index('ix_delivery_alert_id', 'delivery', ['alert_id'])
    op.create_index('ix_delivery_status_next', 'delivery', ['status', 'next_attempt_at'])
    op.create_index('ix_delivery_town_created', 'delivery', ['town_id', 'created_at'])


def downgrade():
    op.drop_index('ix_delivery_town_created', table_name='delivery')
    op.drop_index('ix_delivery_status_next', table_name='delivery')
    op.drop_index('ix_delivery_alert_id', table_name='delivery')
    op.drop_table('delivery')
    op.drop_table('mail_settings')
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): copying user_account would trip the keys that point at it.
    op.drop_column('user_account', 'email_alerts')
    op.drop_column('user_account', 'email')
