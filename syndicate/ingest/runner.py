"""One ingest pass over a source: pick its route, store each entry as it comes, record the outcome."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

from syndicate import backoff, metrics, websub_subscriber
from syndicate.config import Settings, SourceSettings
from syndicate.health import monitor as source_health
from syndicate.ingest import auto, feed, folder, html, lifecycle, sitemap, wordpress
from syndicate.ingest.context import IngestContext
from syndicate.ingest.fetcher import Fetcher, FetchError, FetchOptions
from syndicate.ingest.writer import StoreWriter
from syndicate.models import Article, Change, Entry, PassResult, SourceState
from syndicate.normalize.dedupe import TextSignature, same_story
from syndicate.store import Store
from syndicate.store.articles import UNKNOWN, Unknown

log = logging.getLogger("syndicate.ingest")

Route = Callable[[IngestContext], AsyncIterator[Entry]]


async def _pushed(ctx: IngestContext) -> AsyncIterator[Entry]:
    """kind = "api": the newsroom POSTs its articles to /api/posts; there is nothing to poll."""
    ctx.not_modified = True
    return
    yield  # pragma: no cover - makes this an async generator


ROUTES: dict[str, Route] = {
    "feed": feed.collect,
    "wordpress": wordpress.collect,
    "sitemap": sitemap.collect,
    "html": html.collect,
    "folder": folder.collect,
    "auto": auto.collect,
    "api": _pushed,
}

STORY_DAYS = 3
# A NEW article published this long before the source's previous successful pass is backfill
# (listed, never announced): a late-found article from yesterday is still news, an old one is not.
ANNOUNCE_MARGIN = timedelta(days=1)


def backoff_delay(failures: int) -> timedelta:
    """1, 2, 4 … minutes after consecutive failures, capped at 6 hours."""
    return backoff.SOURCE.delay(failures)


def route_for(source: SourceSettings) -> str:
    """The route a pass runs: `auto` picks (and remembers) its own."""
    return source.kind


def source_urls(settings: Settings) -> tuple[str, ...]:
    """Every URL the operator configured: their hosts may be private (the address guard trusts them)."""
    urls = [u for s in settings.sources if _is_http(s) for u in (s.url, s.feed_url) if u]
    return tuple(dict.fromkeys(urls))


def fetch_options(settings: Settings) -> FetchOptions:
    f = settings.fetch
    return FetchOptions(
        user_agent=settings.user_agent(),
        timeout=f.timeout.total_seconds(),
        connect_timeout=f.connect_timeout.total_seconds(),
        total_timeout=max(f.timeout.total_seconds() * 3, 30.0),
        max_body_bytes=f.max_body_bytes,
        max_redirects=f.max_redirects,
        concurrency=f.concurrency,
        per_host_concurrency=f.per_host_concurrency,
        per_host_delay=f.per_host_delay.total_seconds(),
        respect_robots=f.respect_robots,
        allow_private_networks=tuple(f.allow_private_networks),
        trusted_urls=source_urls(settings),
    )


def make_fetcher(settings: Settings, store: Store) -> Fetcher:
    return Fetcher(fetch_options(settings), store)


def _is_http(source: SourceSettings) -> bool:
    return source.kind not in ("folder", "api")


async def run_source(
    settings: Settings,
    source: SourceSettings,
    store: Store,
    fetcher: Fetcher,
    *,
    backfill: int | None = None,
    on_entry: Callable[[Entry, Change], None] | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
    writer: StoreWriter | None = None,
) -> PassResult:
    """Run one pass. Never raises for source problems: they become a failed PassResult.

    Its store calls run on `writer` (one thread shared by the passes running at once; a pass
    without one gets its own), never on the event loop."""
    if writer is None:
        async with StoreWriter() as own:
            return await run_source(
                settings, source, store, fetcher, backfill=backfill, on_entry=on_entry,
                progress=progress, writer=own,
            )  # fmt: skip
    started = time.monotonic()
    now = datetime.now(UTC)
    state = await writer.run(store.source_state, source.id)
    # Until a pass succeeds, every pass is the first: one that failed halfway left a partial backlog.
    first_pass = not state.last_success_at
    limit = backfill or (
        settings.backfill(source) if first_pass else max(settings.backfill(source), 100)
    )
    route = route_for(source)
    backfilling = first_pass or bool(backfill)
    ctx = IngestContext(settings, source, store, fetcher, state, backfilling, limit, writer=writer)
    ctx.unconditional = bool(backfill)  # `fetch --backfill N` must read the listing, not get a 304
    announce_after = state.last_success_at - ANNOUNCE_MARGIN if state.last_success_at else None
    ctx.entry_url = source.feed_url if source.kind != "auto" else state.route_url
    if progress is not None:
        ctx.progress = lambda done, total: progress(source.id, done, total)
    if _is_http(source):
        fetcher.seed_robots(source.url, state.cursor.get("robots"))
    result = PassResult(source_id=source.id, route=route)
    retry_after: float | None = None
    failure: BaseException | None = None
    seen: list[Entry] = []  # for source health: what extraction yielded this pass
    try:
        async for entry in _entries(ctx, route, now):
            seen.append(entry)
            # Stored one by one, so a failure later in the pass keeps what came before.
            old_news = (
                announce_after is not None
                and entry.published is not None
                and _before(entry.published, announce_after)
            )
            change = await writer.run(_store, ctx, entry, backfilling or old_news, now)
            if change is Change.NEW:
                result.new += 1
            elif change is Change.UPDATED:
                result.updated += 1
            else:
                result.unchanged += 1
            if on_entry:
                on_entry(entry, change)
        result.unchanged += ctx.skipped
        if _is_http(source):
            await lifecycle.check_removals(ctx)
        result.removed = ctx.removed
    except asyncio.CancelledError:
        raise
    except FetchError as exc:
        failure = exc
        retry_after = exc.retry_after
        result.failure = exc.to_dict()
        result.failed, result.error = (
            True,
            exc.reason if exc.url in exc.reason else f"{exc.reason} ({exc.url})",
        )
    except auto.DiscoveryError as exc:  # an expected outcome (site down, no route): no traceback
        failure = exc
        result.failed, result.error = True, str(exc)
    except Exception as exc:  # a source's bad data must never stop the others
        log.exception("source %s: unexpected error", source.id)
        failure = exc
        result.failed, result.error = True, f"{type(exc).__name__}: {exc}"
    if not result.failed:
        await _save_validators(ctx)
    if source.kind == "auto":
        result.route = state.route or route
    result.seconds = time.monotonic() - started
    if _is_http(source):
        robots = fetcher.robots_entry(source.url)
        if robots is not None and robots.status != "unreachable":
            state.cursor["robots"] = robots.to_dict()
    if _is_http(source) and not result.failed:  # a feed that names a hub pushes to us
        result.subscribed = await websub_subscriber.after_pass(
            settings, store, source, state, ctx.pending, fetcher.client
        )
    _record(state, result, now, route, ctx, retry_after)
    await writer.run(store.save_source_state, state)
    metrics.record_pass(result, state.last_result)
    listed = None if result.failed or ctx.not_modified or not _is_http(source) else ctx.found
    await source_health.after_pass(
        settings, store, source, result, failure, seen, listed, state, retry_after, run=writer.run
    )
    return result


def _store(ctx: IngestContext, entry: Entry, backfill: bool, now: datetime) -> Change:
    """One entry through the store (the writer thread's job): stored, folded, and a new
    watched article's re-check schedule started."""
    known = ctx.cached(entry.guid, entry.canonical_url)
    article, change = store_article(ctx.store, ctx.source.id, entry, backfill, known=known)
    ctx.stored(entry, article)
    if change is Change.NEW and ctx.watched:
        lifecycle.stored(ctx, entry, change, now)
    return change


def _before(published: datetime, when: datetime) -> bool:
    """published < when; a naive time (no offset known) is read as UTC."""
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return published < when


def store_entry(store: Store, source_id: str, entry: Entry, backfill: bool = False) -> Change:
    """Store one entry (NEW/UPDATED/UNCHANGED) with its fingerprint; fold a reprint into its story."""
    return store_article(store, source_id, entry, backfill)[1]


def store_article(
    store: Store,
    source_id: str,
    entry: Entry,
    backfill: bool = False,
    *,
    known: Article | None | Unknown = UNKNOWN,
) -> tuple[Article, Change]:
    """store_entry, returning the stored article too; `known` is the caller's lookup of the
    entry's stored article (IngestContext.cached), so the store does not repeat it."""
    # Made on first use: an unchanged text is never shingled or hashed again (the store asks
    # for the fingerprint only for a new or changed text).
    sig = TextSignature(entry.content_text) if entry.content_text else None
    article, change = store.upsert_entry(
        source_id,
        entry,
        backfill=backfill,
        fingerprint=sig.fingerprint if sig else None,
        known=known,
        bands=sig.bands if sig else None,  # a new article's, written in its own transaction
    )
    if change is Change.NEW and sig and sig.fingerprint() and article.published is not None:
        _fold_story(store, article.id, source_id, entry, sig, article.published, saved=True)
    return article, change


def store_entries(store: Store, items: list[tuple[str, Entry]]) -> list[tuple[Article, Change]]:
    """Store (source id, entry) pairs all or nothing (one transaction; KeyConflict when an
    entry with a guid reuses another article's URL), then fold new reprints into their stories."""
    sigs = [TextSignature(e.content_text) if e.content_text else None for _, e in items]
    stored = store.upsert_entries(
        [
            (sid, e, sig.fingerprint if sig else None)
            for (sid, e), sig in zip(items, sigs, strict=True)
        ]
    )
    for (sid, entry), sig, (article, change) in zip(items, sigs, stored, strict=True):
        if change is Change.NEW and sig and sig.fingerprint() and article.published is not None:
            _fold_story(store, article.id, sid, entry, sig, article.published)
    return stored


def _fold_story(
    store: Store,
    article_id: str,
    source_id: str,
    entry: Entry,
    sig: TextSignature,
    published: datetime,
    *,
    saved: bool = False,
) -> None:
    """A reprint of another source's story (same press release) joins that story. Candidates
    come from the LSH band index (a lookup, flat in the number of stored articles)."""
    fp, text_bands = sig.fingerprint(), sig.bands()
    if not saved:  # store_entries: the batch's transaction did not write them
        store.save_bands(article_id, text_bands, published)
    for other in store.band_candidates(source_id, text_bands, published, days=STORY_DAYS):
        if same_story(entry.content_text, other.content_text, fp, other.fingerprint):
            story = other.story_id or other.id
            store.set_story([other.id, article_id], story)
            log.info("article %s is the same story as %s (%s)", article_id, other.id, story)
            return


async def _save_validators(ctx: IngestContext) -> None:
    """Listing validators only once every item of the pass was stored (see IngestContext.pending)."""
    if ctx.failed_items:
        ctx.notes.insert(0, f"{ctx.failed_items} item(s) failed and will be retried next pass")
        return
    await ctx.remember(*ctx.pending)


async def _entries(ctx: IngestContext, route: str, now: datetime) -> AsyncIterator[Entry]:
    """The route's entries, then (for web sources) missing pages retried and due re-checks."""
    async for entry in ROUTES[route](ctx):
        yield entry
    if _is_http(ctx.source):
        async for entry in lifecycle.followups(ctx, now):
            yield entry


def _log_fields(result: PassResult, outcome: str, state: SourceState) -> dict[str, object]:
    """Structured fields for `--log-format json` (one line per fetch, machine-readable)."""
    return {
        "ctx_event": "fetch",
        "ctx_source": result.source_id,
        "ctx_route": result.route,
        "ctx_result": outcome,
        "ctx_new": result.new,
        "ctx_updated": result.updated,
        "ctx_removed": result.removed,
        "ctx_seconds": round(result.seconds, 3),
        "ctx_error": result.error,
        "ctx_attempt": state.consecutive_failures,
    }


def _record(
    state: SourceState,
    result: PassResult,
    now: datetime,
    route: str,
    ctx: IngestContext,
    retry_after: float | None = None,
) -> None:
    """The pass's outcome into `state` (the caller saves it) and the log."""
    state.last_fetch_at = now
    if ctx.source.kind != "auto":
        state.route, state.route_reason = route, "configured"
        state.route_url = ctx.entry_url or ctx.source.url
    if result.failed:
        state.consecutive_failures += 1
        delay = backoff_delay(state.consecutive_failures)
        if retry_after:
            delay = max(delay, timedelta(seconds=min(retry_after, backoff.SOURCE.cap)))
        state.backoff_until = now + delay
        state.last_error = result.error
        state.last_result = f"failed: {result.error}"
        log.warning(
            "source %s: failed (%s); attempt %d, next try after %s",
            result.source_id,
            result.error,
            state.consecutive_failures,
            state.backoff_until.isoformat(timespec="seconds"),
            extra=_log_fields(result, "failed", state),
        )
    else:
        state.consecutive_failures = 0
        state.backoff_until = None
        state.last_success_at = now
        if ctx.not_modified and not (result.new or result.updated or result.removed):
            state.last_result = "unchanged (304)"
        else:
            state.last_result = result.summary()
        state.last_error = "; ".join(ctx.notes)[:2000] if ctx.notes else None
        log.info(
            "source %s: %s in %.2fs",
            result.source_id,
            state.last_result,
            result.seconds,
            extra=_log_fields(result, "ok", state),
        )


async def run_sources(
    settings: Settings,
    store: Store,
    source_ids: list[str] | None = None,
    *,
    backfill: int | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
    fetcher: Fetcher | None = None,
) -> list[PassResult]:
    """One pass over several sources at once; a slow or broken one never holds up the rest."""
    sources = [
        s
        for s in settings.sources
        if (source_ids is None and s.enabled) or (source_ids and s.id in source_ids)
    ]
    async with StoreWriter() as writer:  # one writer thread for all these passes
        if fetcher is not None:
            return await _gather(settings, store, sources, fetcher, backfill, progress, writer)
        async with make_fetcher(settings, store) as own:
            return await _gather(settings, store, sources, own, backfill, progress, writer)


async def _gather(
    settings, store, sources, fetcher, backfill, progress, writer
) -> list[PassResult]:  # type: ignore[no-untyped-def]
    return list(
        await asyncio.gather(
            *(
                run_source(
                    settings,
                    s,
                    store,
                    fetcher,
                    backfill=backfill,
                    progress=progress,
                    writer=writer,
                )  # fmt: skip
                for s in sources
            )
        )
    )
