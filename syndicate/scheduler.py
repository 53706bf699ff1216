"""The ingest scheduler: every enabled source polled once per interval by the whole cluster.

The schedule lives in the database (store/leases.py): each node claims the due sources nobody
holds (a lease), runs their passes, renews the leases while they run, and
then stores the next run (interval + jitter, or the backoff time after a failure) and frees the
lease. With one node this is a plain per-source schedule; with several, each source is still
polled once per interval, and a node that dies hands its sources to the others when its leases
run out. Passes of one source never overlap: the lease is the lock. Between looks the loop sleeps until
the first source can be claimed, or until woken (a reload, a pass ending, stop), at most MAX_IDLE
(another node may change the shared schedule).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from syndicate.config import Settings, SourceSettings
from syndicate.ingest.fetcher import Fetcher
from syndicate.ingest.runner import fetch_options, make_fetcher, run_source
from syndicate.ingest.writer import StoreWriter
from syndicate.models import PassResult
from syndicate.store import Store
from syndicate.websub_subscriber import fallback_interval

log = logging.getLogger("syndicate.scheduler")
HEARTBEAT = "scheduler"
TICK = 1.0  # seconds before the next look after a database error
MAX_IDLE = 30.0  # longest sleep between looks: other nodes' changes, the 60 s heartbeat
MIN_IDLE = 0.1  # shortest: a due source another node is claiming right now is not a hot loop
LEASE = timedelta(seconds=60)  # renewed every LEASE/3 while a pass runs
MAX_PASSES = 16  # passes one node runs at once; the fetcher's limits pace the requests


def _jitter(interval: timedelta) -> float:
    # Spread polls so a dozen sources on one host do not fire in the same second.
    return random.uniform(0, min(60.0, max(1.0, interval.total_seconds() * 0.1)))


def idle_seconds(
    now: datetime, leases: dict[str, dict[str, Any]], ids: Iterable[str], limit: float = MAX_IDLE
) -> float:
    """Seconds until the first of `ids` can be claimed (due, its lease free), within
    [MIN_IDLE, limit]; `leases` are the store's rows (store.source_leases())."""
    first: datetime | None = None
    for sid in ids:
        row = leases.get(sid)
        if row is None or row.get("next_run_at") is None:
            continue
        when = max(_aware(row["next_run_at"]), _aware(row.get("lease_until") or row["next_run_at"]))
        first = when if first is None else min(first, when)
    if first is None:
        return limit
    return min(limit, max(MIN_IDLE, (first - now).total_seconds()))


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class IngestScheduler:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        beat=None,  # type: ignore[no-untyped-def]
        node: str = "local",
        lease: timedelta = LEASE,
    ) -> None:
        self.settings = settings
        self.store = store
        self.node = node
        self.lease = lease
        self._beat = beat or (lambda name, limit: None)
        self.fetcher: Fetcher | None = None
        # Every pass's store work, on one thread (SQLite has one writer), off the event loop.
        self.writer = StoreWriter()
        self.running: set[str] = set()
        self.last_results: dict[str, PassResult] = {}
        self._inflight: dict[Fetcher, int] = {}  # passes still using each fetcher
        self._passes: dict[str, asyncio.Task[None]] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._paused = False
        self._wake = asyncio.Event()  # set: look for due sources now
        self._unsubscribe: Callable[[], None] = lambda: None
        self._next: dict[str, datetime] = {}  # last known next run per source (for pages)

    # ---- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        self.fetcher = make_fetcher(self.settings, self.store)
        self._plan(self.enabled_sources())
        loop = asyncio.get_running_loop()
        # A source made due now (a WebSub push, a reload) on any node (PostgreSQL) or in this
        # process wakes the loop, instead of waiting for its planned look (up to MAX_IDLE).

        def due_now() -> None:  # in whichever thread committed (or the listener's)
            loop.call_soon_threadsafe(self.wake)

        self._unsubscribe = self.store.signals.sources_due.subscribe(due_now)
        self._loop_task = loop.create_task(self._loop(), name="scheduler")
        log.info("scheduler started with %d source(s) on %s", len(self.source_jobs()), self.node)

    def pause(self) -> None:
        """No new passes from now on (shutdown); running ones continue."""
        self._paused = True
        self.wake()

    def wake(self) -> None:
        """Look for due sources now rather than at the next planned time."""
        self._wake.set()

    async def shutdown(self) -> None:
        """Cancel what still runs (after the service's grace), free its leases, close clients."""
        self._paused = True
        self._unsubscribe()
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        for task in list(self._passes.values()):
            task.cancel()
        if self._passes:
            await asyncio.gather(*self._passes.values(), return_exceptions=True)
        await self.writer.aclose(
            timeout=1.0
        )  # bounded: a stuck store call is left to its daemon thread
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.store.release_sources, self.node)
        for fetcher in {*self._inflight, self.fetcher}:
            if fetcher is not None:
                await fetcher.aclose()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    # ---- schedule ---------------------------------------------------------------------------

    def enabled_sources(self) -> list[SourceSettings]:
        return [s for s in self.settings.sources if s.enabled]

    def source_jobs(self) -> list[str]:
        return [s.id for s in self.enabled_sources()]

    def _plan(self, sources: list[SourceSettings]) -> None:
        """First run times for sources the database does not know yet (staggered by 0.5 s);
        a failing source's stored backoff is kept across restarts."""
        now = datetime.now(UTC)
        states = self.store.all_source_states()
        first: dict[str, datetime] = {}
        for i, src in enumerate(sources):
            when = now + timedelta(seconds=i * 0.5)
            backoff = states[src.id].backoff_until if src.id in states else None
            first[src.id] = max(when, backoff) if backoff else when
        self.store.plan_sources(first)
        leases = self.store.source_leases()
        self._next = {sid: row["next_run_at"] for sid, row in leases.items()}

    def next_run(self, source_id: str) -> datetime | None:
        if source_id not in {s.id for s in self.enabled_sources()}:
            return None
        return self._next.get(source_id)

    async def _loop(self) -> None:
        renew_every = self.lease.total_seconds() / 3
        renewed = asyncio.get_running_loop().time()
        while not self._paused:
            self._beat(HEARTBEAT, 60.0)
            self._wake.clear()  # before the look: a wake during it is not lost
            now_mono = asyncio.get_running_loop().time()
            try:
                if self.running and now_mono - renewed >= renew_every:
                    await asyncio.to_thread(
                        self.store.renew_sources, self.node, set(self.running), self.lease
                    )
                    renewed = now_mono
                await self._claim_due()
                wait = await asyncio.to_thread(self._until_due)
            except Exception:  # a database hiccup must not end the schedule
                log.exception("scheduler: claiming sources failed; retrying")
                wait = TICK
            if self.running:  # leases are renewed on time
                wait = min(wait, max(MIN_IDLE, renewed + renew_every - now_mono))
            await self._idle(wait)

    def _until_due(self) -> float:
        if len(self.running) >= MAX_PASSES:
            return MAX_IDLE  # no room: a pass ending wakes the loop
        ids = [sid for sid in self.source_jobs() if sid not in self.running]
        return idle_seconds(datetime.now(UTC), self.store.source_leases(), ids, MAX_IDLE)

    async def _idle(self, seconds: float) -> None:
        """Sleep `seconds`, or less if woken (cancellable: shutdown cancels the loop here)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()

    async def _claim_due(self) -> None:
        room = MAX_PASSES - len(self.running)
        if room <= 0 or self.fetcher is None:
            return
        ids = [sid for sid in self.source_jobs() if sid not in self.running]
        claimed = await asyncio.to_thread(
            self.store.claim_sources, self.node, ids, self.lease, room
        )
        for sid in claimed:
            self.running.add(sid)
            task = asyncio.get_running_loop().create_task(self._run(sid), name=f"pass-{sid}")
            self._passes[sid] = task

    async def _run(self, source_id: str) -> None:
        try:
            src = self.settings.source(source_id)
        except KeyError:
            self.running.discard(source_id)
            self._passes.pop(source_id, None)
            return
        fetcher = self.fetcher
        assert fetcher is not None
        self._inflight[fetcher] = self._inflight.get(fetcher, 0) + 1
        started = datetime.now(UTC)
        result: PassResult | None = None
        try:
            result = await run_source(self.settings, src, self.store, fetcher, writer=self.writer)
        except Exception:
            log.exception("pass of %s crashed", source_id)
        finally:
            self.running.discard(source_id)
            self._passes.pop(source_id, None)
            self._inflight[fetcher] -= 1
            if not self._inflight[fetcher]:
                del self._inflight[fetcher]
                if fetcher is not self.fetcher:  # replaced by reload(): its last pass is done
                    await fetcher.aclose()
        if result is not None:
            self.last_results[source_id] = result
        interval = self.settings.interval(src)
        if (
            result is not None and result.subscribed
        ):  # pushed by a WebSub hub: polling is the fallback
            interval = fallback_interval(interval)
        # From the pass's start: a slow pass does not push the whole schedule later.
        when = started + interval + timedelta(seconds=_jitter(interval))
        if result is None or result.failed:
            state = await asyncio.to_thread(self.store.source_state, source_id)
            if state.backoff_until:
                # Retry on the backoff schedule, not the normal interval.
                when = state.backoff_until + timedelta(seconds=random.uniform(0, 5))
            elif result is None:
                when = datetime.now(UTC) + timedelta(seconds=60)
        self._next[source_id] = when
        await asyncio.to_thread(self.store.finish_source, source_id, self.node, when)
        self.wake()  # a slot is free and the schedule changed

    # ---- reload -----------------------------------------------------------------------------

    def reload(self, settings: Settings) -> tuple[list[str], list[str]]:
        """Apply a new config: start new sources, stop removed ones, re-time changed ones."""
        old = {s.id: s for s in self.settings.sources if s.enabled}
        new = {s.id: s for s in settings.sources if s.enabled}
        fetch_changed = fetch_options(settings) != fetch_options(self.settings)
        retimed = [
            sid
            for sid in old.keys() & new.keys()
            if settings.interval(new[sid]) != self.settings.interval(old[sid])
        ]
        self.settings = settings
        if fetch_changed and self.fetcher is not None:
            self._replace_fetcher()
        self._plan([new[sid] for sid in new.keys() - old.keys()])
        now = datetime.now(UTC)
        for sid in retimed:
            when = now + timedelta(seconds=_jitter(settings.interval(new[sid])))
            self.store.reschedule_source(sid, when)
            self._next[sid] = when
        self.wake()  # new sources are due now, re-timed ones maybe sooner
        return sorted(new.keys() - old.keys()), sorted(old.keys() - new.keys())

    def _replace_fetcher(self) -> None:
        """New [fetch] settings (or source hosts the address guard trusts) take a new fetcher; the
        old one is closed once the passes running on it finish."""
        old, self.fetcher = self.fetcher, make_fetcher(self.settings, self.store)
        log.info("fetch settings changed: new HTTP client for the next passes")
        if old is not None and not self._inflight.get(old):
            task = asyncio.get_running_loop().create_task(old.aclose())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
