"""One ingest pass over a source: pick its route, store each entry as it comes, record the outcome."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

from syndicate import metrics
from syndicate.config import Settings, SourceSettings
from syndicate.ingest import feed, folder
from syndicate.ingest.context import IngestContext
from syndicate.ingest.fetcher import Fetcher, FetchError, FetchOptions
from syndicate.models import Change, Entry, PassResult
from syndicate.store import Store

log = logging.getLogger("syndicate.ingest")

Route = Callable[[IngestContext], AsyncIterator[Entry]]
ROUTES: dict[str, Route] = {"feed": feed.collect, "folder": folder.collect}

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)


def backoff_delay(failures: int) -> timedelta:
    """1, 2, 4 … minutes after consecutive failures, capped at 6 hours."""
    if failures <= 0:
        return timedelta(0)
    return min(BACKOFF_BASE * (2 ** (failures - 1)), BACKOFF_CAP)


def route_for(source: SourceSettings, state_route: str | None) -> str:
    if source.kind == "auto":
        # Until discovery picks something cheaper, a site's feed is the safe default.
        return state_route if state_route in ROUTES else "feed"
    return source.kind


def fetch_options(settings: Settings) -> FetchOptions:
    f = settings.fetch
    return FetchOptions(
        user_agent=settings.user_agent(),
        timeout=f.timeout.total_seconds(),
        connect_timeout=f.connect_timeout.total_seconds(),
        max_body_bytes=f.max_body_bytes,
        max_redirects=f.max_redirects,
    )


def make_fetcher(settings: Settings, store: Store) -> Fetcher:
    return Fetcher(fetch_options(settings), store)


async def run_source(
    settings: Settings,
    source: SourceSettings,
    store: Store,
    fetcher: Fetcher,
    *,
    backfill: int | None = None,
    on_entry: Callable[[Entry, Change], None] | None = None,
) -> PassResult:
    """Run one pass. Never raises for source problems: they become a failed PassResult."""
    started = time.monotonic()
    now = datetime.now(UTC)
    state = store.source_state(source.id)
    first_pass = store.count_articles(source.id) == 0 and not state.last_success_at
    limit = backfill or (
        settings.backfill(source) if first_pass else max(settings.backfill(source), 100)
    )
    route = route_for(source, state.route)
    ctx = IngestContext(settings, source, store, fetcher, state, first_pass, limit)
    result = PassResult(source_id=source.id, route=route)
    try:
        async for entry in ROUTES[route](ctx):
            # Stored one by one, so a failure later in the pass keeps what came before.
            _, change = store.upsert_entry(source.id, entry, backfill=first_pass)
            if change is Change.NEW:
                result.new += 1
            elif change is Change.UPDATED:
                result.updated += 1
            else:
                result.unchanged += 1
            if on_entry:
                on_entry(entry, change)
    except asyncio.CancelledError:
        raise
    except FetchError as exc:
        result.failed, result.error = (
            True,
            exc.reason if exc.url in exc.reason else f"{exc.reason} ({exc.url})",
        )
    except Exception as exc:  # a source's bad data must never stop the others
        log.exception("source %s: unexpected error", source.id)
        result.failed, result.error = True, f"{type(exc).__name__}: {exc}"
    result.seconds = time.monotonic() - started
    _record(store, state, result, now, route, ctx)
    return result


def _record(
    store: Store, state, result: PassResult, now: datetime, route: str, ctx: IngestContext
) -> None:  # type: ignore[no-untyped-def]
    state.last_fetch_at = now
    state.route = state.route or route
    if result.failed:
        state.consecutive_failures += 1
        state.backoff_until = now + backoff_delay(state.consecutive_failures)
        state.last_error = result.error
        state.last_result = f"failed: {result.error}"
        log.warning(
            "source %s: failed (%s); attempt %d, next try after %s",
            result.source_id,
            result.error,
            state.consecutive_failures,
            state.backoff_until.isoformat(timespec="seconds"),
        )
    else:
        state.consecutive_failures = 0
        state.backoff_until = None
        state.last_success_at = now
        state.last_result = result.summary() if not ctx.not_modified else "unchanged (304)"
        if ctx.notes:
            state.last_error = "; ".join(ctx.notes)[:2000]
        else:
            state.last_error = None
        log.info("source %s: %s in %.2fs", result.source_id, state.last_result, result.seconds)
    store.save_source_state(state)
    metrics.record_pass(result, state.last_result)


async def run_sources(
    settings: Settings,
    store: Store,
    source_ids: list[str] | None = None,
    *,
    backfill: int | None = None,
) -> list[PassResult]:
    """One pass over several sources at once; a slow or broken one never holds up the rest."""
    sources = [
        s
        for s in settings.sources
        if (source_ids is None and s.enabled) or (source_ids and s.id in source_ids)
    ]
    async with make_fetcher(settings, store) as fetcher:
        return list(
            await asyncio.gather(
                *(run_source(settings, s, store, fetcher, backfill=backfill) for s in sources)
            )
        )
