"""form drafts (暂存) and group scoring saved per evaluated body

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 21:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('form_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=80), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['work_task.id'], name=op.f('fk_form_draft_task_id_work_task'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_form_draft_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_draft')),
    sa.UniqueConstraint('user_id', 'place', name='uq_form_draft_user_place')
    )
    with op.batch_alter_table('form_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_draft_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('evaluated_body', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_scored_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('evaluated_body', schema=None) as batch_op:
        batch_op.drop_column('group_scored_at')

    with op.batch_alter_table('form_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_draft_task_id'))

    op.drop_table('form_draft')
