"""ap_deliveries: the delivery queue, one row per activity x inbox (like Takahe's fan-out
states). Workers claim rows with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite
serialises writers), so several processes can share one database without sending anything
twice, and a dead worker's rows come back when its lease runs out."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Text,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from syndicate.models.delivery_states import (
    DEAD,
    DONE,
    PENDING,
    DeliveryState,
    Trigger,
    is_final,
    server_backoff,
    target,
)
from syndicate.models.federation import (
    DeliveryJob,
    DeliveryOutcome,
    InboxStatus,
    LeaseOffer,
    NewActivity,
    Queued,
    host_of,
)
from syndicate.store.federation import servers
from syndicate.store.federation.followers import list_followers, prune_inbox
from syndicate.store.federation.sql import one_of
from syndicate.store.tables import ap_activities, ap_deliveries


def queue_deliveries(
    conn: Connection,
    act: NewActivity,
    inboxes: Iterable[str],
    now: datetime,
    not_before: dict[str, datetime] | None = None,
    offer: LeaseOffer | None = None,
) -> Queued:
    """One pending row per inbox for a stored activity; with an offer, the first due rows (up to
    its size) are inserted leased to that worker and come back as jobs."""
    targets = sorted(set(inboxes)) if act.delivered else []
    if not targets:
        return Queued()
    hosts = [host_of(i) for i in targets]
    # A server marked unavailable is not tried again before its retry time; what a claim would
    # read about each server comes from the same query.
    health = servers.health_by_host(conn, set(hosts))
    rows: list[_NewRow] = []
    taken = 0
    for inbox, host in zip(targets, hosts, strict=True):
        server = health.get(host)
        retry = server.retry_after if server is not None else None
        due = max(now, retry or now, (not_before or {}).get(inbox) or now)
        leased = offer is not None and taken < offer.rows and due <= now
        taken += leased
        rows.append(_NewRow(inbox, host, due, offer if leased else None))
    ids = _insert_rows(conn, act, now, rows, returning=taken > 0)
    jobs = [
        _job(
            {
                "id": ids[r.inbox],
                "activity_id": act.id,
                "source_id": act.source_id,
                "inbox": r.inbox,
                "host": r.host,
                "attempts": 0,
                "created_at": now,
            },
            r.lease.token,
            act.payload,
            health.get(r.host),
            now,
        )
        for r in rows
        if r.lease is not None
    ]
    return Queued(len(rows), jobs)


class _NewRow(NamedTuple):
    inbox: str
    host: str
    due: datetime
    lease: LeaseOffer | None


def _insert_rows(
    conn: Connection, act: NewActivity, now: datetime, rows: list[_NewRow], *, returning: bool
) -> dict[str, int]:
    """Insert one activity's delivery rows; with `returning`, their ids by inbox."""
    d = ap_deliveries
    if conn.dialect.name == "postgresql":
        # One INSERT … SELECT FROM unnest(arrays): the statement's text is the same for any
        # number of inboxes, so psycopg and the server parse it once; a multi-row VALUES
        # (what an executemany with RETURNING becomes) has 10 parameters per inbox and was
        # parsed anew on every call, most of the cost of queueing a fan-out.
        when = ARRAY(DateTime(timezone=True))
        t = (
            func.unnest(
                literal([r.inbox for r in rows], ARRAY(Text)),
                literal([r.host for r in rows], ARRAY(Text)),
                literal([r.due for r in rows], when),
                literal([r.lease.until if r.lease else None for r in rows], when),
                literal([r.lease.token if r.lease else None for r in rows], ARRAY(Text)),
            )
            .table_valued("inbox", "host", "due", "lease_until", "lease_token")
            .render_derived("t")
        )
        stmt = insert(d).from_select(
            [
                d.c.activity_id,
                d.c.source_id,
                d.c.inbox,
                d.c.host,
                d.c.status,
                d.c.attempts,
                d.c.next_attempt_at,
                d.c.created_at,
                d.c.lease_until,
                d.c.lease_token,
            ],
            select(
                literal(act.id, d.c.activity_id.type),
                literal(act.source_id, d.c.source_id.type),
                t.c.inbox,
                t.c.host,
                literal(str(PENDING), d.c.status.type),
                literal(0),
                t.c.due,
                literal(now, d.c.created_at.type),
                t.c.lease_until,
                t.c.lease_token,
            ),
        )
        if not returning:
            conn.execute(stmt)
            return {}
        return dict(conn.execute(stmt.returning(d.c.inbox, d.c.id)).all())
    values = [
        {
            "activity_id": act.id,
            "source_id": act.source_id,
            "inbox": r.inbox,
            "host": r.host,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": r.due,
            "created_at": now,
            "lease_until": r.lease.until if r.lease else None,
            "lease_token": r.lease.token if r.lease else None,
        }
        for r in rows
    ]
    if not returning:  # SQLite runs an executemany in-process, without parsing it again
        conn.execute(insert(d), values)
        return {}
    return dict(conn.execute(insert(d).returning(d.c.inbox, d.c.id), values).all())


