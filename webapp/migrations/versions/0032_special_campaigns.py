"""专项行动 (special campaigns), and the campaign an inspection or a patrol was made for

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-04 17:30:00

Additive: a new table and a nullable column on inspection and patrol; existing rows stay untagged.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

TAGGED = ('inspection', 'patrol')


def upgrade():
    op.create_table(
        'special_campaign',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('town_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('categories', sa.JSON(), nullable=False),
        sa.Column('area_ids', sa.JSON(), nullable=False),
        sa.Column('checklist', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['town_id'], ['grid_node.id'], name=op.f('fk_special_campaign_town_id_grid_node')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_special_campaign')),
        sa.UniqueConstraint('town_id', 'name', name='uq_special_campaign_town_name'),
    )
    op.create_index(op.f('ix_special_campaign_town_id'), 'special_campaign', ['town_id'], unique=False)
    for table in TAGGED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('special_campaign_id', sa.Integer(), nullable=True))
            batch.create_foreign_key(op.f(f'fk_{table}_special_campaign_id_special_campaign'), 'special_campaign',
                                     ['special_campaign_id'], ['id'], ondelete='SET NULL')
            batch.create_index(op.f(f'ix_{table}_special_campaign_id'), ['special_campaign_id'], unique=False)


def downgrade():
    for table in TAGGED:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(op.f(f'ix_{table}_special_campaign_id'))
            batch.drop_constraint(op.f(f'fk_{table}_special_campaign_id_special_campaign'), type_='foreignkey')
            batch.drop_column('special_campaign_id')
    op.drop_index(op.f('ix_special_campaign_town_id'), table_name='special_campaign')
    op.drop_table('special_campaign')
