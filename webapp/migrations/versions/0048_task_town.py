"""Each open step keeps the id of the town its scope lies in (work_task.town_id), and the county overview's
逾期未办 counts from a partial index of (town, deadline): an integer per entry, read town by town in order,
where grouping every overdue step's scope path under its town cost three times as much at county scale

Revision ID: 0048town
Revises: 0047due
Create Date: 2026-12-05 05:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0048town'
down_revision = '0047due'
branch_labels = None
depends_on = None

FK = 'fk_work_task_town_id_grid_node'
PARTIAL = {'postgresql_where': sa.text('waiting IS false'), 'sqlite_where': sa.text('waiting IS 0')}


def upgrade():
    op.drop_index('ix_work_task_overdue', table_name='work_task')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its reference in place; batch mode would copy the table to add it
        op.execute(f'ALTER TABLE work_task ADD COLUMN town_id INTEGER CONSTRAINT {FK} REFERENCES grid_node (id)')
    else:
        op.add_column('work_task', sa.Column('town_id', sa.Integer(), nullable=True))
        op.create_foreign_key(FK, 'work_task', 'grid_node', ['town_id'], ['id'])
    # The town of each step's scope: the town node whose path begins it (none for a step scoped above a town)
    op.execute("UPDATE work_task SET town_id = (SELECT g.id FROM grid_node g WHERE g.level = 'town' "
               "AND substr(work_task.scope_path, 1, length(g.path)) = g.path)")
    op.create_index('ix_work_task_overdue', 'work_task', ['town_id', 'due_at'], **PARTIAL)


def downgrade():
    op.drop_index('ix_work_task_overdue', table_name='work_task')
    if op.get_bind().dialect.name == 'sqlite':
        # In place (SQLite 3.35+): batch mode's copy would drop the old table, and with it, by ON DELETE CASCADE,
        # every 暂存 draft of an open step
        op.execute('ALTER TABLE work_task DROP COLUMN town_id')
    else:
        op.drop_constraint(FK, 'work_task', type_='foreignkey')
        op.drop_column('work_task', 'town_id')
    op.create_index('ix_work_task_overdue', 'work_task', ['due_at', 'scope_path'], **PARTIAL)
