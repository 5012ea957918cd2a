"""County overview: 逾期未办 counted from an index of the steps that do not just wait, by deadline and scope (as
many entries read as steps past their deadline, where a scan read every open step of the county)

Revision ID: 0047due
Revises: 0046cover
Create Date: 2026-12-05 03:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0047due'
down_revision = '0046cover'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_work_task_overdue', 'work_task', ['due_at', 'scope_path'],
                    postgresql_where=sa.text('waiting IS false'), sqlite_where=sa.text('waiting IS 0'))


def downgrade():
    op.drop_index('ix_work_task_overdue', table_name='work_task')
