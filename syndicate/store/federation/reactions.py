"""ap_reactions: likes, announces and emoji reactions to our posts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from syndicate.store.tables import ap_reactions


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
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(ap_reactions).values(
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
