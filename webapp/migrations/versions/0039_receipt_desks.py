"""签收回执 to departments (a receipt names a receiving desk besides its node); cases started from a 收文

Revision ID: 0039desks
Revises: 0038photojob
Create Date: 2026-12-04 20:45:00

Existing receipts are villages' (desk ""). The unique key becomes (document, node, desk), so several
departments of one town can receive the same document. `case_link`: a case started from another.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0039desks'
down_revision = '0038photojob'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'case_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('basis', sa.String(length=400), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['source_id'], ['process_instance.id'], ondelete='CASCADE',
                                name='fk_case_link_source_id_process_instance'),
        sa.ForeignKeyConstraint(['target_id'], ['process_instance.id'], ondelete='CASCADE',
                                name='fk_case_link_target_id_process_instance'),
        sa.PrimaryKeyConstraint('id', name='pk_case_link'),
        sa.UniqueConstraint('target_id', name='uq_case_link_target_id'),
    )
    op.create_index('ix_case_link_source_id', 'case_link', ['source_id'])
    _rebuild(lambda batch: (
        batch.add_column(sa.Column('desk', sa.String(length=60), nullable=False, server_default='')),
        batch.drop_constraint('uq_document_receipt_document_id', type_='unique'),
        batch.create_unique_constraint('uq_document_receipt_recipient', ['document_id', 'recipient_id', 'desk'])))


def downgrade():
    op.drop_index('ix_case_link_source_id', table_name='case_link')
    op.drop_table('case_link')
    op.execute("DELETE FROM document_receipt WHERE desk <> ''")
    _rebuild(lambda batch: (
        batch.drop_constraint('uq_document_receipt_recipient', type_='unique'),
        batch.drop_column('desk'),
        batch.create_unique_constraint('uq_document_receipt_document_id', ['document_id', 'recipient_id'])))


def _rebuild(change):
    """SQLite rebuilds the table for a new unique key; dropping the old copy would cascade to the alerts that
    open a receipt (ON DELETE CASCADE), so they are kept aside and put back."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    kept = bind.execute(sa.text("SELECT id, receipt_id FROM alert WHERE receipt_id IS NOT NULL")).all() if sqlite else []
    if kept:
        bind.execute(sa.text("UPDATE alert SET receipt_id = NULL WHERE receipt_id IS NOT NULL"))
    with op.batch_alter_table('document_receipt') as batch:
        change(batch)
    for alert_id, receipt_id in kept:
        bind.execute(sa.text("UPDATE alert SET receipt_id = :r WHERE id = :a"), {"r": receipt_id, "a": alert_id})
