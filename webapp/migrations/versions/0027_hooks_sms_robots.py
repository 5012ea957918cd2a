"""SMS gateway and 企业微信/钉钉 group robots for 消息提醒: each town's settings, users' SMS opt-in

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 16:00:00

Existing users get SMS alerts off; nothing is sent until an administrator configures a town's gateway or
robots. Deliveries on the new channels use the existing delivery table (its channel column).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('user_account', sa.Column('sms_alerts', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        'sms_settings',
        sa.Column('town_id', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('method', sa.String(length=4), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('template', sa.Text(), nullable=False),
        sa.Column('headers', sa.Text(), nullable=False),
        sa.Column('signature', sa.String(length=40), nullable=False),
        sa.Column('api_key', sa.String(length=300), nullable=False),
        sa.Column('success_text', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['town_id'], ['grid_node.id'], name='fk_sms_settings_town_id_grid_node'),
        sa.PrimaryKeyConstraint('town_id', name='pk_sms_settings'),
    )
    op.create_table(
        'robot_settings',
        sa.Column('town_id', sa.Integer(), nullable=False),
        sa.Column('wecom_enabled', sa.Boolean(), nullable=False),
        sa.Column('wecom_url', sa.String(length=500), nullable=False),
        sa.Column('dingtalk_enabled', sa.Boolean(), nullable=False),
        sa.Column('dingtalk_url', sa.String(length=500), nullable=False),
        sa.Column('dingtalk_secret', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['town_id'], ['grid_node.id'], name='fk_robot_settings_town_id_grid_node'),
        sa.PrimaryKeyConstraint('town_id', name='pk_robot_settings'),
    )


def downgrade():
    op.drop_table('robot_settings')
    op.drop_table('sms_settings')
    op.drop_column('user_account', 'sms_alerts')
