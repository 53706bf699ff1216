"""Federation storage: actor keys, followers, remote actor keys, activities and the delivery queue.

The delivery queue is one row per activity x inbox (like Takahe's fan-out states). Workers claim
rows with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers), so several
processes can share one database without sending anything twice, and a dead worker's rows come
back when its lease runs out.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from syndicate.models import ArticleStatus
from syndicate.store.tables import (
    ap_activities,
    ap_cursor,
    ap_deliveries,
    ap_followers,
    ap_keys,
    ap_reactions,
    ap_remote_actors,
    ap_seen_signatures,
    ap_servers,
    articles,
)

PENDING, DONE, GONE, DEAD = "pending", "done", "gone", "dead"
CANCELLED = "canceled"  # never sent: the article was removed first (status column holds 8 chars)
HEALTH_REFRESH = timedelta(minutes=1)  # how stale a healthy server's last_success_at may get


@dataclass(slots=True)
class Follower:
    source_id: str
    actor_id: str
    inbox: str
    shared_inbox: str | None
    since: datetime
    follow_id: str | None = None

    @property
    def delivery_inbox(self) -> str:
        return self.shared_inbox or self.inbox

    @property
    def server(self) -> str:
        return urlsplit(self.actor_id).netloc


@dataclass(slots=True)
class RemoteActor:
    actor_id: str
    key_id: str
    public_pem: str
    inbox: str | None
    shared_inbox: str | None
    fetched_at: datetime


@dataclass(slots=True)
class NewActivity:
    id: str
    source_id: str
    type: str
    payload: dict[str, Any]
    published: datetime
    article_id: str | None = None
    event_id: int | None = None
    delivered: bool = True


@dataclass(slots=True)
class DeliveryJob:
    """A claimed delivery: POST `payload` to `inbox`, signed by `source_id`'s key."""

    id: int
    activity_id: str
    source_id: str
    inbox: str
    host: str
    attempts: int
    created_at: datetime
    lease_token: str
    payload: dict[str, Any]
    signature: str | None  # what the server accepted last time (cavage / rfc9421), if known
    server_healthy: bool = False  # known, no failures, success recorded lately: nothing to write


@dataclass(slots=True)
class DeliveryOutcome:
    """What a worker learned from one attempt; written back by finish_deliveries()."""

    id: int
    lease_token: str
    host: str
    inbox: str
    status: str  # pending (retry) / done / gone / dead
    attempts: int
    next_attempt_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    server_ok: bool | None = None  # True: the server answered well; False: it failed; None: neither
    signature: str | None = None


@dataclass(slots=True)
class ServerStatus:
    """Delivery health of one remote server, as the source page and `syndicate followers` show it."""

    host: str
    followers: int
    failing_deliveries: int
    dead_deliveries: int
    consecutive_failures: int
    last_error: str | None
    last_failure_at: datetime | None
    last_success_at: datetime | None
    retry_after: datetime | None  # set while we treat the server as unavailable


@dataclass(slots=True)
class InboxStatus:
    inbox: str
    server: str
    followers: int
    followed_since: datetime
    last_delivery_at: datetime | None
    pending: int
    failures: int  # failed attempts on deliveries not yet done
    dead: int
    last_error: str | None
    actors: list[str] = field(default_factory=list)


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _row_follower(r: Any) -> Follower:
    return Follower(
        source_id=r.source_id,
        actor_id=r.actor_id,
        inbox=r.inbox,
        shared_inbox=r.shared_inbox,
        since=r.created_at,
        follow_id=r.follow_id,
    )


