"""Feeds never claim to be unchanged when they changed, and a WebSub hub never gets a stale copy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from conftest import free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from webutil import SOURCES, WITA, LiveServer, entry, site_fixture  # noqa: F401

from syndicate.publish import feed_cache
from syndicate.publish.events import EventFollower
from syndicate.publish.websub import WebSubPublisher


def test_an_older_dated_article_changes_last_modified(site) -> None:  # type: ignore[no-untyped-def]
    s = site()
    s.store.upsert_entry("detailnews", entry(1, datetime(2026, 1, 8, 10, tzinfo=WITA)))
    first = s.server.get("/feeds/detailnews.atom")
    assert first.status_code == 200
    # A late-found article dated before the newest one: the body changes, so must Last-Modified.
    s.store.upsert_entry("detailnews", entry(2, datetime(2025, 12, 1, 9, tzinfo=WITA)))
    s.app.state.syndicate.feeds.check_now()
    again = s.server.get(
        "/feeds/detailnews.atom", headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    assert again.status_code == 200 and b"Berita nomor 2" in again.content
    assert again.headers["etag"] != first.headers["etag"]
    assert again.headers["last-modified"] != first.headers["last-modified"]
    # ... and with nothing new, both validators give 304.
    assert (
        s.server.get(
            "/feeds/detailnews.atom", headers={"If-Modified-Since": again.headers["last-modified"]}
        ).status_code
        == 304
    )
    assert (
        s.server.get(
            "/feeds/detailnews.atom", headers={"If-None-Match": again.headers["etag"]}
        ).status_code
        == 304
    )


def test_removing_an_article_changes_last_modified(site) -> None:  # type: ignore[no-untyped-def]
    s = site()
    keep, _ = s.store.upsert_entry("detailnews", entry(1, datetime(2026, 1, 8, 10, tzinfo=WITA)))
    gone, _ = s.store.upsert_entry("detailnews", entry(2, datetime(2026, 1, 7, 10, tzinfo=WITA)))
    first = s.server.get("/feeds/detailnews.json")
    s.store.record_missing(gone.id)
    s.store.record_missing(gone.id)
    s.app.state.syndicate.feeds.check_now()
    again = s.server.get(
        "/feeds/detailnews.json", headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    assert again.status_code == 200
    assert [i["title"] for i in again.json()["items"]] == ["Berita nomor 1"]


def test_unknown_tags_are_404_and_the_cache_is_bounded(site, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    s = site()
    s.store.upsert_entry(
        "detailnews", entry(1, datetime(2026, 1, 8, 10, tzinfo=WITA), tags=["Bitung"])
    )
    assert s.server.get("/feeds/tag/bitung.rss").status_code == 200
    assert s.server.get("/feeds/tag/no-such-tag.rss").status_code == 404
    monkeypatch.setattr(feed_cache, "MAX_ENTRIES", 4)
    cache = s.app.state.syndicate.feeds
    for key in ("detailnews", "all", "tag/bitung"):
        for fmt in ("rss", "atom", "json"):
            cache.get(key, fmt)
    assert len(cache._cache) == 4


async def test_the_hub_fetches_the_new_item_right_after_the_ping(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = site()
    s.store.upsert_entry("detailnews", entry(1, datetime(2026, 1, 8, 10, tzinfo=WITA)))
    feeds = s.app.state.syndicate.feeds
    assert b"Berita nomor 1" in s.server.get("/feeds/detailnews.rss").content  # rendered and cached
    seen: list[bytes] = []

    async def publish(request: Request) -> Response:
        url = parse_qs((await request.body()).decode())["hub.url"][0]
        async with httpx.AsyncClient() as client:  # a real hub fetches the feed at once
            seen.append((await client.get(url)).content)
        return Response(status_code=202)

    hub = LiveServer(Starlette(routes=[Route("/", publish, methods=["POST"])]), free_port())
    try:
        publisher = WebSubPublisher(
            lambda: s.settings.model_copy(
                update={"websub": s.settings.websub.model_copy(update={"hub": hub.url + "/"})}
            ),
            s.store,
            EventFollower(s.store, "websub", "node-a", from_end=True),
            client=httpx.AsyncClient(),
            before_ping=feeds.check_now,
        )
        publisher.follower.hold()  # start after the seeded articles
        s.store.upsert_entry("detailnews", entry(2, datetime.now(UTC) - timedelta(minutes=1)))
        assert await publisher.step() > 0
        await publisher.client.aclose()
    finally:
        hub.stop()
    assert seen and all(
        b"Berita nomor 2" in body
        for body in seen
        if b"<rss" in body or b"<feed" in body or b'"items"' in body
    )


@pytest.mark.postgres
@pytest.mark.parametrize(
    "db_url", ["postgresql"], indirect=True
)  # SQLite serialises writers itself
def test_event_ids_commit_in_order_on_postgresql(db_url: str) -> None:
    """Two writers: the one that took an id first commits first, so no poller skips an event."""
    import threading
    import time

    from syndicate.models import Change
    from syndicate.store import open_store

    store = open_store(db_url)
    done: list[str] = []
    conn1 = store.engine.connect()
    tx1 = conn1.begin()
    store._add_event(conn1, "a1", "s", Change.NEW, datetime.now(UTC))

    def second_writer() -> None:
        with store.engine.begin() as conn2:
            store._add_event(conn2, "a2", "s", Change.NEW, datetime.now(UTC))
        done.append("second")

    t = threading.Thread(target=second_writer)
    t.start()
    time.sleep(0.5)
    # While the first writer is open, the second waits; a poller sees neither, never just the later one.
    assert done == [] and store.events_after(0) == []
    tx1.commit()
    conn1.close()
    t.join(10)
    assert done == ["second"]
    events = store.events_after(0)
    assert [e.article_id for e in events] == ["a1", "a2"] and events[0].id < events[1].id
    store.close()


def test_a_new_article_shows_in_the_feed_at_once(site, db_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The event signal resets the cache's check: a new article (here stored by another node's
    store on the same database) is in the next feed response, not after the cache's timer
    (set to an hour here, so only the signal can make the cache look)."""
    import time as _time

    from syndicate.store import open_store

    monkeypatch.setattr(feed_cache, "CHECK_EVERY", 3600.0)
    s = site(db=db_url)
    s.store.upsert_entry("detailnews", entry(1, datetime(2026, 1, 8, 10, tzinfo=WITA)))
    s.app.state.syndicate.feeds.check_now()
    assert b"Berita nomor 2" not in s.server.get("/feeds/detailnews.atom").content
    writer = open_store(db_url) if db_url.startswith("postgresql") else s.store
    try:
        for n in range(2, 40):  # on PostgreSQL the listener may still be connecting
            writer.upsert_entry("detailnews", entry(n, datetime(2026, 1, 8, 11, tzinfo=WITA)))
            body = s.server.get("/feeds/detailnews.atom").content
            if b"Berita nomor 2" in body:
                break
            _time.sleep(0.2)
        assert b"Berita nomor 2" in body
    finally:
        if writer is not s.store:
            writer.close()
