"""ingest lifecycle: re-check schedule of recent articles whose source gives no change time (issue 9)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from syndicate.store.tables import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_rechecks",
        sa.Column("article_id", sa.String(16), primary_key=True),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_article_rechecks_due", "article_rechecks", ["source_id", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_article_rechecks_due", "article_rechecks")
    op.drop_table("article_rechecks")
