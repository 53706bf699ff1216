"""cluster: leases, follower cursors, schedule in the database (issue 11)

Reserved slot in the migration chain; filled in by the change that needs it.

Revision ID: 0004
Revises: 0003
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
