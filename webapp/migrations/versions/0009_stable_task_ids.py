"""stable task ids: work_task ids never reused; case_event names the task it finished; task subject; waiting steps

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 21:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('work_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('waiting', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_task_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_case_event_work_task_id'), ['work_task_id'], unique=False)
    # SQLite reuses the largest rowid after a delete unless the table is AUTOINCREMENT; a copy-and-move
    # recreates work_task with it (PostgreSQL ignores the option: its sequence never goes back).
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('work_task', recreate='always', table_kwargs={'sqlite_autoincrement': True}):
            pass


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('work_task', recreate='always', table_kwargs={'sqlite_autoincrement': False}):
            pass
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_event_work_task_id'))
        batch_op.drop_column('work_task_id')
    with op.batch_alter_table('work_task', schema=None) as batch_op:
        batch_op.drop_column('waiting')
        batch_op.drop_column('subject')
