"""story_bands: the MinHash LSH bands of each article's text (normalize.dedupe.bands), so the
reprint candidates of a new article are an index lookup (articles sharing a band), not a scan of
the articles published around the same time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Engine, bindparam, func, insert, select

from syndicate.models import ArticleStatus
from syndicate.store.tables import articles, story_bands

CANDIDATES = 20  # most-similar first (most shared bands); true reprints share most bands


class Candidate(NamedTuple):
    """What deciding a fold needs of a stored article (not its whole row: HTML, tags, ...)."""

    id: str
    story_id: str | None
    fingerprint: int | None
    content_text: str | None


def _candidates_query():  # type: ignore[no-untyped-def]
    shared = func.count().label("shared")
    hits = (
        select(story_bands.c.article_id, shared)
        .where(
            story_bands.c.band.in_(bindparam("bands", expanding=True)),
            story_bands.c.published >= bindparam("lo"),
            story_bands.c.published <= bindparam("hi"),
        )
        .group_by(story_bands.c.article_id)
        .subquery()
    )
    return (
        select(articles.c.id, articles.c.story_id, articles.c.fingerprint, articles.c.content_text)
        .join(hits, hits.c.article_id == articles.c.id)
        .where(
            articles.c.source_id != bindparam("source_id"),
            articles.c.status == ArticleStatus.ACTIVE.value,
        )
        .order_by(hits.c.shared.desc(), articles.c.first_seen)
        .limit(bindparam("limit"))
    )


# Built once: per new article only its parameters change (no statement built and cache-keyed).
_CANDIDATES = _candidates_query()
_INSERT_BANDS = insert(story_bands)


class StoryBandQueries:
    engine: Engine

    def save_bands(self, article_id: str, bands: list[int], published: datetime | None) -> None:
        """The bands of a NEW article (its text is what later reprints are compared with)."""
        if not bands:
            return
        with self.engine.begin() as conn:
            conn.execute(
                _INSERT_BANDS,
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
    ) -> list[Candidate]:
        """Active articles of OTHER sources published within `days`, sharing a band."""
        if not bands:
            return []
        window = timedelta(days=days)
        params = {
            "bands": list(dict.fromkeys(bands)),
            "lo": published - window,
            "hi": published + window,
            "source_id": source_id,
            "limit": limit,
        }
        with self.engine.connect() as conn:
            return [Candidate(*row) for row in conn.execute(_CANDIDATES, params)]
