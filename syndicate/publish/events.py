"""The one way to follow article_events: an EventFollower reads the events after its stored
position (table event_cursors, one row per follower name) and moves the position only after it
handled them. With several nodes, one node at a time holds each follower (a lease renewed on
every batch), so a WebSub ping or a delivery batch is made once for the cluster, and a node
that dies hands the follower to another within the lease.

An EventWake is how an async follower waits: woken by the store's event signal as soon as new
events are committed (in this process, or by any node on PostgreSQL), else after its timeout.

(The feed cache also watches article_events, but only for "anything new since I rendered?": its
position is the cache itself, in memory, and starts afresh with it.)
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from syndicate.models import ArticleEvent
from syndicate.store import Store

LEASE = timedelta(seconds=30)


class EventFollower:
    """Blocking (store calls): run its methods in a thread from async code."""

    def __init__(
        self,
        store: Store,
        name: str,
        node: str,
        *,
        lease: timedelta = LEASE,
        batch: int = 500,
        from_end: bool = False,
    ) -> None:
        self.store = store
        self.name = name
        self.node = node
        self.lease = lease
        self.limit = batch
        # A follower seen for the first time starts at the newest event (from_end: e.g. feeds
        # as they are now need no WebSub ping) or at the beginning.
        self.from_end = from_end

    def hold(self) -> int | None:
        """Take or renew this node's hold; its position, or None while another node holds it."""
        start = self.store.last_event_id() if self.from_end else 0
        return self.store.hold_follower(self.name, self.node, self.lease, start)

    def next_batch(self) -> list[ArticleEvent] | None:
        """The events to handle next (empty: none yet); None while another node follows."""
        position = self.hold()
        if position is None:
            return None
        return self.store.events_after(position, self.limit)

    def done(self, last_event_id: int) -> bool:
        """Everything up to `last_event_id` is handled; False if the hold was lost meanwhile."""
        return self.store.move_follower(self.name, self.node, last_event_id)

    def release(self) -> None:
        self.store.release_followers(self.node)


class EventWake:
    """Wait, on the event loop, until new article events were committed or `timeout` passed.
    Create it on the loop; `close()` when done."""

    def __init__(self, store: Store) -> None:
        loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self.cross_process = store.signals.events.cross_process

        def woken() -> None:  # in whichever thread committed (or the listener's)
            loop.call_soon_threadsafe(self._event.set)

        self._unsubscribe = store.signals.events.subscribe(woken)

    def pending(self) -> bool:
        """A wake came since the last wait (and is used up by this look)."""
        woken = self._event.is_set()
        self._event.clear()
        return woken

    async def wait(self, timeout: float) -> bool:
        """True when woken by new events, False when the timeout passed first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)
        return self.pending()

    def interrupt(self) -> None:
        """End a wait now (a stop): as if woken."""
        self._event.set()

    def close(self) -> None:
        self._unsubscribe()
