"""Earlier versions of an article: the text readers saw before each correction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select

from syndicate.models import Article, ArticleVersion
from syndicate.store.tables import article_versions


def save_version(conn: Connection, old: Article, replaced_at: datetime) -> None:
    """Keep the text a correction is about to replace (called inside the upsert)."""
    conn.execute(
        insert(article_versions).values(
            article_id=old.id,
            title=old.title or "",
            summary=old.summary or "",
            content_text=old.content_text or "",
            valid_from=old.updated or old.published,
            replaced_at=replaced_at,
        )
    )


class VersionQueries:
    engine: Engine

    def article_versions(self, article_id: str) -> list[ArticleVersion]:
        """Every earlier version, oldest first (the current text is the article itself)."""
        v = article_versions.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(article_versions).where(v.article_id == article_id).order_by(v.id)
            ).all()
        return [
            ArticleVersion(
                i + 1,
                r.title,
                r.summary,
                r.content_text,
                r.valid_from,
                r.replaced_at,
            )
            for i, r in enumerate(rows)
        ]
