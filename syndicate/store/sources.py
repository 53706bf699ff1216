"""Per-source state between passes, and HTTP validators for conditional GET."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, select, update

from syndicate.models import SourceState
from syndicate.store.tables import http_cache, source_state


class SourceQueries:
    engine: Engine

    def source_state(self, source_id: str) -> SourceState:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(source_state).where(source_state.c.source_id == source_id)
            ).first()
        if row is None:
            return SourceState(source_id=source_id)
        m = dict(row._mapping)
        m["cursor"] = dict(m["cursor"] or {})
        return SourceState(**m)

    def all_source_states(self) -> dict[str, SourceState]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(source_state)).all()
        out = {}
        for row in rows:
            m = dict(row._mapping)
            m["cursor"] = dict(m["cursor"] or {})
            out[m["source_id"]] = SourceState(**m)
        return out

    def site_names(self) -> dict[str, str]:
        """source id -> the site's name discovery found (SourceState.site_name), where known."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(source_state.c.source_id, source_state.c.cursor)).all()
        out = {}
        for sid, cursor in rows:
            name = SourceState(source_id=sid, cursor=dict(cursor or {})).site_name
            if name:
                out[sid] = name
        return out

    def save_source_state(self, state: SourceState) -> None:
        values = asdict(state)
        with self.engine.begin() as conn:
            done = conn.execute(
                update(source_state)
                .where(source_state.c.source_id == state.source_id)
                .values(**values)
            ).rowcount
            if not done:
                conn.execute(insert(source_state).values(**values))

    def http_validators(self, url: str) -> tuple[str | None, str | None]:
        """(ETag, Last-Modified) last seen for a URL, for If-None-Match / If-Modified-Since."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(http_cache.c.etag, http_cache.c.last_modified).where(http_cache.c.url == url)
            ).first()
        return (row.etag, row.last_modified) if row else (None, None)

    def save_http_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            if not etag and not last_modified:
                conn.execute(delete(http_cache).where(http_cache.c.url == url))
                return
            done = conn.execute(
                update(http_cache)
                .where(http_cache.c.url == url)
                .values(etag=etag, last_modified=last_modified, checked_at=now)
            ).rowcount
            if not done:
                conn.execute(
                    insert(http_cache).values(
                        url=url, etag=etag, last_modified=last_modified, checked_at=now
                    )
                )

    def forget_http_validators(self, url: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(http_cache).where(http_cache.c.url == url))
