"""Evidence: units get a registered point (latitude, longitude); inspections keep the browser's check-in
location, its distance from that point and a far flag; each town sets how far is far (default 300 m)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 11:45:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('unit') as batch_op:
        batch_op.add_column(sa.Column('latitude', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Double(), nullable=True))
    with op.batch_alter_table('unit_card_settings') as batch_op:
        batch_op.add_column(sa.Column('checkin_far_metres', sa.Integer(), nullable=False, server_default='300'))
    with op.batch_alter_table('inspection') as batch_op:
        batch_op.add_column(sa.Column('checkin_latitude', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('checkin_longitude', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('checkin_accuracy', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('checkin_distance', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('checkin_far', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('inspection') as batch_op:
        for column in ('checkin_far', 'checkin_distance', 'checkin_accuracy', 'checkin_longitude',
                       'checkin_latitude'):
            batch_op.drop_column(column)
    with op.batch_alter_table('unit_card_settings') as batch_op:
        batch_op.drop_column('checkin_far_metres')
    with op.batch_alter_table('unit') as batch_op:
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
