"""What opening a stored file found (opens, macros, pages, PDF/A), recorded once per content

Revision ID: 0041inspection
Revises: 0040campaign_checks
Create Date: 2026-12-04 20:45:00

Existing files get none (NULL): the first archive export that packs one opens it and records the
result, so the exports after it only read the record.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0041inspection'
down_revision = '0040campaign_checks'
branch_labels = None
depends_on = None


# Plain ADD / DROP COLUMN (no batch): SQLite would rebuild `stored_file`, which many tables refer to.
def upgrade():
    op.add_column('stored_file', sa.Column('inspection', sa.Text(), nullable=True))


def downgrade():
    op.drop_column('stored_file', 'inspection')
