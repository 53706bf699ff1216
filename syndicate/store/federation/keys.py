"""ap_keys: our local actors' key pairs."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from syndicate.store.tables import ap_keys


class KeyQueries:
    engine: Engine

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
