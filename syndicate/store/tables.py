"""The database schema. Migrations under migrations/versions must produce exactly this."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData()


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (no zone support) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; attach a time zone first")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if getattr(dialect, "name", "") == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


articles = Table(
    "articles",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("source_id", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("canonical_url", Text, nullable=False),
    Column("guid", Text),
    Column("title", Text, nullable=False),
    Column("authors", JSON, nullable=False),
    Column("editor", Text),
    # Times are kept in UTC plus the offset the source wrote them in, so feeds can show
    # 11:42+08:00 (what the newsroom wrote) rather than 03:42Z.
    Column("published", UTCDateTime),
    Column("published_offset", Integer),
    Column("updated", UTCDateTime),
    Column("updated_offset", Integer),
    Column("summary", Text, nullable=False),
    Column("content_html", Text, nullable=False),
    Column("content_text", Text, nullable=False),
    Column("image", Text),
    Column("image_alt", Text),
    Column("tags", JSON, nullable=False),
    Column("language", String(16)),
    Column("dateline", Text),
    Column("content_hash", String(64), nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("removed_at", UTCDateTime),
    Column("story_id", String(16)),
    Column("fingerprint", BigInteger),
    Column("missing_checks", Integer, nullable=False),
    UniqueConstraint("source_id", "canonical_url", name="uq_articles_source_canonical"),
)
Index("ix_articles_source_guid", articles.c.source_id, articles.c.guid)
Index("ix_articles_source_published", articles.c.source_id, articles.c.published)
Index("ix_articles_published", articles.c.published)
Index("ix_articles_story", articles.c.story_id)

article_events = Table(
    "article_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", String(16), nullable=False),
    Column("source_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("backfill", Boolean, nullable=False),
    Column("detail", JSON, nullable=False),
)
Index("ix_article_events_article", article_events.c.article_id)

source_state = Table(
    "source_state",
    metadata,
    Column("source_id", String(64), primary_key=True),
    Column("route", String(32)),
    Column("route_reason", Text),
    Column("route_url", Text),
    Column("last_fetch_at", UTCDateTime),
    Column("last_result", Text),
    Column("last_error", Text),
    Column("last_success_at", UTCDateTime),
    Column("consecutive_failures", Integer, nullable=False),
    Column("backoff_until", UTCDateTime),
    Column("cursor", JSON, nullable=False),
)

http_cache = Table(
    "http_cache",
    metadata,
    Column("url", Text, primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("checked_at", UTCDateTime, nullable=False),
)
