"""Replies from other servers to our posts (already sanitised and capped by the inbox)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from syndicate.models.federation import Reply
from syndicate.store.tables import ap_replies


def _reply(row: object) -> Reply:
    m = row._mapping  # type: ignore[attr-defined]
    return Reply(**{k: m[k] for k in Reply.__dataclass_fields__})


class ReplyQueries:
    engine: Engine

    def add_reply(self, reply: Reply) -> bool:
        """Store a reply; False when this object was stored before (a redelivery)."""
        try:
            with self.engine.begin() as conn:
                values = {k: getattr(reply, k) for k in Reply.__dataclass_fields__}
                conn.execute(insert(ap_replies).values(**values))
        except IntegrityError:
            return False
        return True

    def replies_from_host_since(self, host: str, since: datetime) -> int:
        """How many replies a server sent us since a time (the per-server rate limit)."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count())
                .select_from(ap_replies)
                .where(ap_replies.c.host == host, ap_replies.c.received_at >= since)
            ).scalar_one()

    def replies(
        self, article_id: str, *, limit: int = 20, offset: int = 0, include_hidden: bool = False
    ) -> list[Reply]:
        """Oldest first, as a thread reads."""
        q = select(ap_replies).where(ap_replies.c.article_id == article_id)
        if not include_hidden:
            q = q.where(ap_replies.c.hidden.is_(False))
        q = q.order_by(ap_replies.c.received_at, ap_replies.c.object_id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [_reply(r) for r in conn.execute(q).all()]

    def reply_count(self, article_id: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count())
                .select_from(ap_replies)
                .where(ap_replies.c.article_id == article_id, ap_replies.c.hidden.is_(False))
            ).scalar_one()

    def hide_reply(self, activity_or_object_id: str, hidden: bool = True) -> int:
        """Hide (or show again) a reply named by its Create's id or its Note's id."""
        c = ap_replies.c
        with self.engine.begin() as conn:
            return conn.execute(
                update(ap_replies)
                .where(
                    (c.activity_id == activity_or_object_id)
                    | (c.object_id == activity_or_object_id)
                )
                .values(hidden=hidden)
            ).rowcount

    def remove_reply(self, object_id: str, actor_id: str) -> bool:
        """The author deleted it (Delete{Note} or Delete{Tombstone})."""
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    delete(ap_replies).where(
                        ap_replies.c.object_id == object_id, ap_replies.c.actor_id == actor_id
                    )
                ).rowcount
            )
