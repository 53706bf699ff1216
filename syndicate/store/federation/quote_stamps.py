"""FEP-044f quote stamps: one QuoteAuthorization per (quoted article, quoting post)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from syndicate.models import new_id
from syndicate.models.federation import QuoteStamp
from syndicate.store.tables import ap_quote_stamps


def _stamp(row: object) -> QuoteStamp:
    m = row._mapping  # type: ignore[attr-defined]
    return QuoteStamp(
        m["id"], m["article_id"], m["source_id"], m["quote_id"], m["actor_id"],
        m["request_id"], m["created_at"],
    )  # fmt: skip


def drop_stamps(conn: Connection, stamp_ids: Iterable[str]) -> set[str]:
    """Delete these stamps in the caller's transaction; returns the ids this transaction
    deleted (a twin process that got there first has made them vanish already)."""
    ids = list(stamp_ids)
    if not ids:
        return set()
    t = ap_quote_stamps
    return set(conn.execute(delete(t).where(t.c.id.in_(ids)).returning(t.c.id)).scalars())


class QuoteStampQueries:
    engine: Engine

    def add_quote_stamp(
        self,
        article_id: str,
        source_id: str,
        quote_id: str,
        actor_id: str,
        request_id: str | None,
        now: datetime | None = None,
    ) -> QuoteStamp:
        """The stamp for this quote; a repeated QuoteRequest gets the same stamp back."""
        where = (ap_quote_stamps.c.article_id == article_id) & (
            ap_quote_stamps.c.quote_id == quote_id
        )
        with self.engine.begin() as conn:
            row = conn.execute(select(ap_quote_stamps).where(where)).first()
            if row is not None:
                return _stamp(row)
            values = dict(
                id=new_id(), article_id=article_id, source_id=source_id, quote_id=quote_id,
                actor_id=actor_id, request_id=request_id, created_at=now or datetime.now(UTC),
            )  # fmt: skip
            try:
                conn.execute(insert(ap_quote_stamps).values(**values))
            except IntegrityError:  # a concurrent twin won; hand out its stamp
                pass
        with self.engine.connect() as conn:
            return _stamp(conn.execute(select(ap_quote_stamps).where(where)).one())

    def quote_stamp(self, stamp_id: str) -> QuoteStamp | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ap_quote_stamps).where(ap_quote_stamps.c.id == stamp_id)
            ).first()
        return _stamp(row) if row is not None else None

    def quote_stamps(self, article_id: str) -> list[QuoteStamp]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ap_quote_stamps)
                .where(ap_quote_stamps.c.article_id == article_id)
                .order_by(ap_quote_stamps.c.created_at)
            ).all()
        return [_stamp(r) for r in rows]
