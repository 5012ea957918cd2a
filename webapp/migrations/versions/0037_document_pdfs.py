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


# Plain ADD / DROP COLUMN, no batch and no foreign key: SQLite would rebuild `document` for either, and the
# foreign keys of the tables that refer to it forbid dropping the old table while they hold rows.
def upgrade():
    op.add_column('document', sa.Column('pdf_sha256', sa.String(length=64), nullable=True))


def downgrade():
    op.drop_column('document', 'pdf_sha256')
