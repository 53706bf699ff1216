"""ap_followers: who follows which source, and the inboxes a fan-out goes to."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from syndicate.models.federation import Follower
from syndicate.store.tables import ap_followers


def _row_follower(r: Any) -> Follower:
    return Follower(
        source_id=r.source_id,
        actor_id=r.actor_id,
        inbox=r.inbox,
        shared_inbox=r.shared_inbox,
        since=r.created_at,
        follow_id=r.follow_id,
    )


def delivery_inboxes(conn: Connection, source_id: str) -> list[str]:
    """One inbox per follower, the shared inbox where the server has one, without repeats."""
    target = func.coalesce(ap_followers.c.shared_inbox, ap_followers.c.inbox)
    rows = conn.execute(
        select(target).where(ap_followers.c.source_id == source_id).distinct()
    ).scalars()
    return sorted(set(rows))


def prune_inbox(conn: Connection, inbox: str) -> int:
    """An inbox answered 404/410: the followers behind it are gone."""
    return conn.execute(
        delete(ap_followers).where(
            or_(ap_followers.c.inbox == inbox, ap_followers.c.shared_inbox == inbox)
        )
    ).rowcount


def list_followers(conn: Connection, source_id: str) -> list[Follower]:
    """Every follower of a source, oldest first."""
    rows = conn.execute(
        select(ap_followers)
        .where(ap_followers.c.source_id == source_id)
        .order_by(ap_followers.c.created_at, ap_followers.c.id)
    )
    return [_row_follower(r) for r in rows]


class FollowerQueries:
    engine: Engine

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

    def followers(self, source_id: str) -> list[Follower]:
        """Every follower of a source, oldest first."""
        with self.engine.connect() as conn:
            return list_followers(conn, source_id)

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
            return delivery_inboxes(conn, source_id)

    def prune_inbox(self, inbox: str) -> int:
        """An inbox answered 404/410: the followers behind it are gone."""
        with self.engine.begin() as conn:
            return prune_inbox(conn, inbox)
