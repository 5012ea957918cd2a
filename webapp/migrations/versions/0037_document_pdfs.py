"""The stored PDF/A of an issued document, made once by a background job after issuing

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-04 17:45:00

Existing documents get none (NULL): the job, or an archive export, makes it when first needed.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document') as batch:
        batch.add_column(sa.Column('pdf_sha256', sa.String(length=64), nullable=True))
        batch.create_foreign_key('fk_document_pdf_sha256_stored_file', 'stored_file', ['pdf_sha256'], ['sha256'])


def downgrade():
    with op.batch_alter_table('document') as batch:
        batch.drop_constraint('fk_document_pdf_sha256_stored_file', type_='foreignkey')
        batch.drop_column('pdf_sha256')
