"""WebSub publisher: after every feed change, tell the hub which feed URLs changed
(POST hub.mode=publish&hub.url=…), so subscribed readers get the update in seconds, not at
their next poll.

It follows the store's change events (the same contract feeds and ActivityPub use) through an
EventFollower named "websub", so it also sees articles a separate `syndicate fetch` process
stored, and with several nodes only one of them pings. Its position is kept in the database and
only moves after the hub accepted every ping of a batch: a hub that is down gets the pings when
it is back, none is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

import httpx

from syndicate import backoff, metrics
from syndicate.config import Settings
from syndicate.http import client_for
from syndicate.models import ArticleEvent, tag_slug
from syndicate.publish.events import EventFollower, EventWake
from syndicate.publish.feeds import FORMATS
from syndicate.store import Store

log = logging.getLogger("syndicate.websub")

POLL_EVERY = 2.0  # seconds between looks at the event log
BATCH = 500


def feed_urls(base_url: str, keys: Iterable[str]) -> list[str]:
    """Every format's URL for each feed key ('all', 'detailnews', 'tag/bitung'), sorted."""
    return sorted({f"{base_url}/feeds/{key}.{fmt}" for key in keys for fmt in FORMATS})


def changed_feed_keys(
    events: Iterable[ArticleEvent], tags: dict[str, list[str]], enabled: set[str]
) -> set[str]:
    """Which feeds an event batch changed: the source's own, the combined one, and its tags'."""
    keys: set[str] = set()
    for ev in events:
        if ev.source_id not in enabled:
            continue
        keys.update((ev.source_id, "all"))
        keys.update(f"tag/{slug}" for t in tags.get(ev.article_id, []) if (slug := tag_slug(t)))
    return keys


async def ping(client: httpx.AsyncClient, hub: str, url: str) -> str | None:
    """One publish ping; None when the hub accepted it, else the reason."""
    try:
        resp = await client.post(hub, data={"hub.mode": "publish", "hub.url": url})
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}".rstrip(": ")
    if 200 <= resp.status_code < 300:
        return None
    return f"HTTP {resp.status_code}"


class WebSubPublisher:
    def __init__(
        self,
        settings: Callable[[], Settings],
        store: Store,
        follower: EventFollower,
        *,
        beat: Callable[[str, float], None] | None = None,
        client: httpx.AsyncClient | None = None,
        before_ping: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings  # a getter, so a reloaded config (new hub, new sources) applies
        self.store = store
        self.follower = follower
        self.beat = beat or (lambda name, limit: None)
        self.client = client
        self.before_ping = before_ping or (lambda: None)
        self.delay = POLL_EVERY
        self.failures = 0
        self._last_ping = 0.0  # time.monotonic() of the last round of pings

    async def step(self) -> int:
        """Ping for the events after the cursor; returns how many URLs were pinged (0: none due).
        Raises nothing: a failed ping leaves the cursor where it is for the next try."""
        settings = self.settings()
        hub = settings.websub.hub
        events = await asyncio.to_thread(self.follower.next_batch)
        if not events:  # None: another node pings for the cluster
            return 0
        last = events[-1].id
        if not hub:
            await asyncio.to_thread(self.follower.done, last)
            return 0
        tags = await asyncio.to_thread(self._tags, {e.article_id for e in events})
        enabled = {s.id for s in settings.sources if s.enabled}
        urls = feed_urls(settings.server.base_url, changed_feed_keys(events, tags, enabled))
        assert self.client is not None
        self.before_ping()  # the hub fetches right away: feeds must already show the change
        for url in urls:
            reason = await ping(self.client, hub, url)
            metrics.WEBSUB_PINGS.labels("ok" if reason is None else "failed").inc()
            if reason is not None:
                # Stop at the first refusal: a hub that is down would make every ping wait.
                log.warning("websub: hub %s refused %s: %s; will retry", hub, url, reason)
                raise HubError(reason)
        self._last_ping = time.monotonic()
        log.info("websub: pinged %s for %d feed URL(s)", hub, len(urls))
        await asyncio.to_thread(self.follower.done, last)
        return len(urls)

    def _tags(self, article_ids: set[str]) -> dict[str, list[str]]:
        out = {}
        for aid in article_ids:
            article = self.store.get_article(aid)
            if article is not None:
                out[aid] = article.tags
        return out

    async def run(self) -> None:
        wake = EventWake(self.store)  # pings go out as soon as new events are committed
        try:
            await self._run(wake)
        finally:
            wake.close()

    async def _run(self, wake: EventWake) -> None:
        while True:
            self.beat("websub", 120.0 + backoff.WEBSUB.cap)
            try:
                more = await self.step()
                self.failures = 0
                self.delay = POLL_EVERY
                if more:
                    continue  # a full batch may have more behind it
            except HubError:
                self.failures += 1
            except Exception:  # the loop must survive a database hiccup
                log.exception("websub: unexpected error; retrying")
                self.failures += 1
            if self.failures:
                self.delay = backoff.WEBSUB.seconds(self.failures)
                await asyncio.sleep(self.delay)  # a refusing hub waits out its backoff
            elif await wake.wait(self.delay):
                # New events: ping now, but at most one round of pings per POLL_EVERY (a pass
                # storing 200 articles commits 200 times).
                await asyncio.sleep(max(0.0, self._last_ping + POLL_EVERY - time.monotonic()))


class HubError(Exception):
    pass


def start(
    settings: Callable[[], Settings],
    store: Store,
    *,
    node: str,
    beat: Callable[[str, float], None] | None = None,
    before_ping: Callable[[], None] | None = None,
) -> Callable[[], Awaitable[None]]:
    """Start the publisher task; returns the async stop function the service calls on shutdown."""
    client = client_for(settings(), "websub")  # hubs are the operator's: no address guard
    # First start: feeds as they are now need no ping; later starts resume where they stopped.
    follower = EventFollower(
        store, "websub", node, lease=settings().cluster.lease, batch=BATCH, from_end=True
    )
    publisher = WebSubPublisher(
        settings, store, follower, beat=beat, client=client, before_ping=before_ping
    )
    task = asyncio.create_task(publisher.run(), name="websub")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await client.aclose()
        with contextlib.suppress(Exception):
            await asyncio.to_thread(follower.release)

    return stop
