"""收文: received documents (incoming_document) and their 传阅 readers (incoming_reading)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 16:20:00

Towns set up before: their 收文编号 series (key `incoming`, 第N号 grammar) with the 机关代字 taken from their
镇政府 下行文 prefix (某府发 → 某收), as `firegrid setup` suggests for a new town; the admin may change it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('incoming_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('town_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('sender', sa.String(length=100), nullable=False),
    sa.Column('sender_number', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('secrecy', sa.String(length=10), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('file', sa.JSON(), nullable=False),
    sa.Column('registered_by_name', sa.String(length=50), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('proposal', sa.Text(), nullable=False),
    sa.Column('proposed_by_name', sa.String(length=50), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('instruction', sa.Text(), nullable=False),
    sa.Column('assigned_by_name', sa.String(length=50), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handler_id', sa.Integer(), nullable=True),
    sa.Column('handling', sa.Text(), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closing_note', sa.Text(), nullable=False),
    sa.Column('closed_by_name', sa.String(length=50), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sheet_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['handler_id'], ['user_account.id'], name=op.f('fk_incoming_document_handler_id_user_account')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_incoming_document_instance_id_process_instance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sheet_id'], ['document.id'], name=op.f('fk_incoming_document_sheet_id_document')),
    sa.ForeignKeyConstraint(['town_id'], ['grid_node.id'], name=op.f('fk_incoming_document_town_id_grid_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incoming_document')),
    sa.UniqueConstraint('instance_id', name=op.f('uq_incoming_document_instance_id'))
    )
    with op.batch_alter_table('incoming_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incoming_document_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incoming_document_handler_id'), ['handler_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incoming_document_number'), ['number'], unique=False)
        batch_op.create_index(batch_op.f('ix_incoming_document_received_on'), ['received_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_incoming_document_town_id'), ['town_id'], unique=False)

    op.create_table('incoming_reading',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incoming_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('reader_name', sa.String(length=50), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('remark', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['incoming_id'], ['incoming_document.id'], name=op.f('fk_incoming_reading_incoming_id_incoming_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_incoming_reading_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incoming_reading')),
    sa.UniqueConstraint('incoming_id', 'user_id', name=op.f('uq_incoming_reading_incoming_id'))
    )
    with op.batch_alter_table('incoming_reading', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incoming_reading_incoming_id'), ['incoming_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incoming_reading_user_id'), ['user_id'], unique=False)


    connection = op.get_bind()
    prefixes = sa.table('number_prefix', sa.column('town_id', sa.Integer()), sa.column('key', sa.String()),
                        sa.column('organ', sa.String()), sa.column('prefix', sa.String()),
                        sa.column('grammar', sa.String()), sa.column('description', sa.String()))
    rows = connection.execute(sa.select(prefixes.c.town_id, prefixes.c.organ, prefixes.c.prefix)
                              .where(prefixes.c.key == 'town_notice')).all()
    have = set(connection.execute(sa.select(prefixes.c.town_id).where(prefixes.c.key == 'incoming')).scalars())
    new = [{'town_id': town_id, 'key': 'incoming', 'organ': organ, 'prefix': prefix.removesuffix('府发') + '收',
            'grammar': 'di', 'description': '收文编号'} for town_id, organ, prefix in rows if town_id not in have]
    if new:
        op.bulk_insert(prefixes, new)


def downgrade():
    op.execute("DELETE FROM number_prefix WHERE key = 'incoming'")
    with op.batch_alter_table('incoming_reading', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incoming_reading_user_id'))
        batch_op.drop_index(batch_op.f('ix_incoming_reading_incoming_id'))
    op.drop_table('incoming_reading')
    with op.batch_alter_table('incoming_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incoming_document_town_id'))
        batch_op.drop_index(batch_op.f('ix_incoming_document_received_on'))
        batch_op.drop_index(batch_op.f('ix_incoming_document_number'))
        batch_op.drop_index(batch_op.f('ix_incoming_document_handler_id'))
        batch_op.drop_index(batch_op.f('ix_incoming_document_closed_at'))
    op.drop_table('incoming_document')
