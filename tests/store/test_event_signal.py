"""The store's event signal: followers of article_events are woken when new events are
committed, by this process on either database, and by another node on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from syndicate.models import Entry
from syndicate.store import Store, open_store


def _entry(n: int) -> Entry:
    return Entry(
        url=f"https://detailnews.id/berita/{n}",
        title=f"Kabar Bitung {n}",
        published=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    )


def _commit_until_woken(writer: Store, woken: threading.Event, first: int) -> bool:
    """Store articles from another node until a wake arrives (the listener may still be
    connecting when the first ones commit); True once woken."""
    for n in range(first, first + 50):
        writer.upsert_entry("detailnews", _entry(n))
        if woken.wait(0.2):
            return True
    return False


def test_a_commit_that_adds_an_event_wakes_subscribers_after_the_commit(db_url: str) -> None:
    store = open_store(db_url)
    seen: list[int] = []
    woken = threading.Event()

    def on_events() -> None:
        # Called after the commit: the new event is already visible to another connection.
        seen.append(len(store.events_after(0)))
        woken.set()

    store.signals.events.subscribe(on_events)
    gone: list[int] = []
    try:
        store.get_article("nothing")  # a read-only transaction wakes nobody
        assert not seen
        store.upsert_entry("detailnews", _entry(1))
        assert woken.wait(10)
        assert seen[0] == 1
        store.signals.events.subscribe(lambda: gone.append(1))()  # subscribed, then unsubscribed
        woken.clear()
        store.upsert_entry("detailnews", _entry(2))
        assert woken.wait(10)
        assert 2 in seen and gone == []
    finally:
        store.close()


def test_on_postgresql_another_nodes_commit_wakes_this_node(pg_url: str) -> None:
    this, other = open_store(pg_url), open_store(pg_url)  # two engines: two nodes
    woken = threading.Event()
    this.signals.events.subscribe(woken.set)
    try:
        assert this.signals.events.cross_process
        assert _commit_until_woken(other, woken, first=0)
    finally:
        this.close()
        other.close()


def test_sqlite_says_other_processes_are_not_heard(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    try:
        assert not store.signals.events.cross_process  # followers keep a short peek timer there
    finally:
        store.close()


def test_on_postgresql_a_lost_listening_connection_is_replaced(pg_url: str) -> None:
    """The server ends the LISTEN connection (a restart, an admin): the listener reconnects,
    wakes its subscribers once (a commit may have been missed), and hears commits again."""
    from sqlalchemy import text

    this, other = open_store(pg_url), open_store(pg_url)
    woken = threading.Event()
    this.signals.events.subscribe(woken.set)
    try:
        assert _commit_until_woken(other, woken, first=0)
        with other.engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            killed = (
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE query LIKE :listen"
                    ),
                    {"listen": f'LISTEN "syndicate:%:{schema}"'},
                )
                .scalars()
                .all()
            )
        assert killed and all(killed)
        woken.clear()
        assert woken.wait(30)  # the reconnect's wake
        woken.clear()
        assert _commit_until_woken(other, woken, first=50)
    finally:
        this.close()
        other.close()
