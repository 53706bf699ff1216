"""ap_activities: every activity we published (the outbox and /activities/{id})."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from syndicate.models import ArticleStatus
from syndicate.models.delivery_states import PENDING
from syndicate.models.federation import LeaseOffer, NewActivity, Queued, Revocation
from syndicate.store.cursors import advance_position as advance
from syndicate.store.federation.deliveries import queue_deliveries, withdraw
from syndicate.store.federation.followers import delivery_inboxes
from syndicate.store.federation.quote_stamps import drop_stamps
from syndicate.store.tables import ap_activities, ap_deliveries, articles


def _insert(conn: Connection, act: NewActivity) -> None:
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


def _refresh_create(conn: Connection, article_id: str, obj: dict[str, Any]) -> None:
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


def _revoke(conn: Connection, revocations: list[Revocation], now: datetime) -> int:
    dropped = drop_stamps(conn, (r.stamp_id for r in revocations))
    queued = 0
    for r in revocations:
        if r.stamp_id in dropped and r.notice is not None and r.inbox:
            _insert(conn, r.notice)
            queued += queue_deliveries(conn, r.notice, [r.inbox], now).count
    return queued


def _outbox_query(source_id: str):  # type: ignore[no-untyped-def]
    return (
        ap_activities.join(articles, articles.c.id == ap_activities.c.article_id),
        and_(
            ap_activities.c.source_id == source_id,
            ap_activities.c.type == "Create",
            articles.c.status == ArticleStatus.ACTIVE.value,
        ),
    )


class ActivityQueries:
    engine: Engine

    def add_activity(
        self, act: NewActivity, inboxes: Iterable[str] = (), now: datetime | None = None
    ) -> int:
        """Store an activity and queue it for each inbox; returns the number of deliveries."""
        with self.engine.begin() as conn:
            _insert(conn, act)
            return queue_deliveries(conn, act, inboxes, now or datetime.now(UTC)).count

    def add_event_activity(
        self,
        act: NewActivity | None,
        event_id: int,
        *,
        cursor: str,
        refresh_create: dict[str, Any] | None = None,
        now: datetime | None = None,
        offer: LeaseOffer | None = None,
        revocations: Iterable[Revocation] = (),
    ) -> Queued:
        """Answer one article event atomically: store the activity, queue one delivery per
        follower inbox (with `offer`, the first of them leased to that worker), withdraw the
        `revocations`' stamps and queue their notices, and move the cursor past the event.
        Another process that answered the same event first wins (unique event id, and a
        notice only for a stamp this transaction deleted); returns what was queued."""
        now = now or datetime.now(UTC)
        queued = Queued()
        try:
            with self.engine.begin() as conn:
                if act is not None:
                    not_before: dict[str, datetime] = {}
                    if not act.delivered:
                        inboxes: list[str] = []
                    elif act.type == "Delete" and act.article_id:
                        inboxes, not_before = withdraw(conn, act.article_id, now)
                    else:
                        inboxes = delivery_inboxes(conn, act.source_id)
                    _insert(conn, act)
                    queued = queue_deliveries(conn, act, inboxes, now, not_before, offer)
                    if refresh_create is not None and act.article_id:
                        _refresh_create(conn, act.article_id, refresh_create)
                queued.count += _revoke(conn, list(revocations), now)
                advance(conn, cursor, event_id)
        except IntegrityError:
            with self.engine.begin() as conn:
                advance(conn, cursor, event_id)
            return Queued()
        return queued

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

    def outbox_count(self, source_id: str) -> int:
        frm, where = _outbox_query(source_id)
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(frm).where(where)).scalar_one()
            )

    def outbox_page(self, source_id: str, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
        """Create activities of the articles still online, newest article first."""
        frm, where = _outbox_query(source_id)
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

    def prune_activities(self, published_before: datetime) -> int:
        """Forget answers and notices (Accept, Update, Delete, …) published before
        `published_before` with no delivery left to make. Create activities stay: they are
        the outbox and the posts' /activities/{id}."""
        a, d = ap_activities, ap_deliveries
        unsent = select(d.c.activity_id).where(d.c.status == PENDING)
        with self.engine.begin() as conn:
            old = a.c.published < published_before
            return conn.execute(
                delete(a).where(old, a.c.type != "Create", a.c.id.not_in(unsent))
            ).rowcount
