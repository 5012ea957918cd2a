"""专项行动 依据: the document a campaign answers, and the 收文 case it was set up from

Revision ID: 0042campaign_basis
Revises: 0041inspection
Create Date: 2026-12-04 22:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0042campaign_basis'
down_revision = '0041inspection'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('special_campaign') as batch:
        batch.add_column(sa.Column('basis', sa.String(300), nullable=False, server_default=''))
        batch.add_column(sa.Column('basis_instance_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_special_campaign_basis_instance_id_process_instance', 'process_instance', ['basis_instance_id'],
                                 ['id'], ondelete='SET NULL')
        batch.create_index('ix_special_campaign_basis_instance_id', ['basis_instance_id'])


def downgrade():
    with op.batch_alter_table('special_campaign') as batch:
        batch.drop_index('ix_special_campaign_basis_instance_id')
        batch.drop_constraint('fk_special_campaign_basis_instance_id_process_instance', type_='foreignkey')
        batch.drop_column('basis_instance_id')
        batch.drop_column('basis')
