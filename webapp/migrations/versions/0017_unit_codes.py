"""一户一码: every unit gets a short stable code; each town's settings for the public unit card

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 10:00:00

Units made before this revision get their code here, once; new units get one when they are made.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# Copied, not imported: a migration keeps working when the model changes later.
ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'
LENGTH = 8


def _codes(count: int) -> list:
    codes = set()
    while len(codes) < count:
        codes.add(''.join(secrets.choice(ALPHABET) for _ in range(LENGTH)))
    return list(codes)


def upgrade():
    with op.batch_alter_table('unit') as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=LENGTH), nullable=True))
    bind = op.get_bind()
    ids = list(bind.execute(sa.text('SELECT id FROM unit ORDER BY id')).scalars())
    for unit_id, code in zip(ids, _codes(len(ids))):
        bind.execute(sa.text('UPDATE unit SET code = :code WHERE id = :id'), {'code': code, 'id': unit_id})
    with op.batch_alter_table('unit') as batch_op:
        batch_op.alter_column('code', existing_type=sa.String(length=LENGTH), nullable=False)
        batch_op.create_unique_constraint('uq_unit_code', ['code'])
    op.create_table(
        'unit_card_settings',
        sa.Column('town_id', sa.Integer(), nullable=False),
        sa.Column('report_phone', sa.String(length=30), nullable=False),
        sa.Column('show_responsible_phone', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['town_id'], ['grid_node.id'], name='fk_unit_card_settings_town_id_grid_node'),
        sa.PrimaryKeyConstraint('town_id', name='pk_unit_card_settings'),
    )


def downgrade():
    op.drop_table('unit_card_settings')
    with op.batch_alter_table('unit') as batch_op:
        batch_op.drop_constraint('uq_unit_code', type_='unique')
        batch_op.drop_column('code')
