"""PostgreSQL pooled connections: one the server dropped while it sat idle is replaced before
use (pinged when idle longer than PING_IDLE), and one given back just now is used unpinged."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from syndicate.store import database, open_store


def _drop_the_pooled_connection(store) -> None:  # type: ignore[no-untyped-def]
    """Make one pooled connection, then have the server end it (as a restart would)."""
    with store.engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    killer = open_store(store.url, migrate_schema=False)
    try:
        with killer.engine.connect() as conn:
            assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar_one()
    finally:
        killer.close()


def test_an_idle_connection_the_server_dropped_is_replaced(pg_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store = open_store(pg_url)
    try:
        monkeypatch.setattr(database, "PING_IDLE", 0.0)  # every checkout counts as idle
        _drop_the_pooled_connection(store)
        assert store.last_event_id() == 0  # no error: the dead connection was pinged, replaced
    finally:
        store.close()


def test_a_connection_given_back_just_now_is_not_pinged(pg_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store = open_store(pg_url)
    try:
        monkeypatch.setattr(database, "PING_IDLE", 3600.0)
        _drop_the_pooled_connection(store)
        with pytest.raises(OperationalError):  # used as it was: no round trip spent on a ping
            store.last_event_id()
        assert store.last_event_id() == 0  # and the pool recovers on the next call
    finally:
        store.close()
