"""Storage: SQLAlchemy Core over SQLite (default) or PostgreSQL, chosen by URL.

`Store` groups the query families; each lives in its own module.
"""

from __future__ import annotations

from sqlalchemy import Engine

from syndicate.store.articles import ArticleQueries
from syndicate.store.cursors import CursorQueries
from syndicate.store.database import StorageError, check_connection, make_engine, migrate, redact
from syndicate.store.event_signal import Signals
from syndicate.store.federation import FederationQueries
from syndicate.store.leases import LeaseQueries
from syndicate.store.nodes import NodeQueries
from syndicate.store.rechecks import RecheckQueries
from syndicate.store.source_health import HealthQueries
from syndicate.store.sources import SourceQueries
from syndicate.store.story_bands import StoryBandQueries
from syndicate.store.versions import VersionQueries

__all__ = ["Store", "StorageError", "open_store"]


class Store(
    ArticleQueries,
    SourceQueries,
    LeaseQueries,
    CursorQueries,
    NodeQueries,
    RecheckQueries,
    StoryBandQueries,
    FederationQueries,
    VersionQueries,
    HealthQueries,
):
    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self.signals = Signals(engine)  # "look now": new events, sources made due

    def migrate(self) -> None:
        migrate(self.engine)

    def close(self) -> None:
        self.signals.close()
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({redact(self.url)!r})"


def open_store(url: str, *, migrate_schema: bool = True) -> Store:
    """Open (and by default migrate) the database; raise StorageError with a readable reason."""
    engine = make_engine(url)
    check_connection(engine, url)
    store = Store(engine, url)
    if migrate_schema:
        store.migrate()
    return store
