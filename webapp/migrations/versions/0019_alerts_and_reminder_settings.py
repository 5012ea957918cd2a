"""消息提醒 and 催办: an alert per recipient with a dedupe key; each town's reminder timing

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 12:00:00
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'alert',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recipient_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('work_task_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('dedupe_key', sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name='fk_alert_instance_id_process_instance', ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recipient_id'], ['user_account.id'],
                                name='fk_alert_recipient_id_user_account', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_alert'),
        sa.UniqueConstraint('recipient_id', 'dedupe_key', name='uq_alert_recipient_dedupe'),
    )
    op.create_index('ix_alert_recipient_read', 'alert', ['recipient_id', 'read_at'])
    op.create_index('ix_alert_recipient_created', 'alert', ['recipient_id', 'created_at'])
    op.create_table(
        'reminder_settings',
        sa.Column('town_id', sa.Integer(), nullable=False),
        sa.Column('due_soon_workdays', sa.Integer(), nullable=False),
        sa.Column('reminder_interval_hours', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['town_id'], ['grid_node.id'], name='fk_reminder_settings_town_id_grid_node'),
        sa.PrimaryKeyConstraint('town_id', name='pk_reminder_settings'),
    )


def downgrade():
    op.drop_table('reminder_settings')
    op.drop_index('ix_alert_recipient_created', table_name='alert')
    op.drop_index('ix_alert_recipient_read', table_name='alert')
    op.drop_table('alert')
