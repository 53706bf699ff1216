"""event_cursors: where each follower of article_events (delivery, WebSub) has got to, and which
node follows it now. One mechanism for every follower: a node holds a follower for a lease,
renewed while it works; a node that dies lets the lease lapse and another one carries on from
the stored position."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from syndicate.store.tables import event_cursors as c


def event_position(engine: Engine, name: str) -> int | None:
    with engine.connect() as conn:
        v = conn.execute(select(c.c.last_event_id).where(c.c.name == name)).scalar()
    return None if v is None else int(v)


def _ensure(conn: Connection, name: str, event_id: int) -> None:
    if conn.execute(select(c.c.name).where(c.c.name == name)).first() is None:
        try:
            with conn.begin_nested():
                conn.execute(insert(c).values(name=name, last_event_id=event_id))
        except IntegrityError:
            pass  # another node created it at the same moment


def advance_position(conn: Connection, name: str, event_id: int) -> None:
    """Move a follower forward (never back), inside the caller's transaction, so the position
    commits together with what the follower did with the events."""
    done = conn.execute(
        update(c)
        .where(c.c.name == name, c.c.last_event_id < event_id)
        .values(last_event_id=event_id)
    ).rowcount
    if not done:
        _ensure(conn, name, event_id)


class CursorQueries:
    engine: Engine

    def event_position(self, name: str) -> int | None:
        return event_position(self.engine, name)

    def hold_follower(
        self, name: str, node: str, lease: timedelta, start: int, now: datetime | None = None
    ) -> int | None:
        """Take or renew `node`'s hold on follower `name`; returns its position, or None while
        another live node holds it. A follower seen for the first time starts at `start`."""
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            _ensure(conn, name, start)
            row = conn.execute(
                update(c)
                .where(
                    c.c.name == name,
                    or_(c.c.holder == node, c.c.lease_until.is_(None), c.c.lease_until < now),
                )
                .values(holder=node, lease_until=now + lease)
                .returning(c.c.last_event_id)
            ).first()
        return None if row is None else int(row[0])

    def move_follower(self, name: str, node: str, event_id: int) -> bool:
        """Advance a follower this node holds; False if its hold was lost (nothing moves)."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(c)
                .where(c.c.name == name, c.c.holder == node, c.c.last_event_id < event_id)
                .values(last_event_id=event_id)
            ).rowcount
            if done:
                return True
            held = conn.execute(select(c.c.holder).where(c.c.name == name)).scalar()
        return held == node

    def release_followers(self, node: str) -> None:
        """At a clean stop: let another node carry on at once instead of after the lease."""
        with self.engine.begin() as conn:
            conn.execute(update(c).where(c.c.holder == node).values(lease_until=None))

    def event_followers(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(c).order_by(c.c.name))]
