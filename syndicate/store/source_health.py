"""Per-pass source health history (table source_health)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, delete, func, insert, select

from syndicate.models.health import HealthPass
from syndicate.store.tables import source_health

KEEP_PASSES = 2000  # per source; older rows are pruned as new ones arrive


def _row(mapping: Mapping[Any, Any]) -> HealthPass:
    values = dict(mapping)
    values.pop("id", None)
    return HealthPass(**values)


class HealthQueries:
    engine: Engine

    def add_health_pass(self, row: HealthPass) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(source_health).values(**asdict(row)))
            # Keep the table bounded: a source polled every minute for years is still small.
            cutoff = conn.execute(
                select(source_health.c.id)
                .where(source_health.c.source_id == row.source_id)
                .order_by(source_health.c.id.desc())
                .offset(KEEP_PASSES)
                .limit(1)
            ).scalar()
            if cutoff is not None:
                conn.execute(
                    delete(source_health).where(
                        source_health.c.source_id == row.source_id, source_health.c.id <= cutoff
                    )
                )

    def health_passes(self, source_id: str, since: datetime, limit: int = 500) -> list[HealthPass]:
        """A source's passes since `since`, oldest first (at most `limit`, the newest ones)."""
        # Newest by id (as recorded, whatever a clock said), walking ix_source_health_source:
        # nothing sorted, and a quiet pass's limit of 1 reads one row.
        q = (
            select(source_health)
            .where(source_health.c.source_id == source_id, source_health.c.at >= since)
            .order_by(source_health.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = [_row(r._mapping) for r in conn.execute(q)]
        return rows[::-1]

    def latest_health(self) -> dict[str, HealthPass]:
        """Each source's most recent pass."""
        newest = (
            select(source_health.c.source_id, func.max(source_health.c.id).label("id"))
            .group_by(source_health.c.source_id)
            .subquery()
        )
        q = select(source_health).join(
            newest,
            and_(source_health.c.id == newest.c.id),
        )
        with self.engine.connect() as conn:
            return {r.source_id: _row(r._mapping) for r in conn.execute(q)}
