"""meeting series name the organ whose 会议通知 convenes them; one sitting may count for several series

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 09:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # Existing series keep the committee's 发文字号 for their notices (the admin may switch one to 党政办).
    with op.batch_alter_table('meeting_series') as batch_op:
        batch_op.add_column(sa.Column('notice_prefix_key', sa.String(length=32), nullable=False,
                                      server_default='committee_notice'))
    op.create_table('meeting_extra_series',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_extra_series_meeting_id_meeting'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['series_id'], ['meeting_series.id'],
                            name=op.f('fk_meeting_extra_series_series_id_meeting_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meeting_id', 'series_id', name=op.f('pk_meeting_extra_series'))
    )
    with op.batch_alter_table('meeting_extra_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_extra_series_series_id'), ['series_id'], unique=False)


def downgrade():
    with op.batch_alter_table('meeting_extra_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_extra_series_series_id'))
    op.drop_table('meeting_extra_series')
    with op.batch_alter_table('meeting_series') as batch_op:
        batch_op.drop_column('notice_prefix_key')
