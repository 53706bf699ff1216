"""ap_reactions: one like and one announce per actor and post, one of each emoji, by index

add_reaction looked first and then inserted; two web nodes receiving the same actor's Like at
once (a redelivery, or Like + a repeat under a new id) could both find nothing and both insert,
and the post showed two likes from one person. Partial unique indexes make the second insert
fail (add_reaction answers "not stored"). Repeats already stored are folded first, keeping the
newest row (the id an Undo names).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ONCE = sa.text("kind IN ('like', 'announce')")
EMOJI = sa.text("kind = 'emoji'")

# A row is dropped when a newer row (later created_at, then larger id) says the same thing.
_FOLD = """
DELETE FROM ap_reactions WHERE {kinds} AND EXISTS (
    SELECT 1 FROM ap_reactions AS newer
    WHERE newer.article_id = ap_reactions.article_id
      AND newer.kind = ap_reactions.kind
      AND newer.actor_id = ap_reactions.actor_id
      {same_content}
      AND (newer.created_at > ap_reactions.created_at
           OR (newer.created_at = ap_reactions.created_at
               AND newer.activity_id > ap_reactions.activity_id)))
"""


def upgrade() -> None:
    op.execute(_FOLD.format(kinds="kind IN ('like', 'announce')", same_content=""))
    op.execute(
        _FOLD.format(
            kinds="kind = 'emoji'", same_content="AND newer.content = ap_reactions.content"
        )
    )
    op.create_index(
        "uq_ap_reactions_once",
        "ap_reactions",
        ["article_id", "kind", "actor_id"],
        unique=True,
        sqlite_where=ONCE,
        postgresql_where=ONCE,
    )
    op.create_index(
        "uq_ap_reactions_emoji",
        "ap_reactions",
        ["article_id", "actor_id", "content"],
        unique=True,
        sqlite_where=EMOJI,
        postgresql_where=EMOJI,
    )


def downgrade() -> None:
    op.drop_index("uq_ap_reactions_emoji", "ap_reactions")
    op.drop_index("uq_ap_reactions_once", "ap_reactions")
