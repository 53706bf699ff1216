"""Engine set-up (store/database.py)."""

from __future__ import annotations

from syndicate.store import open_store


def test_sqlite_hands_back_the_connection_just_returned(sqlite_url: str) -> None:
    # Ingest's writer thread runs store call after call; given the idle connection another
    # thread used last, it would start each call with a page cache that SQLite dropped (in WAL
    # mode a connection's cache goes when another one has written since).
    store = open_store(sqlite_url)
    first, second = store.engine.connect(), store.engine.connect()  # two pooled connections
    first.close()
    second.close()
    used = []
    for _ in range(3):
        with store.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE source_state SET route = NULL WHERE 0")
            used.append(id(conn.connection.dbapi_connection))
    assert len(set(used)) == 1, used
    store.close()
