"""articles: a partial index of the articles whose page was found missing (removal checks)

Every pass asked for its source's articles with missing_checks > 0, which read the source's
whole archive through (source_id, published); almost no article is ever missing, so this
index is tiny and the question costs a lookup.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

MISSING = sa.text("missing_checks > 0")


def upgrade() -> None:
    op.create_index(
        "ix_articles_missing",
        "articles",
        ["source_id"],
        sqlite_where=MISSING,
        postgresql_where=MISSING,
    )


def downgrade() -> None:
    op.drop_index("ix_articles_missing", "articles")
