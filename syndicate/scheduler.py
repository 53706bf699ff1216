"""APScheduler wiring: one job per enabled source, at its interval, never two at once."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from syndicate.config import Settings, SourceSettings
from syndicate.ingest.fetcher import Fetcher
from syndicate.ingest.runner import fetch_options, make_fetcher, run_source
from syndicate.models import PassResult
from syndicate.store import Store

log = logging.getLogger("syndicate.scheduler")
HEARTBEAT = "scheduler"
HEARTBEAT_EVERY = 10  # seconds


def _jitter(interval: timedelta) -> int:
    # Spread polls so a dozen sources on one host do not fire in the same second.
    return int(min(60, max(1, interval.total_seconds() * 0.1)))


class IngestScheduler:
    def __init__(self, settings: Settings, store: Store, *, beat=None) -> None:  # type: ignore[no-untyped-def]
        self.settings = settings
        self.store = store
        self._beat = beat or (lambda name, limit: None)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.fetcher: Fetcher | None = None
        self.running: set[str] = set()
        self.last_results: dict[str, PassResult] = {}
        self._inflight: dict[Fetcher, int] = {}  # passes still using each fetcher
        self._closing: set[asyncio.Task] = set()

    def start(self) -> None:
        self.fetcher = make_fetcher(self.settings, self.store)
        self.scheduler.add_job(
            self._heartbeat,
            IntervalTrigger(seconds=HEARTBEAT_EVERY),
            id="_heartbeat",
            next_run_time=datetime.now(UTC),
        )
        for i, src in enumerate(s for s in self.settings.sources if s.enabled):
            self._add(src, first_delay=i * 0.5)
        self.scheduler.start()
        log.info("scheduler started with %d source(s)", len(self.source_jobs()))

    def _heartbeat(self) -> None:
        self._beat(HEARTBEAT, HEARTBEAT_EVERY * 6)

    def _add(self, src: SourceSettings, first_delay: float = 0.0) -> None:
        interval = self.settings.interval(src)
        state = self.store.source_state(src.id)
        first = datetime.now(UTC) + timedelta(seconds=first_delay)
        if state.backoff_until and state.backoff_until > first:
            first = state.backoff_until  # a restart does not reset a failing source's backoff
        self.scheduler.add_job(
            self._run,
            IntervalTrigger(seconds=interval.total_seconds(), jitter=_jitter(interval)),
            id=src.id,
            args=[src.id],
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(interval.total_seconds()),
            next_run_time=first,
            replace_existing=True,
        )

    def source_jobs(self) -> list[str]:
        return [j.id for j in self.scheduler.get_jobs() if not j.id.startswith("_")]

    def next_run(self, source_id: str) -> datetime | None:
        job = self.scheduler.get_job(source_id)
        return job.next_run_time if job else None

    async def _run(self, source_id: str) -> None:
        try:
            src = self.settings.source(source_id)
        except KeyError:
            return
        if source_id in self.running or self.fetcher is None:
            return
        self.running.add(source_id)
        fetcher = self.fetcher
        self._inflight[fetcher] = self._inflight.get(fetcher, 0) + 1
        try:
            result = await run_source(self.settings, src, self.store, fetcher)
        finally:
            self.running.discard(source_id)
            self._inflight[fetcher] -= 1
            if not self._inflight[fetcher]:
                del self._inflight[fetcher]
                if fetcher is not self.fetcher:  # replaced by reload(): its last pass is done
                    await fetcher.aclose()
        self.last_results[source_id] = result
        if result.failed:
            state = self.store.source_state(source_id)
            job = self.scheduler.get_job(source_id)
            if job and state.backoff_until:
                # Retry on the backoff schedule, not the normal interval.
                when = state.backoff_until + timedelta(seconds=random.uniform(0, 5))
                job.modify(next_run_time=when)

    def reload(self, settings: Settings) -> tuple[list[str], list[str]]:
        """Apply a new config: start new sources, stop removed ones, re-time changed ones."""
        old = {s.id: s for s in self.settings.sources if s.enabled}
        new = {s.id: s for s in settings.sources if s.enabled}
        fetch_changed = fetch_options(settings) != fetch_options(self.settings)
        self.settings = settings
        if fetch_changed and self.fetcher is not None:
            self._replace_fetcher()
        for sid in old.keys() - new.keys():
            try:
                self.scheduler.remove_job(sid)
            except JobLookupError:
                pass
        for sid, src in new.items():
            if sid not in old or old[sid] != src:
                self._add(src)
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

    async def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for fetcher in {*self._inflight, self.fetcher}:
            if fetcher is not None:
                await fetcher.aclose()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
