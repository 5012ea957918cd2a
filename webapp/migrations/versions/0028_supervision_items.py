"""督办事项: one per overdue task escalated to its supervisors, with its own 督办期限 and the 督办单 once issued;
督办对象: a town's per-step choice of who supervises (leaders, the office head, nobody) and after how long

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 17:30:00

The 督办 alerts already sent stay as they are; the next sweep opens an item for each task still overdue.
"""
from alembic import op
import sqlalchemy as sa

from webapp.models.types import AwareDateTime


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'supervision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('work_task_id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('scope_path', sa.String(length=255), nullable=False),
        sa.Column('supervisor_role', sa.String(length=20), nullable=False),
        sa.Column('step_title', sa.String(length=200), nullable=False),
        sa.Column('task_due_at', AwareDateTime(), nullable=False),
        sa.Column('opened_at', AwareDateTime(), nullable=False),
        sa.Column('opinion', sa.Text(), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=True),
        sa.Column('holder_names', sa.String(length=300), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=True),
        sa.Column('issued_by_name', sa.String(length=100), nullable=False),
        sa.Column('issued_at', AwareDateTime(), nullable=True),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('closed_at', AwareDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['document_id'], ['document.id'], name='fk_supervision_document_id_document'),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ondelete='CASCADE',
                                name='fk_supervision_instance_id_process_instance'),
        sa.ForeignKeyConstraint(['issued_by_id'], ['user_account.id'], name='fk_supervision_issued_by_id_user_account'),
        sa.PrimaryKeyConstraint('id', name='pk_supervision'),
        sa.UniqueConstraint('work_task_id', name='uq_supervision_work_task_id'),
    )
    with op.batch_alter_table('supervision') as batch:
        batch.create_index('ix_supervision_instance_id', ['instance_id'], unique=False)
        batch.create_index('ix_supervision_scope_path', ['scope_path'], unique=False)
        batch.create_index('ix_supervision_closed_at', ['closed_at'], unique=False)
    op.create_table(
        'supervision_rule',
        sa.Column('town_id', sa.Integer(), nullable=False),
        sa.Column('procedure_key', sa.String(length=50), nullable=False),
        sa.Column('step_key', sa.String(length=100), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('after_workdays', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['town_id'], ['grid_node.id'], name='fk_supervision_rule_town_id_grid_node'),
        sa.PrimaryKeyConstraint('town_id', 'procedure_key', 'step_key', name='pk_supervision_rule'),
    )


def downgrade():
    op.drop_table('supervision_rule')
    op.drop_table('supervision')
