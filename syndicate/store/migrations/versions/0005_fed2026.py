"""federation 2026: quote stamps (FEP-044f), replies to our posts, earlier article versions.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from syndicate.store.tables import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ap_quote_stamps",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("article_id", sa.String(16), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("quote_id", sa.Text, nullable=False),
        sa.Column("actor_id", sa.Text, nullable=False),
        sa.Column("request_id", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("article_id", "quote_id", name="uq_ap_quote_stamps_article_quote"),
    )
    op.create_index("ix_ap_quote_stamps_article", "ap_quote_stamps", ["article_id"])
    op.create_table(
        "ap_replies",
        sa.Column("object_id", sa.Text, primary_key=True),
        sa.Column("article_id", sa.String(16), nullable=False),
        sa.Column("activity_id", sa.Text, nullable=False),
        sa.Column("actor_id", sa.Text, nullable=False),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("content_html", sa.Text, nullable=False),
        sa.Column("published", UTCDateTime),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False),
    )
    op.create_index("ix_ap_replies_article", "ap_replies", ["article_id", "received_at"])
    op.create_index("ix_ap_replies_host", "ap_replies", ["host", "received_at"])
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("article_id", sa.String(16), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("content_text", sa.Text, nullable=False),
        sa.Column("valid_from", UTCDateTime),
        sa.Column("replaced_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_article_versions_article", "article_versions", ["article_id", "id"])


def downgrade() -> None:
    op.drop_table("article_versions")
    op.drop_table("ap_replies")
    op.drop_table("ap_quote_stamps")
