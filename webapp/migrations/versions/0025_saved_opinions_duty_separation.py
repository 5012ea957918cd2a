"""常用意见 (a town's public phrases, each user's own) and each town's separation-of-duties switches

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 16:00:00

A town without phrases offers the product's defaults; a town without a switch row keeps the procedure's
default (the drafter does not sign off their own notice), so nothing is filled in here.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'opinion_phrase',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('town_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('text', sa.String(length=200), nullable=False),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['town_id'], ['grid_node.id'], name='fk_opinion_phrase_town_id_grid_node',
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name='fk_opinion_phrase_user_id_user_account',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_opinion_phrase'),
    )
    op.create_index('ix_opinion_phrase_town', 'opinion_phrase', ['town_id'])
    op.create_index('ix_opinion_phrase_user', 'opinion_phrase', ['user_id'])
    op.create_table(
        'duty_separation',
        sa.Column('town_id', sa.Integer(), nullable=False),
        sa.Column('procedure', sa.String(length=50), nullable=False),
        sa.Column('step_key', sa.String(length=50), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['town_id'], ['grid_node.id'], name='fk_duty_separation_town_id_grid_node',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('town_id', 'procedure', 'step_key', name='pk_duty_separation'),
    )


def downgrade():
    op.drop_table('duty_separation')
    op.drop_index('ix_opinion_phrase_user', table_name='opinion_phrase')
    op.drop_index('ix_opinion_phrase_town', table_name='opinion_phrase')
    op.drop_table('opinion_phrase')
