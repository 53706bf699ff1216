"""articles.categories: the sections an article is filed under, kept beside its tags (issue 9)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: rows stored before this revision read as no categories.
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("categories", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("categories")
