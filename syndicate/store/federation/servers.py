"""ap_servers: delivery health per remote server, and holding or waking its queue."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from syndicate.models.delivery_states import DEAD, PENDING
from syndicate.models.federation import DeliveryOutcome, ServerStatus, host_of
from syndicate.store.federation.followers import list_followers
from syndicate.store.federation.sql import one_of
from syndicate.store.tables import ap_deliveries, ap_servers

HEALTH_REFRESH = timedelta(minutes=1)  # how stale a healthy server's last_success_at may get


def health_by_host(conn: Connection, hosts: Iterable[str]) -> dict[str, Any]:
    """host -> (host, signature, failures, retry_after, last_success_at) for a claim."""
    return {
        s.host: s
        for s in conn.execute(
            select(
                ap_servers.c.host,
                ap_servers.c.signature,
                ap_servers.c.failures,
                ap_servers.c.retry_after,
                ap_servers.c.last_success_at,
            ).where(one_of(conn, ap_servers.c.host, set(hosts)))
        )
    }


def is_healthy(server: Any, now: datetime) -> bool:
    """Known, no failures, success recorded lately: a success there needs no write."""
    return bool(
        server
        and server.signature
        and not server.failures
        and server.retry_after is None
        and server.last_success_at is not None
        and now - server.last_success_at < HEALTH_REFRESH
    )


def wake_host(conn: Connection, host: str, now: datetime) -> None:
    """A server is reachable again: everything queued for it is due now."""
    conn.execute(
        update(ap_deliveries)
        .where(ap_deliveries.c.host == host, ap_deliveries.c.status == PENDING)
        .values(next_attempt_at=now)
    )


def hold_host(conn: Connection, host: str, until: datetime) -> None:
    """Everything else queued for a server marked unavailable waits for the same probe time."""
    conn.execute(
        update(ap_deliveries)
        .where(
            ap_deliveries.c.host == host,
            ap_deliveries.c.status == PENDING,
            ap_deliveries.c.next_attempt_at < until,
            ap_deliveries.c.lease_token.is_(None),
        )
        .values(next_attempt_at=until)
    )


def record_results(
    conn: Connection,
    outcomes: list[DeliveryOutcome],
    now: datetime,
    server_backoff: Callable[[int], timedelta | None],
) -> None:
    """Fold a batch's answers into ap_servers with a few statements instead of ~5 per
    outcome (a fan-out's first contact with 200 servers is 200 of these). Each host's
    answers are applied in order, as if one at a time."""
    s = ap_servers
    by_host: dict[str, list[DeliveryOutcome]] = {}
    for o in outcomes:
        by_host.setdefault(o.host, []).append(o)
    hosts = sorted(by_host)  # one lock order for every writer
    rows = {r.host: r for r in conn.execute(select(s).where(one_of(conn, s.c.host, hosts)))}
    missing = [h for h in hosts if h not in rows]
    if missing:
        ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(s)
        conn.execute(
            ins.on_conflict_do_nothing(index_elements=[s.c.host]),
            [{"host": h, "failures": 0} for h in missing],
        )
        again = conn.execute(select(s).where(one_of(conn, s.c.host, missing)))
        rows.update((r.host, r) for r in again)
    ok_only: list[dict[str, Any]] = []
    for host in hosts:
        row = rows[host]
        failures, retry_after, signature = row.failures, row.retry_after, row.signature
        failed: DeliveryOutcome | None = None
        succeeded, wake, push = False, False, None
        for o in by_host[host]:
            if o.server_ok:
                succeeded, wake = True, wake or retry_after is not None
                failures, retry_after, push = 0, None, None  # a wake outranks earlier pushes
                signature = o.signature or signature
            else:
                failures += 1
                pause = server_backoff(failures)
                retry_after = now + pause if pause else None
                failed = o
                if retry_after is not None:
                    push = max(push or retry_after, retry_after)
        if failed is None:
            ok_only.append({"_host": host, "_signature": signature})
        else:
            values: dict[str, Any] = {
                "failures": failures,
                "retry_after": retry_after,
                "last_failure_at": now,
                "last_error": failed.last_error,
            }
            if succeeded:
                values.update(last_success_at=now, signature=signature)
            conn.execute(update(s).where(s.c.host == host).values(**values))
        if wake:
            wake_host(conn, host, now)
        if push is not None:
            hold_host(conn, host, push)
    if ok_only:  # the common case, one executemany
        conn.execute(
            update(s)
            .where(s.c.host == bindparam("_host"))
            .values(
                failures=0,
                last_success_at=now,
                retry_after=None,
                signature=bindparam("_signature"),
            ),
            ok_only,
        )


class ServerQueries:
    engine: Engine

    def server_is_back(self, host: str, now: datetime | None = None) -> bool:
        """A server we marked unavailable just talked to us: try its queue again now."""
        now = now or datetime.now(UTC)
        host = host.lower()
        with self.engine.begin() as conn:
            marked = conn.execute(
                update(ap_servers)
                .where(ap_servers.c.host == host, ap_servers.c.retry_after.is_not(None))
                .values(retry_after=None, failures=0)
            ).rowcount
            if marked:
                wake_host(conn, host, now)
        return bool(marked)

    def delivery_failures_by_server(self, source_id: str) -> list[ServerStatus]:
        """Servers that follow a source, worst first: failing or dead deliveries, the last error,
        and whether we are holding off (retry_after) because the server keeps failing."""
        d = ap_deliveries
        by_host: dict[str, ServerStatus] = {}
        with self.engine.connect() as conn:
            for f in list_followers(conn, source_id):
                host = host_of(f.delivery_inbox)
                st = by_host.get(host)
                if st is None:
                    st = by_host[host] = ServerStatus(host, 0, 0, 0, 0, None, None, None, None)
                st.followers += 1
            rows = conn.execute(
                select(d.c.host, d.c.status, func.count())
                .where(
                    d.c.source_id == source_id,
                    or_(d.c.status == DEAD, and_(d.c.status == PENDING, d.c.attempts > 0)),
                )
                .group_by(d.c.host, d.c.status)
            ).all()
            for host, status, n in rows:
                st = by_host.setdefault(
                    host, ServerStatus(host, 0, 0, 0, 0, None, None, None, None)
                )
                if status == DEAD:
                    st.dead_deliveries += int(n)
                else:
                    st.failing_deliveries += int(n)
            if by_host:
                for r in conn.execute(
                    select(ap_servers).where(ap_servers.c.host.in_(list(by_host)))
                ):
                    st = by_host[r.host]
                    st.consecutive_failures = r.failures
                    st.last_error = r.last_error
                    st.last_failure_at = r.last_failure_at
                    st.last_success_at = r.last_success_at
                    st.retry_after = r.retry_after
        return sorted(
            by_host.values(),
            key=lambda s: (
                -(s.failing_deliveries + s.dead_deliveries),
                -s.consecutive_failures,
                s.host,
            ),
        )
