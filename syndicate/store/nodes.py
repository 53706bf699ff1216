"""cluster_nodes: the `syndicate run` processes sharing this database, and when each was last
seen (a row written on every /healthz, which doubles as its write probe)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, select, update

from syndicate.store.tables import cluster_nodes as n


class NodeQueries:
    engine: Engine

    def node_seen(self, node: str, roles: list[str], now: datetime | None = None) -> None:
        """Record that `node` is alive (a real write: it fails when the database takes none)."""
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            done = conn.execute(update(n).where(n.c.node == node).values(seen_at=now)).rowcount
            if not done:
                conn.execute(
                    insert(n).values(node=node, roles=",".join(roles), started_at=now, seen_at=now)
                )

    def node_gone(self, node: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(n).where(n.c.node == node))

    def nodes(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(n).order_by(n.c.node))]