class FederationQueries:
    engine: Engine

    # ---- keys -------------------------------------------------------------------------------

    def ap_key(self, owner: str) -> tuple[str, str] | None:
        """(private PEM, public PEM) of a local actor, or None before it was generated."""
        with self.engine.connect() as conn:
            row = conn.execute(select(ap_keys).where(ap_keys.c.owner == owner)).first()
        return (row.private_pem, row.public_pem) if row else None

    def ap_key_created(self, owner: str) -> datetime:
        """When a local actor's key was made: the actor's `published` time."""
        with self.engine.connect() as conn:
            v = conn.execute(select(ap_keys.c.created_at).where(ap_keys.c.owner == owner)).scalar()
        return v or datetime.now(UTC)

    def save_ap_key(self, owner: str, private_pem: str, public_pem: str) -> tuple[str, str]:
        """Store a key pair once; if another process stored one first, that one wins."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(ap_keys).values(
                        owner=owner,
                        private_pem=private_pem,
                        public_pem=public_pem,
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            pass
        stored = self.ap_key(owner)
        assert stored is not None
        return stored

    # ---- followers --------------------------------------------------------------------------

    def add_follower(
        self,
        source_id: str,
        actor_id: str,
        inbox: str,
        shared_inbox: str | None,
        follow_id: str | None,
        now: datetime | None = None,
    ) -> bool:
        """Store a follower; True when new. A repeated Follow refreshes the inbox and Follow id."""
        now = now or datetime.now(UTC)
        values = {"inbox": inbox, "shared_inbox": shared_inbox, "follow_id": follow_id}
        with self.engine.begin() as conn:
            done = conn.execute(
                update(ap_followers)
                .where(ap_followers.c.source_id == source_id, ap_followers.c.actor_id == actor_id)
                .values(**values)
            ).rowcount
            if done:
                return False
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(ap_followers).values(
                            source_id=source_id, actor_id=actor_id, created_at=now, **values
                        )
                    )
            except IntegrityError:  # a concurrent duplicate Follow got there first
                return False
        return True

    def remove_follower(self, source_id: str, actor_id: str) -> bool:
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    delete(ap_followers).where(
                        ap_followers.c.source_id == source_id, ap_followers.c.actor_id == actor_id
                    )
                ).rowcount
            )

    def remove_remote_actor(self, actor_id: str) -> int:
        """A remote account was deleted: drop it as a follower everywhere and forget its key."""
        with self.engine.begin() as conn:
            n = conn.execute(
                delete(ap_followers).where(ap_followers.c.actor_id == actor_id)
            ).rowcount
            conn.execute(delete(ap_remote_actors).where(ap_remote_actors.c.actor_id == actor_id))
        return n

    def followers(self, source_id: str) -> list[Follower]:
        """Every follower of a source, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ap_followers)
                .where(ap_followers.c.source_id == source_id)
                .order_by(ap_followers.c.created_at, ap_followers.c.id)
            )
            return [_row_follower(r) for r in rows]

    def follower(self, source_id: str, actor_id: str) -> Follower | None:
        with self.engine.connect() as conn:
            r = conn.execute(
                select(ap_followers).where(
                    ap_followers.c.source_id == source_id, ap_followers.c.actor_id == actor_id
                )
            ).first()
        return _row_follower(r) if r else None

    def follower_count(self, source_id: str | None = None) -> int:
        q = select(func.count()).select_from(ap_followers)
        if source_id is not None:
            q = q.where(ap_followers.c.source_id == source_id)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def follower_ids(self, source_id: str, *, limit: int, offset: int = 0) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(ap_followers.c.actor_id)
                    .where(ap_followers.c.source_id == source_id)
                    .order_by(ap_followers.c.created_at.desc(), ap_followers.c.id.desc())
                    .limit(limit)
                    .offset(offset)
                ).scalars()
            )

    def delivery_inboxes(self, source_id: str) -> list[str]:
        """One inbox per follower, the shared inbox where the server has one, without repeats."""
        with self.engine.connect() as conn:
            return self._delivery_inboxes(conn, source_id)

    def _delivery_inboxes(self, conn: Connection, source_id: str) -> list[str]:
        target = func.coalesce(ap_followers.c.shared_inbox, ap_followers.c.inbox)
        rows = conn.execute(
            select(target).where(ap_followers.c.source_id == source_id).distinct()
        ).scalars()
        return sorted(set(rows))

    def prune_inbox(self, inbox: str) -> int:
        """An inbox answered 404/410: the followers behind it are gone."""
        with self.engine.begin() as conn:
            return self._prune_inbox(conn, inbox)

    def _prune_inbox(self, conn: Connection, inbox: str) -> int:
        return conn.execute(
            delete(ap_followers).where(
                or_(ap_followers.c.inbox == inbox, ap_followers.c.shared_inbox == inbox)
            )
        ).rowcount

    # ---- remote actors (key cache) ----------------------------------------------------------

    def remote_actor_by_key(self, key_id: str) -> RemoteActor | None:
        with self.engine.connect() as conn:
            r = conn.execute(
                select(ap_remote_actors).where(ap_remote_actors.c.key_id == key_id).limit(1)
            ).first()
        return RemoteActor(**r._mapping) if r else None

    def remote_actor(self, actor_id: str) -> RemoteActor | None:
        with self.engine.connect() as conn:
            r = conn.execute(
                select(ap_remote_actors).where(ap_remote_actors.c.actor_id == actor_id)
            ).first()
        return RemoteActor(**r._mapping) if r else None

    def save_remote_actor(self, actor: RemoteActor) -> None:
        values = {
            "key_id": actor.key_id,
            "public_pem": actor.public_pem,
            "inbox": actor.inbox,
            "shared_inbox": actor.shared_inbox,
            "fetched_at": actor.fetched_at,
        }
        with self.engine.begin() as conn:
            done = conn.execute(
                update(ap_remote_actors)
                .where(ap_remote_actors.c.actor_id == actor.actor_id)
                .values(**values)
            ).rowcount
            if not done:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(ap_remote_actors).values(actor_id=actor.actor_id, **values)
                        )
                except IntegrityError:
                    pass

    def signature_seen(self, digest: str, now: datetime, keep: timedelta) -> bool:
        """Remember a request signature; True if it was seen before (a replay)."""
        with self.engine.begin() as conn:
            conn.execute(
                delete(ap_seen_signatures).where(ap_seen_signatures.c.seen_at < now - keep)
            )
            try:
                with conn.begin_nested():
                    conn.execute(insert(ap_seen_signatures).values(digest=digest, seen_at=now))
            except IntegrityError:
                return True
        return False

    # ---- activities ------------------------------------------------------------------------

    def _insert_activity(
        self,
        conn: Connection,
        act: NewActivity,
        inboxes: Iterable[str],
        now: datetime,
        not_before: dict[str, datetime] | None = None,
    ) -> int:
        conn.execute(
            insert(ap_activities).values(
                id=act.id,
                source_id=act.source_id,
                type=act.type,
                article_id=act.article_id,
                event_id=act.event_id,
                published=act.published,
                delivered=act.delivered,
                payload=act.payload,
            )
        )
        rows = []
        targets = sorted(set(inboxes)) if act.delivered else []
        hosts = {_host(i) for i in targets}
        # A server marked unavailable is not tried again before its retry time.
        retry = {}
        if hosts:
            retry = dict(
                conn.execute(
                    select(ap_servers.c.host, ap_servers.c.retry_after).where(
                        ap_servers.c.host.in_(hosts), ap_servers.c.retry_after.is_not(None)
                    )
                ).all()
            )
        for inbox in targets:
            host = _host(inbox)
            due = max(now, retry.get(host) or now, (not_before or {}).get(inbox) or now)
            rows.append(
                {
                    "activity_id": act.id,
                    "source_id": act.source_id,
                    "inbox": inbox,
                    "host": host,
                    "status": PENDING,
                    "attempts": 0,
                    "next_attempt_at": due,
                    "created_at": now,
                }
            )
        if rows:
            conn.execute(insert(ap_deliveries), rows)
        return len(rows)

    def add_activity(
        self, act: NewActivity, inboxes: Iterable[str] = (), now: datetime | None = None
    ) -> int:
        """Store an activity and queue it for each inbox; returns the number of deliveries."""
        with self.engine.begin() as conn:
            return self._insert_activity(conn, act, inboxes, now or datetime.now(UTC))

    def add_event_activity(
        self,
        act: NewActivity | None,
        event_id: int,
        *,
        cursor: str,
        refresh_create: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> int:
        """Answer one article event atomically: store the activity, queue one delivery per
        follower inbox, and move the cursor past the event. Another process that answered the
        same event first wins (unique event id); returns the number of deliveries queued."""
        now = now or datetime.now(UTC)
        n = 0
        try:
            with self.engine.begin() as conn:
                if act is not None:
                    not_before: dict[str, datetime] = {}
                    if not act.delivered:
                        inboxes: list[str] = []
                    elif act.type == "Delete" and act.article_id:
                        inboxes, not_before = self._withdraw(conn, act.article_id, now)
                    else:
                        inboxes = self._delivery_inboxes(conn, act.source_id)
                    n = self._insert_activity(conn, act, inboxes, now, not_before)
                    if refresh_create is not None and act.article_id:
                        self._refresh_create(conn, act.article_id, refresh_create)
                self._advance(conn, cursor, event_id)
        except IntegrityError:
            with self.engine.begin() as conn:
                self._advance(conn, cursor, event_id)
            return 0
        return n

    def _withdraw(
        self, conn: Connection, article_id: str, now: datetime
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
            .values(status=CANCELLED, lease_token=None)
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

    def _refresh_create(self, conn: Connection, article_id: str, obj: dict[str, Any]) -> None:
        # The outbox and /activities/{id} show a Create with the article as it is now.
        row = conn.execute(
            select(ap_activities.c.id, ap_activities.c.payload).where(
                ap_activities.c.article_id == article_id, ap_activities.c.type == "Create"
            )
        ).first()
        if row is not None:
            payload = dict(row.payload)
            payload["object"] = obj
            conn.execute(
                update(ap_activities).where(ap_activities.c.id == row.id).values(payload=payload)
            )

    def activity(self, activity_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            payload = conn.execute(
                select(ap_activities.c.payload).where(ap_activities.c.id == activity_id)
            ).scalar()
        return dict(payload) if payload is not None else None

    def activities_for_article(self, article_id: str) -> list[tuple[str, str, bool]]:
        """(activity id, type, delivered) for an article, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ap_activities.c.id, ap_activities.c.type, ap_activities.c.delivered)
                .where(ap_activities.c.article_id == article_id)
                .order_by(ap_activities.c.event_id)
            )
            return [(r.id, r.type, r.delivered) for r in rows]

    def _outbox_query(self, source_id: str):  # type: ignore[no-untyped-def]
        return (
            ap_activities.join(articles, articles.c.id == ap_activities.c.article_id),
            and_(
                ap_activities.c.source_id == source_id,
                ap_activities.c.type == "Create",
                articles.c.status == ArticleStatus.ACTIVE.value,
            ),
        )

    def outbox_count(self, source_id: str) -> int:
        frm, where = self._outbox_query(source_id)
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(frm).where(where)).scalar_one()
            )

    def outbox_page(self, source_id: str, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
        """Create activities of the articles still online, newest article first."""
        frm, where = self._outbox_query(source_id)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ap_activities.c.payload)
                .select_from(frm)
                .where(where)
                .order_by(ap_activities.c.published.desc(), ap_activities.c.id.desc())
                .limit(limit)
                .offset(offset)
            ).scalars()
            return [dict(p) for p in rows]

    # ---- cursor ----------------------------------------------------------------------------

    def ap_cursor(self, name: str) -> int | None:
        with self.engine.connect() as conn:
            v = conn.execute(
                select(ap_cursor.c.last_event_id).where(ap_cursor.c.name == name)
            ).scalar()
        return None if v is None else int(v)

    def _advance(self, conn: Connection, name: str, event_id: int) -> None:
        done = conn.execute(
            update(ap_cursor)
            .where(ap_cursor.c.name == name, ap_cursor.c.last_event_id < event_id)
            .values(last_event_id=event_id)
        ).rowcount
        if not done:
            exists = conn.execute(select(ap_cursor.c.name).where(ap_cursor.c.name == name)).first()
            if exists is None:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(ap_cursor).values(name=name, last_event_id=event_id))
                except IntegrityError:
                    pass

    # ---- deliveries ------------------------------------------------------------------------

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
            if self.engine.dialect.name == "sqlite":
                # One statement: SQLite takes its write lock before reading, so two processes
                # can never lease the same row.
                target = d.c.id.in_(pick)
            else:
                # PostgreSQL: lock first, then update. (An UPDATE … IN (SELECT … SKIP LOCKED
                # LIMIT n) may re-run the subquery per row and lease far more than n.)
                ids = list(conn.execute(pick).scalars())
                if not ids:
                    return []
                target = d.c.id.in_(ids)
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
                        ap_activities.c.id.in_({r.activity_id for r in rows})
                    )
                ).all()
            )
            servers = {
                s.host: s
                for s in conn.execute(
                    select(
                        ap_servers.c.host,
                        ap_servers.c.signature,
                        ap_servers.c.failures,
                        ap_servers.c.retry_after,
                        ap_servers.c.last_success_at,
                    ).where(ap_servers.c.host.in_({r.host for r in rows}))
                )
            }
        jobs = []
        for r in sorted(rows, key=lambda r: r.id):
            if r.activity_id not in payloads:  # cannot happen (never deleted); as the old join
                continue
            s = servers.get(r.host)
            jobs.append(
                DeliveryJob(
                    id=r.id,
                    activity_id=r.activity_id,
                    source_id=r.source_id,
                    inbox=r.inbox,
                    host=r.host,
                    attempts=r.attempts,
                    created_at=r.created_at,
                    lease_token=token,
                    payload=dict(payloads[r.activity_id]),
                    signature=s.signature if s else None,
                    server_healthy=bool(
                        s
                        and s.signature
                        and not s.failures
                        and s.retry_after is None
                        and s.last_success_at is not None
                        and now - s.last_success_at < HEALTH_REFRESH
                    ),
                )
            )
        return jobs

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
                    .where(ap_deliveries.c.id.in_(ids), ap_deliveries.c.lease_token == token)
                    .values(lease_until=None, lease_token=None)
                )

    def finish_deliveries(
        self,
        outcomes: Iterable[DeliveryOutcome],
        *,
        server_backoff: Callable[[int], timedelta | None],
        now: datetime | None = None,
    ) -> None:
        """Write back a batch of attempts in one transaction: the rows, the servers' health
        (`server_backoff(consecutive failures)` -> how long to treat it as unavailable, or None),
        and the followers behind inboxes that are gone."""
        now = now or datetime.now(UTC)
        outcomes = list(outcomes)
        if not outcomes:
            return
        d = ap_deliveries
        done = [o for o in outcomes if o.status == DONE]
        with self.engine.begin() as conn:
            if done:  # the common case, one executemany
                conn.execute(
                    update(d)
                    .where(d.c.id == bindparam("_id"), d.c.lease_token == bindparam("_token"))
                    .values(
                        status=DONE,
                        attempts=bindparam("_attempts"),
                        last_status=bindparam("_status"),
                        last_error=None,
                        lease_until=None,
                        lease_token=None,
                        finished_at=now,
                    ),
                    [
                        {
                            "_id": o.id,
                            "_token": o.lease_token,
                            "_attempts": o.attempts,
                            "_status": o.last_status,
                        }
                        for o in done
                    ],
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
                if o.status == PENDING:
                    values["next_attempt_at"] = o.next_attempt_at or now
                else:
                    values["finished_at"] = now
                conn.execute(
                    update(d)
                    .where(d.c.id == o.id, d.c.lease_token == o.lease_token)
                    .values(**values)
                )
                if o.status == GONE:
                    self._prune_inbox(conn, o.inbox)
                    conn.execute(
                        update(d)
                        .where(d.c.inbox == o.inbox, d.c.status == PENDING)
                        .values(status=GONE, finished_at=now, last_error="inbox is gone")
                    )
            health = [o for o in outcomes if o.server_ok is not None]
            if health:
                self._server_results(conn, health, now, server_backoff)

    def _server_results(
        self,
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
        rows = {r.host: r for r in conn.execute(select(s).where(s.c.host.in_(hosts)))}
        missing = [h for h in hosts if h not in rows]
        if missing:
            ins = (pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert)(s)
            conn.execute(
                ins.on_conflict_do_nothing(index_elements=[s.c.host]),
                [{"host": h, "failures": 0} for h in missing],
            )
            rows.update((r.host, r) for r in conn.execute(select(s).where(s.c.host.in_(missing))))
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
                self._wake_host(conn, host, now)
            if push is not None:
                # Everything else queued for this server waits for the same probe time.
                conn.execute(
                    update(ap_deliveries)
                    .where(
                        ap_deliveries.c.host == host,
                        ap_deliveries.c.status == PENDING,
                        ap_deliveries.c.next_attempt_at < push,
                        ap_deliveries.c.lease_token.is_(None),
                    )
                    .values(next_attempt_at=push)
                )
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

    def _wake_host(self, conn: Connection, host: str, now: datetime) -> None:
        conn.execute(
            update(ap_deliveries)
            .where(ap_deliveries.c.host == host, ap_deliveries.c.status == PENDING)
            .values(next_attempt_at=now)
        )

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
                self._wake_host(conn, host, now)
        return bool(marked)

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

    # ---- status for people -----------------------------------------------------------------

    def inbox_status(self, source_id: str) -> list[InboxStatus]:
        """Per delivery inbox of a source: who is behind it and how deliveries there went."""
        out: dict[str, InboxStatus] = {}
        group: dict[str, str] = {}  # any inbox we deliver to -> the row it is shown under
        for f in self.followers(source_id):
            group[f.inbox] = group[f.delivery_inbox] = f.delivery_inbox
            st = out.get(f.delivery_inbox)
            if st is None:
                st = out[f.delivery_inbox] = InboxStatus(
                    inbox=f.delivery_inbox,
                    server=_host(f.delivery_inbox),
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

    def delivery_failures_by_server(self, source_id: str) -> list[ServerStatus]:
        """Servers that follow a source, worst first: failing or dead deliveries, the last error,
        and whether we are holding off (retry_after) because the server keeps failing."""
        d = ap_deliveries
        by_host: dict[str, ServerStatus] = {}
        for f in self.followers(source_id):
            host = _host(f.delivery_inbox)
            st = by_host.get(host)
            if st is None:
                st = by_host[host] = ServerStatus(host, 0, 0, 0, 0, None, None, None, None)
            st.followers += 1
        with self.engine.connect() as conn:
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

    # ---- reactions -------------------------------------------------------------------------

    def add_reaction(
        self,
        activity_id: str,
        article_id: str,
        kind: str,
        actor_id: str,
        content: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(ap_reactions).values(
                        activity_id=activity_id,
                        article_id=article_id,
                        kind=kind,
                        actor_id=actor_id,
                        content=content,
                        created_at=now or datetime.now(UTC),
                    )
                )
        except IntegrityError:
            return False
        return True

    def remove_reaction(self, activity_id: str, actor_id: str) -> bool:
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    delete(ap_reactions).where(
                        ap_reactions.c.activity_id == activity_id,
                        ap_reactions.c.actor_id == actor_id,
                    )
                ).rowcount
            )

    def reaction_counts(self, article_id: str) -> dict[str, int]:
        """{'like': n, 'announce': n, 'emoji': n} for an article (emoji reactions from Misskey etc.)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ap_reactions.c.kind, func.count())
                .where(ap_reactions.c.article_id == article_id)
                .group_by(ap_reactions.c.kind)
            ).all()
        return {k: int(n) for k, n in rows}
