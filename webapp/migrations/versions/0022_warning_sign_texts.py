"""九小场所 warning signs: each town's own wording of the sign per unit category

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 11:40:00

A town without rows prints the product's default wording; nothing to fill in here.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'warning_sign_text',
        sa.Column('town_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('hazard', sa.String(length=300), nullable=False),
        sa.Column('precautions', sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(['town_id'], ['grid_node.id'], name='fk_warning_sign_text_town_id_grid_node'),
        sa.PrimaryKeyConstraint('town_id', 'category', name='pk_warning_sign_text'),
    )


def downgrade():
    op.drop_table('warning_sign_text')
