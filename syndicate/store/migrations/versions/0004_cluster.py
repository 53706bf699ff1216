"""cluster: source leases, one event-cursor table, the node list, near-duplicate bands (issue 11)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from syndicate.store.tables import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_leases",
        sa.Column("source_id", sa.String(64), primary_key=True),
        sa.Column("next_run_at", UTCDateTime, nullable=False),
        sa.Column("holder", sa.String(128)),
        sa.Column("lease_until", UTCDateTime),
    )
    op.create_index("ix_source_leases_due", "source_leases", ["next_run_at"])
    op.create_table(
        "event_cursors",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("last_event_id", sa.Integer, nullable=False),
        sa.Column("holder", sa.String(128)),
        sa.Column("lease_until", UTCDateTime),
    )
    # The delivery cursor moves over; ap_cursor was its only user.
    op.execute(
        "INSERT INTO event_cursors (name, last_event_id) SELECT name, last_event_id FROM ap_cursor"
    )
    op.drop_table("ap_cursor")
    op.create_table(
        "cluster_nodes",
        sa.Column("node", sa.String(128), primary_key=True),
        sa.Column("roles", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("seen_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "story_bands",
        sa.Column("band", sa.BigInteger, primary_key=True),
        sa.Column("article_id", sa.String(16), primary_key=True),
        sa.Column("published", UTCDateTime),
        sqlite_with_rowid=False,
    )
    _band_recent_articles()


def _band_recent_articles() -> None:
    """Articles of the last week get their bands, so a reprint arriving just after the upgrade
    is still folded (older ones are past the story window anyway)."""
    from datetime import UTC, datetime, timedelta

    from syndicate.normalize.dedupe import bands

    conn = op.get_bind()
    since = datetime.now(UTC) - timedelta(days=7)
    articles = sa.table(
        "articles",
        sa.column("id"),
        sa.column("content_text"),
        sa.column("published", UTCDateTime),
        sa.column("status"),
    )
    story_bands = sa.table(
        "story_bands",
        sa.column("band"),
        sa.column("article_id"),
        sa.column("published", UTCDateTime),
    )
    rows = conn.execute(
        sa.select(articles.c.id, articles.c.content_text, articles.c.published).where(
            articles.c.published >= since, articles.c.status == "active"
        )
    ).all()
    for aid, text, published in rows:
        values = [{"band": b, "article_id": aid, "published": published} for b in bands(text or "")]
        if values:
            conn.execute(sa.insert(story_bands), values)


def downgrade() -> None:
    op.create_table(
        "ap_cursor",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("last_event_id", sa.Integer, nullable=False),
    )
    op.execute(
        "INSERT INTO ap_cursor (name, last_event_id) SELECT name, last_event_id FROM event_cursors"
    )
    for name in ("story_bands", "cluster_nodes", "event_cursors", "source_leases"):
        op.drop_table(name)
