"""Per-hazard deadlines, rectification plans (整改计划/延期) and interviews (约谈)

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04 17:30:00

Existing notices had one deadline for all their hazards: each hazard of a notice gets the notice's
deadline as its own (整改期限) and as the date it is due now. A case already re-inspected and waiting
for its referral letter holds its unfixed hazards as 'open'; they become 'escalated' (待移交), the state
the letter now takes them from. Downgrade puts them back and drops the new columns and tables.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inspection_hazard', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('interviewed_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_inspection_hazard_due_on'), ['due_on'], unique=False)
    op.execute("UPDATE inspection_hazard SET deadline = (SELECT i.deadline FROM inspection i "
               "WHERE i.id = inspection_hazard.inspection_id), due_on = (SELECT i.deadline FROM inspection i "
               "WHERE i.id = inspection_hazard.inspection_id) WHERE status <> 'corrected_on_spot'")
    op.execute("UPDATE inspection_hazard SET status = 'escalated' WHERE status = 'open' AND inspection_id IN "
               "(SELECT id FROM inspection WHERE reinspection_document_id IS NOT NULL "
               "AND referral_document_id IS NULL)")
    op.create_table(
        'inspection_rectification_plan',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('inspection_id', sa.Integer(), nullable=False),
        sa.Column('applied_on', sa.Date(), nullable=False),
        sa.Column('applicant', sa.String(length=50), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('measures', sa.Text(), nullable=False),
        sa.Column('interim_measures', sa.Text(), nullable=False),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('decided_by', sa.String(length=50), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=True),
        sa.Column('opinion', sa.Text(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['document_id'], ['document.id'],
                                name=op.f('fk_inspection_rectification_plan_document_id_document')),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'],
                                name=op.f('fk_inspection_rectification_plan_inspection_id_inspection'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_rectification_plan')),
    )
    with op.batch_alter_table('inspection_rectification_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_rectification_plan_inspection_id'), ['inspection_id'],
                              unique=False)
    op.create_table(
        'inspection_interview',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('inspection_id', sa.Integer(), nullable=False),
        sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('place', sa.String(length=100), nullable=False),
        sa.Column('interviewee', sa.String(length=50), nullable=False),
        sa.Column('interviewers', sa.String(length=200), nullable=False),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=True),
        sa.Column('attendees', sa.String(length=200), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('commitment', sa.Text(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['document_id'], ['document.id'],
                                name=op.f('fk_inspection_interview_document_id_document')),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'],
                                name=op.f('fk_inspection_interview_inspection_id_inspection'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_interview')),
    )
    with op.batch_alter_table('inspection_interview', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_interview_inspection_id'), ['inspection_id'], unique=False)


def downgrade():
    with op.batch_alter_table('inspection_interview', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_interview_inspection_id'))
    op.drop_table('inspection_interview')
    with op.batch_alter_table('inspection_rectification_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_rectification_plan_inspection_id'))
    op.drop_table('inspection_rectification_plan')
    # the old flow knows neither state: both were hazards still to rectify (open)
    op.execute("UPDATE inspection_hazard SET status = 'open' WHERE status IN ('escalated', 'interview')")
    with op.batch_alter_table('inspection_hazard', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_hazard_due_on'))
        batch_op.drop_column('interviewed_on')
        batch_op.drop_column('due_on')
        batch_op.drop_column('deadline')