def _job(row: Any, token: str, payload: dict[str, Any], server: Any, now: datetime) -> DeliveryJob:
    """A leased row (a mapping or a Row with the job's columns) as the job a worker sends."""
    return DeliveryJob(
        id=row["id"],
        activity_id=row["activity_id"],
        source_id=row["source_id"],
        inbox=row["inbox"],
        host=row["host"],
        attempts=row["attempts"],
        created_at=row["created_at"],
        lease_token=token,
        payload=payload,
        signature=server.signature if server is not None else None,
        server_healthy=servers.is_healthy(server, now),
    )


def withdraw(
    conn: Connection, article_id: str, now: datetime
) -> tuple[list[str], dict[str, datetime]]:
    """A removed article: cancel its Create/Update copies not yet sent, and say which
    inboxes need the Delete (those that got the post, or may be getting it right now) and
    when at the earliest (after an in-flight copy's lease, so the Delete cannot overtake it
    and leave the withdrawn text standing on the other side)."""
    d = ap_deliveries
    prior = select(ap_activities.c.id).where(
        ap_activities.c.article_id == article_id,
        ap_activities.c.type.in_(("Create", "Update")),
    )
    idle = or_(d.c.lease_until.is_(None), d.c.lease_until < now)
    conn.execute(
        update(d)
        .where(d.c.activity_id.in_(prior), d.c.status == PENDING, idle)
        .values(status=target(PENDING, Trigger.WITHDRAWN), lease_token=None)
    )
    rows = conn.execute(
        select(d.c.inbox, d.c.status, d.c.lease_until).where(
            d.c.activity_id.in_(prior), d.c.status.in_((DONE, PENDING))
        )
    ).all()
    not_before: dict[str, datetime] = {}
    for r in rows:
        if r.status == PENDING and r.lease_until is not None:
            lease = r.lease_until
            not_before[r.inbox] = max(lease, not_before.get(r.inbox, lease))
    return sorted({r.inbox for r in rows}), not_before


