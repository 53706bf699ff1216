"""WebSub publish pings to a real hub on loopback: which URLs, when, and nothing lost while the
hub is down."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
from conftest import free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from webutil import SOURCES, LiveServer, entry, settings_for

from syndicate.publish.events import EventFollower
from syndicate.publish.websub import WebSubPublisher, changed_feed_keys, feed_urls
from syndicate.store import open_store


class Hub:
    def __init__(self) -> None:
        self.pings: list[dict[str, list[str]]] = []
        self.status = 202

        async def publish(request: Request) -> Response:
            form = parse_qs((await request.body()).decode())
            if self.status < 300:
                self.pings.append(form)
            return Response(status_code=self.status)

        self.server = LiveServer(
            Starlette(routes=[Route("/", publish, methods=["POST"])]), free_port()
        )

    def urls(self) -> set[str]:
        return {p["hub.url"][0] for p in self.pings}


def test_feed_keys_for_an_event_batch() -> None:
    from syndicate.models import ArticleEvent, Change

    now = datetime.now(UTC)
    events = [
        ArticleEvent(1, "a1", "detailnews", Change.NEW, now),
        ArticleEvent(2, "a2", "sleepy", Change.NEW, now),  # disabled: its feeds are not served
    ]
    keys = changed_feed_keys(events, {"a1": ["Pemkot Bitung", "!!"]}, {"detailnews"})
    assert keys == {"detailnews", "all", "tag/pemkotbitung"}
    assert feed_urls("http://x", ["all"]) == [
        "http://x/feeds/all.atom",
        "http://x/feeds/all.json",
        "http://x/feeds/all.rss",
    ]


async def test_every_changed_feed_is_pinged_and_a_down_hub_gets_them_later(tmp_path) -> None:  # type: ignore[no-untyped-def]
    hub = Hub()
    try:
        settings = settings_for(8080, SOURCES, websub={"hub": hub.server.url + "/"})
        store = open_store(f"sqlite:///{tmp_path / 'ws.db'}")
        follower = EventFollower(store, "websub", "node-a", from_end=True)
        async with httpx.AsyncClient(timeout=5) as client:
            pub = WebSubPublisher(lambda: settings, store, follower, client=client)
            assert await pub.step() == 0 and hub.pings == []  # nothing changed, nothing sent

            store.upsert_entry("detailnews", entry(1, datetime.now(UTC), tags=["Bitung"]))
            assert await pub.step() == 9
            base = "http://127.0.0.1:8080/feeds/"
            assert hub.urls() == {
                f"{base}{key}.{fmt}"
                for key in ("detailnews", "all", "tag/bitung")
                for fmt in ("rss", "atom", "json")
            }
            assert all(p["hub.mode"] == ["publish"] for p in hub.pings)
            assert store.event_position("websub") == store.last_event_id()

            # The hub goes down: the cursor stays, the change is pinged once it is back.
            hub.status, hub.pings = 503, []
            store.upsert_entry("nusautara", entry(2, datetime.now(UTC), url="https://n.example/2"))
            before = store.event_position("websub")
            try:
                await pub.step()
                raise AssertionError("a refused ping must be retried")
            except Exception as exc:
                assert "503" in str(exc)
            assert store.event_position("websub") == before
            hub.status = 204
            assert await pub.step() == 6
            assert hub.urls() == {
                f"{base}{k}.{f}" for k in ("nusautara", "all") for f in ("rss", "atom", "json")
            }
            assert store.event_position("websub") == store.last_event_id()
        store.close()
    finally:
        hub.server.stop()


async def test_publisher_task_resumes_from_its_cursor_after_a_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from syndicate.publish import websub

    hub = Hub()
    try:
        settings = settings_for(8080, SOURCES, websub={"hub": hub.server.url + "/"})
        store = open_store(f"sqlite:///{tmp_path / 'ws.db'}")
        store.upsert_entry("detailnews", entry(1, datetime.now(UTC)))  # before the first start
        stop = websub.start(lambda: settings, store, node="node-a")
        await asyncio.sleep(0.3)
        await stop()
        assert hub.pings == []  # what was there at the first start needs no ping
        store.upsert_entry("detailnews", entry(2, datetime.now(UTC)))  # while it was stopped
        stop = websub.start(lambda: settings, store, node="node-b")  # a restart is a new node
        for _ in range(50):
            if hub.pings:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.2)
        await stop()
        assert hub.urls() == {
            f"http://127.0.0.1:8080/feeds/{k}.{f}"
            for k in ("detailnews", "all")
            for f in ("rss", "atom", "json")
        }
        store.close()
    finally:
        hub.server.stop()


async def test_two_nodes_ping_each_change_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Two publishers (two nodes) on one database: one holds the websub cursor, one pings."""
    hub = Hub()
    try:
        settings = settings_for(8080, SOURCES, websub={"hub": hub.server.url + "/"})
        store = open_store(f"sqlite:///{tmp_path / 'ws.db'}")
        async with httpx.AsyncClient(timeout=5) as client:
            a, b = (
                WebSubPublisher(
                    lambda: settings,
                    store,
                    EventFollower(store, "websub", node, from_end=True),
                    client=client,
                )
                for node in ("node-a", "node-b")
            )
            assert await a.step() == 0 and await b.step() == 0
            store.upsert_entry("detailnews", entry(1, datetime.now(UTC)))
            assert await b.step() == 0  # node-a holds the follower: b stays quiet
            assert await a.step() == 6
            assert await b.step() == 0 and await a.step() == 0
        assert len(hub.pings) == 6
        store.close()
    finally:
        hub.server.stop()
