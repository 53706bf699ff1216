"""hostile input: an indexed tag table (tag pages and tag feeds without scanning articles)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from syndicate.models import tag_slug

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_tags",
        sa.Column("slug", sa.String(128), primary_key=True),
        sa.Column("article_id", sa.String(16), primary_key=True),
    )
    op.create_index("ix_article_tags_article", "article_tags", ["article_id"])
    # Index the tags of articles stored before this revision (at most 50 per article, like the
    # input boundary keeps).
    conn = op.get_bind()
    articles = sa.table("articles", sa.column("id"), sa.column("tags", sa.JSON))
    article_tags = sa.table("article_tags", sa.column("slug"), sa.column("article_id"))
    rows = []
    for article_id, tags in conn.execute(sa.select(articles.c.id, articles.c.tags)):
        slugs = list(dict.fromkeys(s for s in (tag_slug(t)[:128] for t in tags or []) if s))
        rows += [{"slug": s, "article_id": article_id} for s in slugs[:50]]
        if len(rows) >= 5000:
            conn.execute(sa.insert(article_tags), rows)
            rows = []
    if rows:
        conn.execute(sa.insert(article_tags), rows)


def downgrade() -> None:
    op.drop_index("ix_article_tags_article", "article_tags")
    op.drop_table("article_tags")
