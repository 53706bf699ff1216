"""story_bands: the MinHash LSH bands of each article's text (normalize.dedupe.bands), so the
reprint candidates of a new article are an index lookup (articles sharing a band), not a scan of
the articles published around the same time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, insert, select

from syndicate.models import Article, ArticleStatus
from syndicate.store.articles import row_to_article
from syndicate.store.tables import articles, story_bands

CANDIDATES = 20  # most-similar first (most shared bands); true reprints share most bands


class StoryBandQueries:
    engine: Engine

    def save_bands(self, article_id: str, bands: list[int], published: datetime | None) -> None:
        """The bands of a NEW article (its text is what later reprints are compared with)."""
        with self.engine.begin() as conn:
            if bands:
                conn.execute(
                    insert(story_bands),
                    [{"band": b, "article_id": article_id, "published": published} for b in bands],
                )

    def band_candidates(
        self,
        source_id: str,
        bands: list[int],
        published: datetime,
        *,
        days: int = 3,
        limit: int = CANDIDATES,
    ) -> list[Article]:
        """Active articles of OTHER sources published within `days`, sharing a band."""
        if not bands:
            return []
        shared = func.count().label("shared")
        hits = (
            select(story_bands.c.article_id, shared)
            .where(
                story_bands.c.band.in_(bands),
                story_bands.c.published >= published - timedelta(days=days),
                story_bands.c.published <= published + timedelta(days=days),
            )
            .group_by(story_bands.c.article_id)
            .subquery()
        )
        q = (
            select(articles)
            .join(hits, hits.c.article_id == articles.c.id)
            .where(
                articles.c.source_id != source_id,
                articles.c.status == ArticleStatus.ACTIVE.value,
            )
            .order_by(hits.c.shared.desc(), articles.c.first_seen)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [row_to_article(r) for r in conn.execute(q)]
