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
        return self.article_versions_for([article_id]).get(article_id, [])

    def article_versions_for(self, article_ids: list[str]) -> dict[str, list[ArticleVersion]]:
        """Earlier versions of several articles in one query (a feed page's corrected items)."""
        if not article_ids:
            return {}
        v = article_versions.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(article_versions)
                .where(v.article_id.in_(sorted(set(article_ids))))
                .order_by(v.article_id, v.id)
            ).all()
        out: dict[str, list[ArticleVersion]] = {}
        for r in rows:
            versions = out.setdefault(r.article_id, [])
            versions.append(
                ArticleVersion(
                    len(versions) + 1,
                    r.title,
                    r.summary,
                    r.content_text,
                    r.valid_from,
                    r.replaced_at,
                )  # fmt: skip
            )
        return out
