"""Database file store: the bytes of stored files in chunks (FIREGRID_FILE_STORE=database)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04 17:20:00

Only the new table: existing files stay in the local folder until `firegrid files migrate --to database`
copies them (the default backend is still the local folder). Downgrading drops the chunks: move the files
back first with `firegrid files migrate --to local`.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stored_file_chunk',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['sha256'], ['stored_file.sha256'], name='fk_stored_file_chunk_sha256_stored_file',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('sha256', 'seq', name='pk_stored_file_chunk'),
    )


def downgrade():
    op.drop_table('stored_file_chunk')
