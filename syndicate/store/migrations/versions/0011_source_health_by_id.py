"""source_health: indexed by (source_id, id), the order its queries read, instead of (source_id, at)

Every pass pruned its source's history past KEEP_PASSES (ORDER BY id DESC ... OFFSET) and read
it back (the window since `at`, newest by id first): with the index on (source_id, at) both
sorted all of the source's rows (up to 2,000) in a temp B-tree, and a quiet pass, which needs
one row, sorted the whole window for it. On (source_id, id) they walk the index newest first
and stop. The old index goes: its one query, the window, prefers it for the `at` range and
then sorts again.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_source_health_source", "source_health", ["source_id", "id"])
    op.drop_index("ix_source_health_source_at", "source_health")


def downgrade() -> None:
    op.create_index("ix_source_health_source_at", "source_health", ["source_id", "at"])
    op.drop_index("ix_source_health_source", "source_health")
