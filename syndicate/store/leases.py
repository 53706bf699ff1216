"""source_leases: each source is polled once per interval by the whole cluster.

A node claims a due source by setting itself as holder with a lease (one conditional UPDATE …
RETURNING, so two nodes never both win), renews the lease while its pass runs, and at the end
stores the next run time and lets the lease go. A node killed mid-pass stops renewing; when its
lease has run out, any other node claims the source. Next run and backoff live here and in
source_state, so a restart or another node keeps the schedule.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from syndicate.store import event_signal
from syndicate.store.event_signal import SOURCES_DUE
from syndicate.store.tables import source_leases as sl


class LeaseQueries:
    engine: Engine

    def plan_sources(self, first_runs: dict[str, datetime]) -> None:
        """Give sources without a row their first run time; existing rows keep theirs (the
        cluster's schedule survives restarts and is shared by every node)."""
        if not first_runs:
            return
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        rows = [{"source_id": sid, "next_run_at": when} for sid, when in first_runs.items()]
        with self.engine.begin() as conn:
            conn.execute(dialect.insert(sl).values(rows).on_conflict_do_nothing())

    def claim_sources(
        self,
        node: str,
        source_ids: Iterable[str],
        lease: timedelta,
        limit: int,
        now: datetime | None = None,
    ) -> list[str]:
        """Lease up to `limit` due sources among `source_ids` for `node`; returns their ids."""
        now = now or datetime.now(UTC)
        ids = list(source_ids)
        if not ids or limit <= 0:
            return []
        free = or_(sl.c.lease_until.is_(None), sl.c.lease_until < now)
        due = and_(sl.c.source_id.in_(ids), sl.c.next_run_at <= now, free)
        with self.engine.begin() as conn:
            pick = select(sl.c.source_id).where(due).order_by(sl.c.next_run_at).limit(limit)
            if self.engine.dialect.name == "postgresql":
                # Lock first (skipping rows another node is claiming), then update: the UPDATE's
                # WHERE is checked again on the locked row, so a lease is never taken twice.
                picked = list(conn.execute(pick.with_for_update(skip_locked=True)).scalars())
            else:
                picked = list(conn.execute(pick).scalars())  # one writer: SQLite locks the file
            if not picked:
                return []
            rows = conn.execute(
                update(sl)
                .where(sl.c.source_id.in_(picked), due)
                .values(holder=node, lease_until=now + lease)
                .returning(sl.c.source_id)
            ).scalars()
            return sorted(rows)

    def renew_sources(
        self, node: str, source_ids: Iterable[str], lease: timedelta, now: datetime | None = None
    ) -> set[str]:
        """Extend this node's leases on sources it is polling; returns the ones it still holds."""
        now = now or datetime.now(UTC)
        ids = list(source_ids)
        if not ids:
            return set()
        with self.engine.begin() as conn:
            rows = conn.execute(
                update(sl)
                .where(sl.c.source_id.in_(ids), sl.c.holder == node, sl.c.lease_until.is_not(None))
                .values(lease_until=now + lease)
                .returning(sl.c.source_id)
            ).scalars()
            return set(rows)

    def finish_source(self, source_id: str, node: str, next_run_at: datetime) -> None:
        """A pass ended: store when the cluster polls the source next and free the lease."""
        with self.engine.begin() as conn:
            conn.execute(
                update(sl)
                .where(sl.c.source_id == source_id, sl.c.holder == node)
                .values(next_run_at=next_run_at, lease_until=None)
            )

    def reschedule_source(self, source_id: str, next_run_at: datetime) -> None:
        """A changed interval (reload) or a WebSub push takes effect now, not after the old one
        ran out; the sources_due signal wakes the scheduler (on PostgreSQL on every node)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(sl).where(sl.c.source_id == source_id).values(next_run_at=next_run_at)
            )
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT {event_signal.notify(SOURCES_DUE)}")
            event_signal.mark(conn, SOURCES_DUE)

    def release_sources(self, node: str) -> None:
        """A node stopping cleanly frees what it holds, so others need not wait for the lease."""
        with self.engine.begin() as conn:
            conn.execute(
                update(sl)
                .where(sl.c.holder == node, sl.c.lease_until.is_not(None))
                .values(lease_until=None)
            )

    def source_leases(self) -> dict[str, dict]:
        with self.engine.connect() as conn:
            return {r.source_id: dict(r._mapping) for r in conn.execute(select(sl))}
