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
        sa.Column("band", sa.BigInteger, nullable=False),
        sa.Column("article_id", sa.String(16), nullable=False),
        sa.Column("published", UTCDateTime),
    )
    op.create_index("ix_story_bands_band", "story_bands", ["band"])
    op.create_index("ix_story_bands_article", "story_bands", ["article_id"])


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