class DeliveryQueries:
    engine: Engine

    def claim_deliveries(
        self, limit: int, lease: timedelta, now: datetime | None = None
    ) -> list[DeliveryJob]:
        """Lease up to `limit` due deliveries for this worker. Rows leased by a live worker are
        skipped (SKIP LOCKED on PostgreSQL); a lease that ran out is taken over."""
        now = now or datetime.now(UTC)
        token = secrets.token_hex(16)
        d = ap_deliveries
        free = or_(d.c.lease_until.is_(None), d.c.lease_until < now)
        due = and_(d.c.status == PENDING, d.c.next_attempt_at <= now, free)
        p = d.alias("pick")  # an alias, so the subquery is not correlated with the UPDATE
        pick = (
            select(p.c.id)
            .where(
                p.c.status == PENDING,
                p.c.next_attempt_at <= now,
                or_(p.c.lease_until.is_(None), p.c.lease_until < now),
            )
            .order_by(p.c.next_attempt_at, p.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self.engine.begin() as conn:
            target: ColumnElement[bool]
            if self.engine.dialect.name == "sqlite":
                # One statement: SQLite takes its write lock before reading, so two processes
                # can never lease the same row.
                target = d.c.id.in_(pick)
            else:
                # PostgreSQL: lock, then update, in one statement (one round trip). The pick is
                # a MATERIALIZED CTE, so it runs once: an UPDATE … IN (SELECT … SKIP LOCKED
                # LIMIT n) may re-run the subquery per row and lease far more than n.
                picked = pick.cte("picked").prefix_with("MATERIALIZED")
                target = d.c.id == picked.c.id
            # RETURNING names exactly the rows this lease took (lease_token has no index, so
            # selecting by it afterwards would scan the whole table on every claim).
            rows = conn.execute(
                update(d)
                .where(target, due)
                .values(lease_until=now + lease, lease_token=token)
                .returning(
                    d.c.id,
                    d.c.activity_id,
                    d.c.source_id,
                    d.c.inbox,
                    d.c.host,
                    d.c.attempts,
                    d.c.created_at,
                )
            ).all()
            if not rows:
                return []
            # Payloads and server health once per activity / host, not once per row: a fan-out
            # claim is mostly one activity to many hosts, or one host for many activities.
            payloads = dict(
                conn.execute(
                    select(ap_activities.c.id, ap_activities.c.payload).where(
                        one_of(conn, ap_activities.c.id, {r.activity_id for r in rows})
                    )
                ).all()
            )
            health = servers.health_by_host(conn, {r.host for r in rows})
        # Rows are sorted by id: the order they were queued in.
        return [
            _job(r._mapping, token, dict(payloads[r.activity_id]), health.get(r.host), now)
            for r in sorted(rows, key=lambda r: r.id)
            if r.activity_id in payloads  # cannot fail (activities are never deleted first)
        ]

    def release_deliveries(self, jobs: Iterable[DeliveryJob]) -> None:
        """Give back leased rows that were not attempted (a clean shutdown)."""
        by_token: dict[str, list[int]] = {}
        for j in jobs:
            by_token.setdefault(j.lease_token, []).append(j.id)
        if not by_token:
            return
        with self.engine.begin() as conn:
            for token, ids in by_token.items():
                conn.execute(
                    update(ap_deliveries)
                    .where(
                        one_of(conn, ap_deliveries.c.id, ids),
                        ap_deliveries.c.lease_token == token,
                    )
                    .values(lease_until=None, lease_token=None)
                )

    def finish_deliveries(
        self,
        outcomes: Iterable[DeliveryOutcome],
        *,
        server_backoff: Callable[[int], timedelta | None] = server_backoff,
        now: datetime | None = None,
    ) -> None:
        """Persist a batch of transition() results in one transaction: the rows, the servers'
        health (`server_backoff(consecutive failures)` -> how long to treat it as unavailable, or
        None), and the followers behind inboxes that are gone."""
        now = now or datetime.now(UTC)
        outcomes = list(outcomes)
        if not outcomes:
            return
        d = ap_deliveries
        done = [o for o in outcomes if o.status == DONE]
        with self.engine.begin() as conn:
            # The common case: one UPDATE per (lease, answer, attempt count), i.e. a couple of
            # statements for a batch of 64, not one per row (an executemany still runs each).
            groups: dict[tuple[str, int | None, int], list[int]] = {}
            for o in done:
                groups.setdefault((o.lease_token, o.last_status, o.attempts), []).append(o.id)
            for (token, status, attempts), ids in groups.items():
                conn.execute(
                    update(d)
                    .where(one_of(conn, d.c.id, ids), d.c.lease_token == token)
                    .values(
                        status=DONE,
                        attempts=attempts,
                        last_status=status,
                        last_error=None,
                        lease_until=None,
                        lease_token=None,
                        finished_at=now,
                    )
                )
            for o in outcomes:
                if o.status == DONE:
                    continue
                values: dict[str, Any] = {
                    "status": o.status,
                    "attempts": o.attempts,
                    "last_status": o.last_status,
                    "last_error": o.last_error,
                    "lease_until": None,
                    "lease_token": None,
                }
                if is_final(o.status):
                    values["finished_at"] = now
                else:
                    values["next_attempt_at"] = o.next_attempt_at or now
                conn.execute(
                    update(d)
                    .where(d.c.id == o.id, d.c.lease_token == o.lease_token)
                    .values(**values)
                )
                if o.status == target(PENDING, Trigger.INBOX_GONE):
                    # The same news for every row still queued for that inbox.
                    prune_inbox(conn, o.inbox)
                    conn.execute(
                        update(d)
                        .where(d.c.inbox == o.inbox, d.c.status == PENDING)
                        .values(status=o.status, finished_at=now, last_error="inbox is gone")
                    )
            health = [o for o in outcomes if o.server_ok is not None]
            if health:
                servers.record_results(conn, health, now, server_backoff)

    def delivery_counts(self, activity_id: str | None = None) -> dict[str, int]:
        q = select(ap_deliveries.c.status, func.count()).group_by(ap_deliveries.c.status)
        if activity_id is not None:
            q = q.where(ap_deliveries.c.activity_id == activity_id)
        with self.engine.connect() as conn:
            return {status: int(n) for status, n in conn.execute(q).all()}

    def deliveries(self, activity_id: str | None = None) -> list[dict[str, Any]]:
        q = select(ap_deliveries).order_by(ap_deliveries.c.id)
        if activity_id is not None:
            q = q.where(ap_deliveries.c.activity_id == activity_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def inbox_status(self, source_id: str) -> list[InboxStatus]:
        """Per delivery inbox of a source: who is behind it and how deliveries there went."""
        out: dict[str, InboxStatus] = {}
        group: dict[str, str] = {}  # any inbox we deliver to -> the row it is shown under
        with self.engine.connect() as conn:
            followers = list_followers(conn, source_id)
        for f in followers:
            group[f.inbox] = group[f.delivery_inbox] = f.delivery_inbox
            st = out.get(f.delivery_inbox)
            if st is None:
                st = out[f.delivery_inbox] = InboxStatus(
                    inbox=f.delivery_inbox,
                    server=host_of(f.delivery_inbox),
                    followers=0,
                    followed_since=f.since,
                    last_delivery_at=None,
                    pending=0,
                    failures=0,
                    dead=0,
                    last_error=None,
                )
            st.followers += 1
            st.followed_since = min(st.followed_since, f.since)
            st.actors.append(f.actor_id)
        if not out:
            return []
        d = ap_deliveries
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    d.c.inbox,
                    d.c.status,
                    func.count(),
                    func.sum(d.c.attempts),
                    func.max(d.c.finished_at),
                )
                .where(d.c.source_id == source_id, d.c.inbox.in_(list(group)))
                .group_by(d.c.inbox, d.c.status)
            ).all()
            for inbox, status, n, attempts, finished in rows:
                st = out[group[inbox]]
                if status == DONE:
                    if finished and (st.last_delivery_at is None or finished > st.last_delivery_at):
                        st.last_delivery_at = finished
                elif status == PENDING:
                    st.pending += int(n)
                    st.failures += int(attempts or 0)
                elif status == DEAD:
                    st.dead += int(n)
            errors = conn.execute(
                select(d.c.inbox, d.c.last_error)
                .where(
                    d.c.source_id == source_id,
                    d.c.inbox.in_(list(group)),
                    d.c.last_error.is_not(None),
                    d.c.status != DONE,
                )
                .order_by(d.c.id)
            ).all()
            for inbox, err in errors:
                out[group[inbox]].last_error = err
        return sorted(out.values(), key=lambda s: (s.server, s.inbox))

    def prune_deliveries(self, finished_before: datetime) -> int:
        """Forget deliveries that reached a final state before `finished_before`."""
        d = ap_deliveries
        final = [str(st) for st in DeliveryState if is_final(st)]
        with self.engine.begin() as conn:
            return conn.execute(
                delete(d).where(d.c.status.in_(final), d.c.finished_at < finished_before)
            ).rowcount
