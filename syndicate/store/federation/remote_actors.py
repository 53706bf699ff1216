"""ap_remote_actors: the cache of other servers' actors and their public keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from syndicate.models.federation import RemoteActor
from syndicate.store.tables import ap_followers, ap_remote_actors


class RemoteActorQueries:
    engine: Engine

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

    def remove_remote_actor(self, actor_id: str) -> int:
        """A remote account was deleted: drop it as a follower everywhere and forget its key."""
        with self.engine.begin() as conn:
            n = conn.execute(
                delete(ap_followers).where(ap_followers.c.actor_id == actor_id)
            ).rowcount
            conn.execute(delete(ap_remote_actors).where(ap_remote_actors.c.actor_id == actor_id))
        return n

    def prune_remote_actors(self, fetched_before: datetime) -> int:
        """Forget cached actors fetched before `fetched_before` that follow nobody here (a
        follower's inbox is needed; any other key is fetched again when it signs something)."""
        a = ap_remote_actors
        following = select(ap_followers.c.actor_id)
        with self.engine.begin() as conn:
            return conn.execute(
                delete(a).where(a.c.fetched_at < fetched_before, a.c.actor_id.not_in(following))
            ).rowcount
