"""Federation: actor keys, followers, remote actors, activities, deliveries, servers, reactions.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from syndicate.store.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ap_keys",
        sa.Column("owner", sa.String(64), primary_key=True),
        sa.Column("private_pem", sa.Text, nullable=False),
        sa.Column("public_pem", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "ap_followers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("actor_id", sa.Text, nullable=False),
        sa.Column("inbox", sa.Text, nullable=False),
        sa.Column("shared_inbox", sa.Text),
        sa.Column("follow_id", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("source_id", "actor_id", name="uq_ap_followers_source_actor"),
    )
    op.create_index("ix_ap_followers_actor", "ap_followers", ["actor_id"])
    op.create_table(
        "ap_remote_actors",
        sa.Column("actor_id", sa.Text, primary_key=True),
        sa.Column("key_id", sa.Text, nullable=False),
        sa.Column("public_pem", sa.Text, nullable=False),
        sa.Column("inbox", sa.Text),
        sa.Column("shared_inbox", sa.Text),
        sa.Column("fetched_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_ap_remote_actors_key", "ap_remote_actors", ["key_id"])
    op.create_table(
        "ap_activities",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("article_id", sa.String(16)),
        sa.Column("event_id", sa.Integer),
        sa.Column("published", UTCDateTime, nullable=False),
        sa.Column("delivered", sa.Boolean, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.UniqueConstraint("event_id", name="uq_ap_activities_event"),
    )
    op.create_index("ix_ap_activities_outbox", "ap_activities", ["source_id", "type", "published"])
    op.create_index("ix_ap_activities_article", "ap_activities", ["article_id"])
    op.create_table(
        "ap_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("activity_id", sa.String(32), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("inbox", sa.Text, nullable=False),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("lease_until", UTCDateTime),
        sa.Column("lease_token", sa.String(32)),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
        sa.UniqueConstraint("activity_id", "inbox", name="uq_ap_deliveries_activity_inbox"),
    )
    op.create_index("ix_ap_deliveries_due", "ap_deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_ap_deliveries_inbox", "ap_deliveries", ["inbox"])
    op.create_table(
        "ap_servers",
        sa.Column("host", sa.Text, primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_success_at", UTCDateTime),
        sa.Column("last_failure_at", UTCDateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("retry_after", UTCDateTime),
        sa.Column("signature", sa.String(8)),
    )
    op.create_table(
        "ap_reactions",
        sa.Column("activity_id", sa.Text, primary_key=True),
        sa.Column("article_id", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.Text, nullable=False),
        sa.Column("content", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_ap_reactions_article", "ap_reactions", ["article_id"])
    op.create_table(
        "ap_seen_signatures",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("seen_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "ap_cursor",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("last_event_id", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for name in (
        "ap_cursor",
        "ap_seen_signatures",
        "ap_reactions",
        "ap_servers",
        "ap_deliveries",
        "ap_activities",
        "ap_remote_actors",
        "ap_followers",
        "ap_keys",
    ):
        op.drop_table(name)
