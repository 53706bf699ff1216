"""source health history: one row per ingest pass, for health states and drift alarms (issue 13)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from syndicate.store.tables import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_health",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32)),
        sa.Column("detail", sa.Text),
        sa.Column("listed", sa.Integer),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("with_author", sa.Integer, nullable=False),
        sa.Column("with_date", sa.Integer, nullable=False),
        sa.Column("with_image", sa.Integer, nullable=False),
        sa.Column("body_median", sa.Integer, nullable=False),
        sa.Column("body_declared", sa.Integer, nullable=False),
        sa.Column("retry_after", sa.Float),
    )
    op.create_index("ix_source_health_source_at", "source_health", ["source_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_source_health_source_at", "source_health")
    op.drop_table("source_health")
