"""article_rechecks: when each recent article is next re-checked for a correction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, func, insert, select, update

from syndicate.models import ArticleStatus
from syndicate.store.tables import article_rechecks, articles


@dataclass(slots=True)
class Recheck:
    article_id: str
    url: str
    canonical_url: str
    due_at: datetime
    step: int
    started_at: datetime


class RecheckQueries:
    engine: Engine

    def schedule_recheck(
        self, article_id: str, source_id: str, *, due_at: datetime, started_at: datetime
    ) -> None:
        """Start (or restart) an article's re-check schedule at step 0."""
        with self.engine.begin() as conn:
            conn.execute(
                delete(article_rechecks).where(article_rechecks.c.article_id == article_id)
            )
            conn.execute(
                insert(article_rechecks).values(
                    article_id=article_id,
                    source_id=source_id,
                    due_at=due_at,
                    step=0,
                    started_at=started_at,
                )
            )

    def rechecks(self, source_id: str) -> list[Recheck]:
        """A source's scheduled re-checks of active articles, soonest first."""
        q = (
            select(
                article_rechecks.c.article_id,
                articles.c.url,
                articles.c.canonical_url,
                article_rechecks.c.due_at,
                article_rechecks.c.step,
                article_rechecks.c.started_at,
            )
            .join(articles, articles.c.id == article_rechecks.c.article_id)
            .where(
                article_rechecks.c.source_id == source_id,
                articles.c.status == ArticleStatus.ACTIVE.value,
            )
            .order_by(article_rechecks.c.due_at, article_rechecks.c.article_id)
        )
        with self.engine.connect() as conn:
            return [Recheck(*row) for row in conn.execute(q)]

    def advance_recheck(self, article_id: str, due_at: datetime | None, step: int) -> None:
        """Record a check: the next one is at `due_at`; None ends the schedule."""
        with self.engine.begin() as conn:
            if due_at is None:
                conn.execute(
                    delete(article_rechecks).where(article_rechecks.c.article_id == article_id)
                )
            else:
                conn.execute(
                    update(article_rechecks)
                    .where(article_rechecks.c.article_id == article_id)
                    .values(due_at=due_at, step=step)
                )

    def newest_published(self, source_id: str) -> datetime | None:
        """The publication time of a source's newest active article (its own "now")."""
        q = select(func.max(articles.c.published)).where(
            articles.c.source_id == source_id, articles.c.status == ArticleStatus.ACTIVE.value
        )
        with self.engine.connect() as conn:
            return conn.execute(q).scalar_one_or_none()  # type: ignore[no-any-return]
