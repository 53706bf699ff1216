"""ap_cursor: how far delivery has read article_events."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from syndicate.store.tables import ap_cursor


def advance(conn: Connection, name: str, event_id: int) -> None:
    """Move cursor `name` forward to `event_id` (never back)."""
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


class CursorQueries:
    engine: Engine

    def ap_cursor(self, name: str) -> int | None:
        with self.engine.connect() as conn:
            v = conn.execute(
                select(ap_cursor.c.last_event_id).where(ap_cursor.c.name == name)
            ).scalar()
        return None if v is None else int(v)
