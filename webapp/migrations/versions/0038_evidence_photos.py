"""Evidence photos checked and watermarked in the background: their state and print copy

Revision ID: 0038photojob
Revises: 0037
Create Date: 2026-12-04 20:50:00

Photos uploaded before this keep their watermarked copy in their references (`print_file`) and get no row.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0038photojob'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evidence_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('print_sha256', sa.String(length=64), nullable=True),
    sa.Column('unit_name', sa.String(length=200), nullable=False),
    sa.Column('member_name', sa.String(length=50), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['file_sha256'], ['stored_file.sha256'], name=op.f('fk_evidence_photo_file_sha256_stored_file')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_evidence_photo_instance_id_process_instance'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['user_account.id'], name=op.f('fk_evidence_photo_member_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['print_sha256'], ['stored_file.sha256'], name=op.f('fk_evidence_photo_print_sha256_stored_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_photo'))
    )
    op.create_index('ix_evidence_photo_status_id', 'evidence_photo', ['status', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_evidence_photo_status_id', table_name='evidence_photo')
    op.drop_table('evidence_photo')
