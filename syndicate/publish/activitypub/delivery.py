"""Delivery: article events become activities and rows in the delivery queue; async workers
send them, signed; the lifecycle (retries, give-up time) is syndicate.models.delivery_states.

One process runs: an event poller (reads article_events after a stored cursor, so articles
ingested by a separate `syndicate fetch` are sent within a second or two), a claimer (leases
due rows from the database), `workers` senders and a flusher that writes results back in
batches. Several processes can share one PostgreSQL database: rows are leased, never sent twice
unless a worker died mid-request (the receiver sees the same activity id and drops the repeat).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import secrets
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from syndicate.http import HostClients, build_client, client_spec
from syndicate.models import Change
from syndicate.models.delivery_states import DONE, RETRY, transition
from syndicate.models.federation import DeliveryJob, DeliveryOutcome, LeaseOffer
from syndicate.publish.activitypub import vocab
from syndicate.publish.activitypub.federation import Federation, HostState, federation_for
from syndicate.publish.activitypub.outbox import activity_for_event, quote_revocations
from syndicate.publish.activitypub.remote import FetchError
from syndicate.publish.activitypub.signatures import sign_cavage, sign_rfc9421
from syndicate.publish.corrections import article_corrections
from syndicate.publish.events import EventFollower, EventWake
from syndicate.store import Store

log = logging.getLogger("syndicate.delivery")

CURSOR = "delivery"
POLL_EVERY = 1.0  # seconds between full polls of article_events (which renew the hold)
PEEK_EVERY = 0.1  # seconds between cheap looks for a new event id (read-only) without a signal
PER_HOST = 2  # connections to, and sends running at once to, one inbox host
PRUNE_EVERY = 3600.0  # seconds between prunings of old federation rows
# How long finished deliveries, idle remote actor keys and old non-Create activities are kept.
KEEP_DELIVERIES = timedelta(days=14)
KEEP_REMOTE_ACTORS = timedelta(days=30)
KEEP_ACTIVITIES = timedelta(days=90)
IDLE_LOOK = 1.0  # seconds the claimer waits for a wake (or for room) before looking anyway
FLUSH_EVERY = 0.2
FLUSH_BATCH = 256  # results written back in one transaction (or every FLUSH_EVERY s)
# Leased rows waiting per worker at most (a node's send queue holds workers x PREFETCH), topped
# up when half are taken. A new activity's rows are leased as they are inserted, up to the room
# left, so a burst is mostly sent without claim queries; other nodes claim the rest.
PREFETCH = 32
HEARTBEAT = "delivery"
CAVAGE, RFC9421 = "cavage", "rfc9421"


# ---- policy (pure): syndicate.models.delivery_states --------------------------------------


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Body:
    """The exact bytes of one activity as sent, and their SHA-256 (for Digest /
    Content-Digest): made once per activity and claim, shared by all its inboxes."""

    data: bytes
    sha256: bytes

    @classmethod
    def of(cls, payload: dict[str, Any]) -> Body:
        data = body_of(payload)
        return cls(data, hashlib.sha256(data).digest())


# ---- event poller (sync; runs in a thread) ----------------------------------------------------


def process_events(
    fed: Federation,
    limit: int = 200,
    follower: EventFollower | None = None,
    on_queued: Callable[[list[DeliveryJob], int], None] | None = None,
    offer: Callable[[], LeaseOffer | None] | None = None,
) -> tuple[int, int]:
    """Turn new article events into activities + delivery rows. Returns (events, deliveries).
    With a follower, only the node holding it does this (the others return (0, 0)); the
    position moves in the same transaction as each event's activity either way.
    `offer()` is asked before each event how many of its rows this worker takes leased as they
    are inserted; `on_queued(leased jobs, rows left to claim)` is called as soon as each
    event's rows are committed, so sending starts on the first article of a batch, not after
    the last one."""
    store, settings = fed.store, fed.settings
    if follower is not None:
        cursor = follower.hold()
        if cursor is None:
            return 0, 0
    else:
        cursor = store.event_position(CURSOR) or 0
    events = store.events_after(cursor, limit)
    total = 0
    now = datetime.now(UTC)
    for ev in events:
        article = store.get_article(ev.article_id)
        corrections, revocations = None, []
        if ev.kind == Change.UPDATED and article is not None:
            corrections = article_corrections(store, settings, article)  # shown in the Update
        if ev.kind == Change.REMOVED:
            revocations = quote_revocations(store, settings, ev.article_id, now)  # FEP-044f
        act, refresh = activity_for_event(settings, ev, article, now, corrections)
        if act is not None:
            if ev.kind in (Change.UPDATED, Change.REMOVED):
                # Followers only hear about changes to posts they were sent.
                sent = any(d for _id, _t, d in store.activities_for_article(ev.article_id))
                act.delivered = act.delivered and sent
            if now - ev.at > RETRY.give_up:
                act.delivered = False  # a long outage: list it, do not push stale news
        queued = store.add_event_activity(
            act,
            ev.id,
            cursor=CURSOR,
            refresh_create=refresh,
            now=now,
            offer=offer() if offer is not None and act is not None and act.delivered else None,
            revocations=revocations,
        )
        if queued.count and on_queued is not None:
            on_queued(queued.leased, queued.count - len(queued.leased))
        total += queued.count
    return len(events), total


def prune(store: Store, now: datetime | None = None) -> dict[str, int]:
    """Forget federation rows nobody needs any more; returns how many of each went."""
    now = now or datetime.now(UTC)
    return {
        "deliveries": store.prune_deliveries(now - KEEP_DELIVERIES),
        "remote_actors": store.prune_remote_actors(now - KEEP_REMOTE_ACTORS),
        "activities": store.prune_activities(now - KEEP_ACTIVITIES),
    }


# ---- sending ------------------------------------------------------------------------------


class Sender:
    """Signs and POSTs one delivery; double-knocks between cavage and RFC 9421 on a 401/403."""

    def __init__(self, fed: Federation) -> None:
        self.fed = fed
        # One small keep-alive pool per inbox host (syndicate.http), kept across bursts: a
        # fan-out to 200 servers through one pool the size of the sender count opened a new
        # connection for nearly every delivery (994 for 1,000).
        spec = replace(client_spec(fed.settings, "delivery"), max_connections=PER_HOST)
        self.clients = HostClients(lambda: build_client(spec, guard=lambda: fed.guard.net))

    async def aclose(self) -> None:
        await self.clients.aclose()

    async def attempt(self, job: DeliveryJob, body: Body) -> DeliveryOutcome:
        now = datetime.now(UTC)
        private, _ = await self.fed.key(job.source_id)
        key_id = self.fed.urls.key_id(job.source_id)
        first = job.signature or CAVAGE
        try:
            await self.fed.guard.check(job.inbox)
            sync = await self.fed.followers_sync(job)  # FEP-8fcf, signed with the rest
            status = await self._post(job.inbox, body, private, key_id, first, sync)
            used = first
            if status in (401, 403):
                other = RFC9421 if first == CAVAGE else CAVAGE
                retry = await self._post(job.inbox, body, private, key_id, other, sync)
                if 200 <= retry < 300 or first == RFC9421:
                    status, used = retry, other
        except FetchError as exc:  # address refused / unresolvable
            return transition(job, None, str(exc), now)
        except httpx.HTTPError as exc:
            return transition(job, None, f"{type(exc).__name__}: {exc}".strip(": "), now)
        error = None if 200 <= status < 300 else f"HTTP {status}"
        return transition(job, status, error, datetime.now(UTC), used if status < 300 else None)

    async def _post(
        self,
        url: str,
        body: Body,
        private: str,
        key_id: str,
        scheme: str,
        extra: dict[str, str] | None = None,
    ) -> int:
        sign = sign_rfc9421 if scheme == RFC9421 else sign_cavage
        headers = sign(private, key_id, "POST", url, body.data, extra=extra, sha256=body.sha256)
        headers["Content-Type"] = vocab.AS_MEDIA
        headers["Accept"] = vocab.AS_MEDIA
        resp = await self.clients.for_url(url).post(url, content=body.data, headers=headers)
        await resp.aclose()
        return resp.status_code


Claimed = tuple[DeliveryJob, Body, float]  # a job, the exact bytes to send, its claim time


class HostLanes:
    """Claimed deliveries waiting for a sender, one lane per inbox host. A sender takes the next
    host in turn with fewer than `per_host` sends running, so a burst to one host stays on its
    few keep-alive connections and no single host ties up every sender."""

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self._lanes: OrderedDict[str, deque[Claimed]] = OrderedDict()
        self._running: Counter[str] = Counter()
        self._size = 0
        self._changed = asyncio.Event()

    def qsize(self) -> int:
        return self._size

    def empty(self) -> bool:
        return self._size == 0

    def put_nowait(self, item: Claimed) -> None:
        self._lanes.setdefault(item[0].host, deque()).append(item)
        self._size += 1
        self._changed.set()

    def _take(self) -> Claimed | None:
        for host, lane in self._lanes.items():
            if self._running[host] < self.per_host:
                item = lane.popleft()
                if lane:
                    self._lanes.move_to_end(host)  # round robin between hosts
                else:
                    del self._lanes[host]
                self._running[host] += 1
                self._size -= 1
                return item
        return None

    async def get(self) -> Claimed:
        """The next delivery to send; call done(host) when it was attempted."""
        while True:
            item = self._take()
            if item is not None:
                return item
            self._changed.clear()
            await self._changed.wait()

    def done(self, host: str) -> None:
        self._running[host] -= 1
        if self._running[host] <= 0:
            del self._running[host]
        self._changed.set()

    def drain(self) -> list[DeliveryJob]:
        """Everything not yet taken (a shutdown gives these rows back)."""
        jobs = [item[0] for lane in self._lanes.values() for item in lane]
        self._lanes.clear()
        self._size = 0
        return jobs


class DeliveryService:
    def __init__(self, state: HostState, fed: Federation | None = None) -> None:
        self.state = state
        self.fed = fed or federation_for(state)
        self.sender = Sender(self.fed)
        self.follower = EventFollower(
            self.fed.store, CURSOR, state.node, lease=self.fed.settings.cluster.lease, batch=200
        )
        self.tasks: list[asyncio.Task[None]] = []
        self.queue = HostLanes(PER_HOST)
        self._last_event = -1  # the newest article_events id the poller has seen
        self._last_poll = 0.0
        self.results: list[DeliveryOutcome] = []
        self.in_flight: dict[int, DeliveryJob] = {}
        self.stopping = False
        self._room_made = asyncio.Event()
        self._flush_now = asyncio.Event()
        # A claim hands its leased rows over here, under the lock, in its own thread: once
        # stop() has taken what is here and set `_abandoned`, a claim that commits later gives
        # its rows back itself. So a lease is always held by exactly one of: this list, the
        # queue, a sender, or the claim that made it - never by a cancelled await.
        self._claim_lock = threading.Lock()
        self._claimed: list[tuple[DeliveryJob, Body]] = []
        self._abandoned = False
        self._claimer_task: asyncio.Task[None] | None = None
        self._events_task: asyncio.Task[None] | None = None
        self._events_wake: EventWake | None = None
        self._flusher_task: asyncio.Task[None] | None = None

    @property
    def workers(self) -> int:
        return self.fed.settings.federation.workers

    @property
    def lease(self) -> timedelta:
        return self.fed.settings.federation.delivery_lease

    def start(self) -> None:
        self._events_wake = EventWake(self.fed.store)
        self._events_task = asyncio.create_task(self._follow_events(), name="ap-events")
        self._claimer_task = asyncio.create_task(self._claimer(), name="ap-claimer")
        self._flusher_task = asyncio.create_task(self._flusher(), name="ap-flusher")
        self.tasks = [
            self._events_task,
            self._claimer_task,
            self._flusher_task,
            asyncio.create_task(self._loop(self._prune, PRUNE_EVERY), name="ap-prune"),
            *(
                asyncio.create_task(self._worker(), name=f"ap-worker-{i}")
                for i in range(self.workers)
            ),
        ]

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming (a claim in progress may finish), give back every leased row not
        sent, let sends in flight finish, and write their results back; all within about
        `grace` s. A send still running then is cut off and its row given back too (it may
        arrive twice, with the same activity id, as after a crash)."""
        self.stopping = True
        self.fed.wake()
        self._room_made.set()
        if self._events_wake is not None:
            self._events_wake.interrupt()
        deadline = time.monotonic() + grace
        unsent = self.queue.drain()
        # Neither the claimer nor the event poller is cancelled mid-work: a claim's UPDATE, or
        # rows the poller inserts leased, would commit in the thread with nobody to give them
        # back (leased until the lease ran out). What they hand over lands in `_claimed`, given
        # back below; one that takes too long is abandoned and gives its rows back itself.
        for task in (self._claimer_task, self._events_task):
            if task is not None:
                await _finish(task, deadline)
        unsent += self._abandon_claims()
        unsent += self.queue.drain()  # nothing is put there once stopping; kept for safety
        await self._release(unsent)
        while self.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        cut_off = list(self.in_flight.values())  # no outcome will come for these
        for t in self.tasks:
            if t is not self._flusher_task:
                t.cancel()
        for t in self.tasks:
            if t is not self._flusher_task:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
        await self._release(cut_off)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.follower.release)
        # The flusher ends after its current write-back (never cancelled mid-batch unless it
        # hangs); the last results go in one more batch.
        self._flush_now.set()
        if self._flusher_task is not None:
            await _finish(self._flusher_task, max(deadline, time.monotonic() + 1.0))
        await self._flush()
        await self.sender.aclose()
        await self.fed.aclose()

    def _abandon_claims(self) -> list[DeliveryJob]:
        """From now on a claim that ends gives its own rows back; returns those handed over."""
        with self._claim_lock:
            self._abandoned = True
            claimed, self._claimed = self._claimed, []
        return [job for job, _body in claimed]

    def _queue_handed(self) -> None:
        """Move leased rows handed over (by a claim or by the event poller) to the senders."""
        if self.stopping:
            return  # stop() gives them back
        now = time.monotonic()
        for job, body in self._take_claimed():
            self.queue.put_nowait((job, body, now))

    def _take_claimed(self) -> list[tuple[DeliveryJob, Body]]:
        with self._claim_lock:
            claimed, self._claimed = self._claimed, []
        return claimed

    async def _release(self, jobs: list[DeliveryJob]) -> None:
        if jobs:
            await asyncio.to_thread(self._give_back, jobs)

    def _give_back(self, jobs: list[DeliveryJob]) -> None:
        """Un-lease rows not sent (in a thread); never raises: a failure leaves the lease to end."""
        try:
            self.fed.store.release_deliveries(jobs)
        except Exception:
            log.exception("delivery: giving back %d row(s) failed; their lease ends", len(jobs))

    async def _loop(self, step: Callable[[], Awaitable[bool]], every: float) -> None:
        while not self.stopping:
            try:
                busy = await step()
            except Exception:
                log.exception("delivery: %s failed; retrying", step.__name__)
                busy = False
            if not busy:
                await asyncio.sleep(every)

    async def _follow_events(self) -> None:
        """Turn new article events into deliveries as soon as the store's event signal says
        they were committed (this process, or any node on PostgreSQL); between signals, a
        cheap look at the newest event id every PEEK_EVERY (SQLite: another process's commit
        sends no signal) and a full poll every POLL_EVERY, which renews the follower's hold."""
        wake = self._events_wake
        assert wake is not None  # made by start()
        peek_every = POLL_EVERY if wake.cross_process else PEEK_EVERY
        signalled = False
        try:
            while not self.stopping:
                try:
                    busy = await self._poll_events(force=signalled or wake.pending())
                except Exception:
                    log.exception("delivery: following events failed; retrying")
                    busy = False
                signalled = False if busy else await wake.wait(peek_every)
        finally:
            wake.close()

    async def _poll_events(self, force: bool = False) -> bool:
        """One look (in one thread hop): returns True when a full batch may have more behind."""
        if not self.fed.settings.federation.enabled:
            return False
        loop = asyncio.get_running_loop()

        def queued_one(leased: list[DeliveryJob], left: int) -> None:  # in the poller's thread
            self._hand_over(leased)
            # Rows it leased go to the senders; only rows left unleased need a claim.
            loop.call_soon_threadsafe(self.fed.wake if left else self._queue_handed)

        def look() -> tuple[int, int]:
            # The peek is read-only; the full poll writes (it renews the follower's hold), so
            # it runs only when signalled, when there is something new, or every POLL_EVERY.
            now = time.monotonic()
            if force:
                newest = -1  # not looked up: the next timed look polls in full once more
            else:
                newest = self.fed.store.last_event_id()
                if newest == self._last_event and now - self._last_poll < POLL_EVERY:
                    return 0, 0
            self._last_poll = now
            events, queued = process_events(self.fed, 200, self.follower, queued_one, self._offer)
            if events < 200:
                self._last_event = newest
            return events, queued

        events, queued = await asyncio.to_thread(look)
        if queued:
            log.info("delivery: %d event(s) queued %d delivery(ies)", events, queued)
        return events >= 200

    async def _prune(self) -> bool:
        gone = await asyncio.to_thread(prune, self.fed.store)
        if any(gone.values()):
            log.info("delivery: pruned %s", ", ".join(f"{n} {k}" for k, n in gone.items() if n))
        return False

    @property
    def capacity(self) -> int:
        """The most leased rows this node keeps waiting for a sender."""
        return self.workers * PREFETCH

    def _room(self) -> int:
        # Read from the poller's and the claimer's threads: sizes are ints, a stale read only
        # makes one claim or offer a little smaller or larger.
        return self.capacity - self.queue.qsize() - len(self._claimed)

    def _offer(self) -> LeaseOffer | None:
        """How many of a new activity's rows this node takes as they are inserted (its room)."""
        room = self._room()
        if room <= 0 or self.stopping:
            return None
        return LeaseOffer(secrets.token_hex(16), datetime.now(UTC) + self.lease, room)

    def _claim(self, limit: int) -> int:
        """Lease due rows (in a thread) and hand them over; returns how many were taken."""
        return self._hand_over(self.fed.store.claim_deliveries(limit, self.lease))

    def _hand_over(self, jobs: list[DeliveryJob]) -> int:
        """Serialise and hash each activity once per batch of leased rows (every inbox gets the
        same bytes, signed as they are, and a refreshed Create is picked up) and put them in
        `_claimed` for the claimer to queue, or back in the database if stop() gave up
        waiting; returns how many were handed over."""
        if not jobs:
            return 0
        bodies: dict[str, Body] = {}
        for job in jobs:
            if job.activity_id not in bodies:
                bodies[job.activity_id] = Body.of(job.payload)
        with self._claim_lock:
            if not self._abandoned:
                self._claimed.extend((job, bodies[job.activity_id]) for job in jobs)
                return len(jobs)
        log.info("delivery: leased rows came after the stop; giving back %d", len(jobs))
        self._give_back(jobs)  # nobody will send these
        return 0

    async def _claimer(self) -> None:
        beat = getattr(self.state, "beat", None)
        # Fewer, larger claims: each is a transaction (and a thread hop contending for the GIL
        # with the senders), so topping up at half full keeps the workers fed for less.
        while not self.stopping:
            if beat:
                beat(HEARTBEAT, 60.0)
            # Cleared before looking: a wake during the claim (rows handed over or queued
            # meanwhile) makes the next look immediate instead of being lost.
            self.fed.wake_event.clear()
            room = self._room()
            got = 0
            if room > 0:
                try:
                    got = await asyncio.to_thread(self._claim, room)
                except Exception:
                    log.exception("delivery: claiming failed; retrying")
            if self.stopping:
                return  # stop() gives back what this claim handed over
            self._queue_handed()
            if room <= 0 or got == room:
                # Full: more rows may be due. Look again once the senders took half (a wake
                # would only find no room).
                self._room_made.clear()
                if self.queue.qsize() > self.capacity // 2 and not self.stopping:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._room_made.wait(), IDLE_LOOK)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.fed.wake_event.wait(), IDLE_LOOK)

    async def _worker(self) -> None:
        while not self.stopping:
            job, body, claimed = await self.queue.get()
            if self.queue.qsize() <= self.capacity // 2:
                self._room_made.set()
            lease = self.lease.total_seconds()
            if time.monotonic() - claimed > lease - min(5.0, lease / 4):
                self.queue.done(job.host)
                continue  # its lease is (nearly) over; another worker may own it now
            self.in_flight[job.id] = job
            try:
                outcome = await self.sender.attempt(job, body)
            except Exception as exc:  # a bug must not kill the worker or lose the row
                log.exception("delivery %d to %s crashed", job.id, job.inbox)
                outcome = transition(job, None, f"internal error: {exc}", datetime.now(UTC))
            finally:
                self.in_flight.pop(job.id, None)
                self.queue.done(job.host)
            if outcome.status != DONE:
                log.info(
                    "delivery %s -> %s: %s (%s)",
                    job.activity_id,
                    job.inbox,
                    outcome.status,
                    outcome.last_error,
                    extra={
                        "ctx_event": "delivery",
                        "ctx_activity": job.activity_id,
                        "ctx_inbox": job.inbox,
                        "ctx_result": outcome.status,
                        "ctx_error": outcome.last_error,
                        "ctx_attempts": job.attempts + 1,
                    },
                )
            self.results.append(outcome)
            # Write back a full batch, or at once when nothing else is going on (the last
            # results of a fan-out would otherwise wait for the timer).
            if len(self.results) >= FLUSH_BATCH or (not self.in_flight and self.queue.empty()):
                self._flush_now.set()

    async def _flusher(self) -> None:
        while not self.stopping:
            self._flush_now.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flush_now.wait(), FLUSH_EVERY)
            await self._flush()

    async def _flush(self) -> None:
        if not self.results:
            return
        batch, self.results = self.results, []
        try:
            await asyncio.to_thread(self.fed.store.finish_deliveries, batch)
        except Exception:
            log.exception("delivery: writing %d result(s) failed; will try again", len(batch))
            self.results[:0] = batch  # the next write-back (or the lease running out) has them


async def _finish(task: asyncio.Task[None], deadline: float) -> None:
    """Let `task` end by itself until `deadline` (time.monotonic()), then cancel it."""
    await asyncio.wait({task}, timeout=max(0.0, deadline - time.monotonic()))
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


def start(state: HostState) -> DeliveryService:
    """Run delivery in this process (the deliver role); the caller awaits .stop() at shutdown."""
    service = DeliveryService(state)
    service.start()
    return service
