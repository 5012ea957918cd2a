"""发文 稿本 (draft versions with 痕迹): one row per submitted 拟稿, 核稿 and 会签, and the 定稿 at 签发

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04 17:40:00

A new table only: cases already under way start their versions with their next submitted step; notices
issued before this revision have no versions (their 定稿 is the issued document, as before).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notice_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('step_key', sa.String(length=40), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('texts', sa.JSON(), nullable=False),
        sa.Column('remark', sa.Text(), nullable=False),
        sa.Column('final', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name='fk_notice_version_author_id_user_account'),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name='fk_notice_version_instance_id_process_instance', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_notice_version'),
        sa.UniqueConstraint('instance_id', 'number', name='uq_notice_version_instance_number'),
    )
    with op.batch_alter_table('notice_version', schema=None) as batch_op:
        batch_op.create_index('ix_notice_version_instance_id', ['instance_id'], unique=False)


def downgrade():
    with op.batch_alter_table('notice_version', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_version_instance_id')
    op.drop_table('notice_version')
