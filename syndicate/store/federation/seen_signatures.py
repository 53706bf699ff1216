"""ap_seen_signatures: the replay guard for signed inbox requests."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from syndicate.store.tables import ap_seen_signatures


class SeenSignatureQueries:
    engine: Engine

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
