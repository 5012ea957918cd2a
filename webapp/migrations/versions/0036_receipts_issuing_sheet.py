"""签收回执 of delivered documents, alerts that open a receipt, and the 发文稿纸 filed with its 定稿

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-04 17:30:00

Existing towns' archive settings get the item groups that file a notice's 发文稿纸 (issuing_sheet) with the
notice itself; a town that already lists such a group keeps its own rules. Nothing else existing changes.
"""
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None

SHEET_GROUPS = [["notice", "issuing_sheet"], ["notice_upward", "issuing_sheet"], ["bulletin", "issuing_sheet"]]


def upgrade():
    op.create_table(
        'document_receipt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('recipient_id', sa.Integer(), nullable=False),
        sa.Column('recipient_name', sa.String(length=100), nullable=False),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('delivered_by_name', sa.String(length=50), nullable=False),
        sa.Column('reply_due', sa.Date(), nullable=True),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('read_by_name', sa.String(length=50), nullable=False),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('signed_by_name', sa.String(length=50), nullable=False),
        sa.Column('reply', sa.Text(), nullable=False),
        sa.Column('reply_file', sa.JSON(), nullable=True),
        sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('replied_by_name', sa.String(length=50), nullable=False),
        sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reminders', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['document.id'], ondelete='CASCADE',
                                name='fk_document_receipt_document_id_document'),
        sa.ForeignKeyConstraint(['recipient_id'], ['grid_node.id'], name='fk_document_receipt_recipient_id_grid_node'),
        sa.PrimaryKeyConstraint('id', name='pk_document_receipt'),
        sa.UniqueConstraint('document_id', 'recipient_id', name='uq_document_receipt_document_id'),
    )
    op.create_index('ix_document_receipt_document_id', 'document_receipt', ['document_id'])
    op.create_index('ix_document_receipt_recipient_id', 'document_receipt', ['recipient_id'])
    with op.batch_alter_table('alert') as batch_op:
        batch_op.add_column(sa.Column('receipt_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_alert_receipt_id_document_receipt', 'document_receipt', ['receipt_id'],
                                    ['id'], ondelete='CASCADE')
    _change_groups(lambda groups: groups + [g for g in SHEET_GROUPS if g not in groups])


def downgrade():
    _change_groups(lambda groups: [g for g in groups if g not in SHEET_GROUPS])
    op.execute("DELETE FROM alert WHERE receipt_id IS NOT NULL")
    with op.batch_alter_table('alert') as batch_op:
        batch_op.drop_constraint('fk_alert_receipt_id_document_receipt', type_='foreignkey')
        batch_op.drop_column('receipt_id')
    op.drop_index('ix_document_receipt_recipient_id', table_name='document_receipt')
    op.drop_index('ix_document_receipt_document_id', table_name='document_receipt')
    op.drop_table('document_receipt')


def _change_groups(change):
    connection = op.get_bind()
    settings = sa.table('archive_settings', sa.column('town_id', sa.Integer()), sa.column('item_groups', sa.JSON()))
    for town_id, groups in connection.execute(sa.select(settings.c.town_id, settings.c.item_groups)).all():
        groups = json.loads(groups) if isinstance(groups, str) else list(groups or [])
        changed = change(groups)
        if changed != groups:
            connection.execute(settings.update().where(settings.c.town_id == town_id).values(item_groups=changed))
