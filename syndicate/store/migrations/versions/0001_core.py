"""Core schema: articles, change events, source state, HTTP validators.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from syndicate.store.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("canonical_url", sa.Text, nullable=False),
        sa.Column("guid", sa.Text),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("editor", sa.Text),
        sa.Column("published", UTCDateTime),
        sa.Column("published_offset", sa.Integer),
        sa.Column("updated", UTCDateTime),
        sa.Column("updated_offset", sa.Integer),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("content_html", sa.Text, nullable=False),
        sa.Column("content_text", sa.Text, nullable=False),
        sa.Column("image", sa.Text),
        sa.Column("image_alt", sa.Text),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("language", sa.String(16)),
        sa.Column("dateline", sa.Text),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("first_seen", UTCDateTime, nullable=False),
        sa.Column("last_seen", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("removed_at", UTCDateTime),
        sa.Column("story_id", sa.String(16)),
        sa.Column("fingerprint", sa.BigInteger),
        sa.Column("missing_checks", sa.Integer, nullable=False),
        sa.UniqueConstraint("source_id", "canonical_url", name="uq_articles_source_canonical"),
    )
    op.create_index("ix_articles_source_guid", "articles", ["source_id", "guid"])
    op.create_index("ix_articles_source_published", "articles", ["source_id", "published"])
    op.create_index("ix_articles_published", "articles", ["published"])
    op.create_index("ix_articles_story", "articles", ["story_id"])
    op.create_table(
        "article_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("article_id", sa.String(16), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("backfill", sa.Boolean, nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_article_events_article", "article_events", ["article_id"])
    op.create_table(
        "source_state",
        sa.Column("source_id", sa.String(64), primary_key=True),
        sa.Column("route", sa.String(32)),
        sa.Column("route_reason", sa.Text),
        sa.Column("route_url", sa.Text),
        sa.Column("last_fetch_at", UTCDateTime),
        sa.Column("last_result", sa.Text),
        sa.Column("last_error", sa.Text),
        sa.Column("last_success_at", UTCDateTime),
        sa.Column("consecutive_failures", sa.Integer, nullable=False),
        sa.Column("backoff_until", UTCDateTime),
        sa.Column("cursor", sa.JSON, nullable=False),
    )
    op.create_table(
        "http_cache",
        sa.Column("url", sa.Text, primary_key=True),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("checked_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    for name in ("http_cache", "source_state", "article_events", "articles"):
        op.drop_table(name)
