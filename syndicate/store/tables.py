"""The database schema. Migrations under migrations/versions must produce exactly this."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
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
    Column("categories", JSON),  # sections the article is filed under; NULL before 0008
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
# Articles whose page was found missing (removal checks ask for them every pass): partial,
# so it holds the few suspects, not the archive. A query must say `missing_checks > 0`
# literally (not a bound parameter) for SQLite to use it.
MISSING = text("missing_checks > 0")
Index("ix_articles_missing", articles.c.source_id, sqlite_where=MISSING, postgresql_where=MISSING)

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

# One row per (tag, article): tag pages and tag feeds are an index lookup, not a scan.
# The slug is models.tag_slug() of the tag as stored (the input boundary keeps at most 50).
article_tags = Table(
    "article_tags",
    metadata,
    Column("slug", String(128), primary_key=True),
    Column("article_id", String(16), primary_key=True),
)
Index("ix_article_tags_article", article_tags.c.article_id)

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

# One row per ingest pass: outcome and extraction quality, for health states and drift alarms.
source_health = Table(
    "source_health",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_id", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("kind", String(32)),
    Column("detail", Text),
    Column("listed", Integer),
    Column("entries", Integer, nullable=False),
    Column("with_author", Integer, nullable=False),
    Column("with_date", Integer, nullable=False),
    Column("with_image", Integer, nullable=False),
    Column("body_median", Integer, nullable=False),
    Column("body_declared", Integer, nullable=False),
    Column("retry_after", Float),
)
# By id, the order its queries read (newest first): the prune and the window stop early, unsorted.
Index("ix_source_health_source", source_health.c.source_id, source_health.c.id)

http_cache = Table(
    "http_cache",
    metadata,
    Column("url", Text, primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("checked_at", UTCDateTime, nullable=False),
)

# --- Federation (ActivityPub): keys, followers, remote actors, activities, deliveries. ---

ap_keys = Table(
    "ap_keys",
    metadata,
    Column("owner", String(64), primary_key=True),  # a source id, or "~instance" for /actor
    Column("private_pem", Text, nullable=False),
    Column("public_pem", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

ap_followers = Table(
    "ap_followers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_id", String(64), nullable=False),
    Column("actor_id", Text, nullable=False),
    Column("inbox", Text, nullable=False),
    Column("shared_inbox", Text),
    Column("follow_id", Text),  # the Follow activity's id, for Undo
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("source_id", "actor_id", name="uq_ap_followers_source_actor"),
)
Index("ix_ap_followers_actor", ap_followers.c.actor_id)

ap_remote_actors = Table(
    "ap_remote_actors",
    metadata,
    Column("actor_id", Text, primary_key=True),
    Column("key_id", Text, nullable=False),
    Column("public_pem", Text, nullable=False),
    Column("inbox", Text),
    Column("shared_inbox", Text),
    Column("fetched_at", UTCDateTime, nullable=False),
)
Index("ix_ap_remote_actors_key", ap_remote_actors.c.key_id)

ap_activities = Table(
    "ap_activities",
    metadata,
    Column("id", String(32), primary_key=True),  # the path segment of /activities/{id}
    Column("source_id", String(64), nullable=False),
    Column("type", String(16), nullable=False),
    Column("article_id", String(16)),
    # The article_events row it answers; unique, so no event is answered twice.
    Column("event_id", Integer),
    Column("published", UTCDateTime, nullable=False),
    Column("delivered", Boolean, nullable=False),  # False: listed in the outbox only (backfill)
    Column("payload", JSON, nullable=False),
    UniqueConstraint("event_id", name="uq_ap_activities_event"),
)
Index(
    "ix_ap_activities_outbox",
    ap_activities.c.source_id,
    ap_activities.c.type,
    ap_activities.c.published,
)
Index("ix_ap_activities_article", ap_activities.c.article_id)

ap_deliveries = Table(
    "ap_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("activity_id", String(32), nullable=False),
    Column("source_id", String(64), nullable=False),  # whose key signs it
    Column("inbox", Text, nullable=False),
    Column("host", Text, nullable=False),
    Column("status", String(8), nullable=False),  # pending / done / gone / dead / canceled
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("lease_token", String(32)),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    UniqueConstraint("activity_id", "inbox", name="uq_ap_deliveries_activity_inbox"),
)
Index("ix_ap_deliveries_due", ap_deliveries.c.status, ap_deliveries.c.next_attempt_at)
Index("ix_ap_deliveries_inbox", ap_deliveries.c.inbox)

ap_servers = Table(
    "ap_servers",
    metadata,
    Column("host", Text, primary_key=True),
    Column("failures", Integer, nullable=False),  # consecutive failed deliveries
    Column("last_success_at", UTCDateTime),
    Column("last_failure_at", UTCDateTime),
    Column("last_error", Text),
    Column("retry_after", UTCDateTime),  # set while the server is marked unavailable
    Column("signature", String(8)),  # what it accepted: cavage / rfc9421 (None: not known yet)
)

ap_reactions = Table(
    "ap_reactions",
    metadata,
    Column("activity_id", Text, primary_key=True),
    Column("article_id", String(16), nullable=False),
    Column("kind", String(16), nullable=False),  # like / announce / emoji
    Column("actor_id", Text, nullable=False),
    Column("content", Text),
    Column("created_at", UTCDateTime, nullable=False),
)
Index("ix_ap_reactions_article", ap_reactions.c.article_id)
# One like / announce per actor and post, one of each emoji: the database holds the rule, so two
# nodes receiving the same reaction at once cannot both store it (migration 0010).
_ONCE, _EMOJI = text("kind IN ('like', 'announce')"), text("kind = 'emoji'")
Index(
    "uq_ap_reactions_once",
    ap_reactions.c.article_id,
    ap_reactions.c.kind,
    ap_reactions.c.actor_id,
    unique=True,
    sqlite_where=_ONCE,
    postgresql_where=_ONCE,
)
Index(
    "uq_ap_reactions_emoji",
    ap_reactions.c.article_id,
    ap_reactions.c.actor_id,
    ap_reactions.c.content,
    unique=True,
    sqlite_where=_EMOJI,
    postgresql_where=_EMOJI,
)

ap_seen_signatures = Table(
    "ap_seen_signatures",
    metadata,
    Column("digest", String(64), primary_key=True),  # sha256 of a Signature value: replay guard
    Column("seen_at", UTCDateTime, nullable=False),
)

# --- Cluster (issue 11): what several nodes on one database share. ---

# One row per source: when the cluster polls it next, and which node is polling it now
# (lease_until set while a pass runs; a node that dies lets it lapse and another takes over).
source_leases = Table(
    "source_leases",
    metadata,
    Column("source_id", String(64), primary_key=True),
    Column("next_run_at", UTCDateTime, nullable=False),
    Column("holder", String(128)),  # the node running it now, or the last one that did
    Column("lease_until", UTCDateTime),
)
Index("ix_source_leases_due", source_leases.c.next_run_at)

# The position of every follower of article_events (delivery, WebSub), and which node is
# following it now.
event_cursors = Table(
    "event_cursors",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("last_event_id", Integer, nullable=False),
    Column("holder", String(128)),
    Column("lease_until", UTCDateTime),
)

# Recent articles re-checked with conditional GETs on a decaying schedule (ingest/rechecks.py):
# only those whose route gives no modification time (HTML listings, feeds and sitemaps without one).
article_rechecks = Table(
    "article_rechecks",
    metadata,
    Column("article_id", String(16), primary_key=True),
    Column("source_id", String(64), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("step", Integer, nullable=False),  # checks done so far
    Column("started_at", UTCDateTime, nullable=False),  # when the schedule began (first seen)
)
Index("ix_article_rechecks_due", article_rechecks.c.source_id, article_rechecks.c.due_at)

cluster_nodes = Table(
    "cluster_nodes",
    metadata,
    Column("node", String(128), primary_key=True),  # host:pid
    Column("roles", String(64), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),  # also /healthz's write probe
)

# MinHash LSH bands of each article's text (normalize.dedupe.bands): reprint candidates are
# the articles sharing a band, an index lookup however many articles are stored.
# One B-tree (the primary key, clustered on SQLite) serves the lookup by band.
story_bands = Table(
    "story_bands",
    metadata,
    Column("band", BigInteger, primary_key=True),
    Column("article_id", String(16), primary_key=True),
    Column("published", UTCDateTime),
    sqlite_with_rowid=False,
)

# ---- issue 10 (migration 0005): quote stamps, replies, earlier article versions ------------

ap_quote_stamps = Table(
    "ap_quote_stamps",
    metadata,
    Column("id", String(32), primary_key=True),  # /users/{source}/quote_authorizations/{id}
    Column("article_id", String(16), nullable=False),  # the quoted post
    Column("source_id", String(64), nullable=False),
    Column("quote_id", Text, nullable=False),  # the quoting post (interactingObject)
    Column("actor_id", Text, nullable=False),  # who quotes
    Column("request_id", Text),  # the QuoteRequest's id
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("article_id", "quote_id", name="uq_ap_quote_stamps_article_quote"),
)
Index("ix_ap_quote_stamps_article", ap_quote_stamps.c.article_id)

ap_replies = Table(
    "ap_replies",
    metadata,
    Column("object_id", Text, primary_key=True),  # the remote Note's id
    Column("article_id", String(16), nullable=False),
    Column("activity_id", Text, nullable=False),  # the Create (what `replies hide` names)
    Column("actor_id", Text, nullable=False),
    Column("host", Text, nullable=False),  # the sender's server (rate limit, moderation)
    Column("url", Text),
    Column("content_html", Text, nullable=False),  # sanitised, capped
    Column("published", UTCDateTime),
    Column("received_at", UTCDateTime, nullable=False),
    Column("hidden", Boolean, nullable=False),
)
Index("ix_ap_replies_article", ap_replies.c.article_id, ap_replies.c.received_at)
Index("ix_ap_replies_host", ap_replies.c.host, ap_replies.c.received_at)

article_versions = Table(
    "article_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("content_text", Text, nullable=False),
    Column("valid_from", UTCDateTime),  # this text's `updated` (or `published`)
    Column("replaced_at", UTCDateTime, nullable=False),  # when the correction came in
)
Index("ix_article_versions_article", article_versions.c.article_id, article_versions.c.id)
