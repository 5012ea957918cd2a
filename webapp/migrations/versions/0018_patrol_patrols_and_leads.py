"""巡查: patrols and their hazards; hazard leads (隐患线索) that the next inspection takes up

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 12:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('hazard_lead',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('reporter_name', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('taken_up_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('taken_up_instance_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['grid_id'], ['grid_node.id'], name=op.f('fk_hazard_lead_grid_id_grid_node')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['user_account.id'], name=op.f('fk_hazard_lead_reported_by_id_user_account')),
    sa.ForeignKeyConstraint(['taken_up_instance_id'], ['process_instance.id'], name=op.f('fk_hazard_lead_taken_up_instance_id_process_instance'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_hazard_lead_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazard_lead'))
    )
    with op.batch_alter_table('hazard_lead', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hazard_lead_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazard_lead_reported_at'), ['reported_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazard_lead_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazard_lead_taken_up_instance_id'), ['taken_up_instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazard_lead_unit_id'), ['unit_id'], unique=False)

    op.create_table('patrol',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('patrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('patroller_id', sa.Integer(), nullable=True),
    sa.Column('patroller_name', sa.String(length=50), nullable=False),
    sa.Column('checkin_latitude', sa.Float(), nullable=True),
    sa.Column('checkin_longitude', sa.Float(), nullable=True),
    sa.Column('checkin_accuracy', sa.Float(), nullable=True),
    sa.Column('checkin_distance', sa.Float(), nullable=True),
    sa.Column('checkin_far', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['grid_node.id'], name=op.f('fk_patrol_grid_id_grid_node')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_patrol_instance_id_process_instance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patroller_id'], ['user_account.id'], name=op.f('fk_patrol_patroller_id_user_account')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_patrol_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol')),
    sa.UniqueConstraint('instance_id', name=op.f('uq_patrol_instance_id'))
    )
    with op.batch_alter_table('patrol', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrol_patrolled_at'), ['patrolled_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrol_patroller_id'), ['patroller_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrol_unit_id'), ['unit_id'], unique=False)

    op.create_table('patrol_hazard',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patrol_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('fixed_on_spot', sa.Boolean(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['lead_id'], ['hazard_lead.id'], name=op.f('fk_patrol_hazard_lead_id_hazard_lead'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patrol_id'], ['patrol.id'], name=op.f('fk_patrol_hazard_patrol_id_patrol'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_hazard'))
    )
    with op.batch_alter_table('patrol_hazard', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_hazard_patrol_id'), ['patrol_id'], unique=False)


def downgrade():
    op.drop_table('patrol_hazard')
    op.drop_table('patrol')
    op.drop_table('hazard_lead')
