"""ap_reactions: likes, announces and emoji reactions to our posts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from syndicate.store.tables import ap_reactions

# One actor stored 24 MB of "emoji" in 4 s: an emoji reaction is a short string, and one actor
# gets a few different ones per post at most.
REACTION_CONTENT_MAX = 64
EMOJI_PER_ACTOR = 5


class ReactionQueries:
    engine: Engine

    def add_reaction(
        self,
        activity_id: str,
        article_id: str,
        kind: str,
        actor_id: str,
        content: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Count one reaction; False when it is not stored: a repeat (one like or announce per
        actor and post; one of each emoji, and at most EMOJI_PER_ACTOR, per actor and post) or
        content longer than an emoji (REACTION_CONTENT_MAX characters)."""
        if content is not None and len(content) > REACTION_CONTENT_MAX:
            return False
        r = ap_reactions
        same = and_(r.c.article_id == article_id, r.c.kind == kind, r.c.actor_id == actor_id)
        try:
            with self.engine.begin() as conn:
                mine = conn.execute(select(r.c.activity_id, r.c.content).where(same)).all()
                if kind == "emoji":
                    repeat = [m for m in mine if m.content == content]
                    full = len(mine) >= EMOJI_PER_ACTOR
                else:
                    repeat, full = list(mine), False
                if repeat or full:
                    # A repeated Like under a new id: keep the newest id, which an Undo names.
                    if repeat and repeat[0].activity_id != activity_id:
                        with conn.begin_nested():
                            conn.execute(
                                update(r)
                                .where(r.c.activity_id == repeat[0].activity_id)
                                .values(activity_id=activity_id)
                            )
                    return False
                conn.execute(
                    insert(r).values(
                        activity_id=activity_id,
                        article_id=article_id,
                        kind=kind,
                        actor_id=actor_id,
                        content=content,
                        created_at=now or datetime.now(UTC),
                    )
                )
        except IntegrityError:
            return False
        return True

    def remove_reaction(self, activity_id: str, actor_id: str) -> bool:
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    delete(ap_reactions).where(
                        ap_reactions.c.activity_id == activity_id,
                        ap_reactions.c.actor_id == actor_id,
                    )
                ).rowcount
            )

    def reaction_counts(self, article_id: str) -> dict[str, int]:
        """{'like': n, 'announce': n, 'emoji': n} for an article (emoji reactions from Misskey etc.)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ap_reactions.c.kind, func.count())
                .where(ap_reactions.c.article_id == article_id)
                .group_by(ap_reactions.c.kind)
            ).all()
        return {k: int(n) for k, n in rows}
