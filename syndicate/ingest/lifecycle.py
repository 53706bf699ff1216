"""After a route ran: corrections re-checked, removals confirmed.

Corrections. A route that gives no modification time for an article (an HTML listing, an excerpt
feed without <updated>, a sitemap without <lastmod>) cannot tell us it was corrected. Such
articles, when recent (published within RECENT of the source's newest article, and never after
now), get a re-check schedule: conditional GETs at RECHECK_AGES after they were first seen
(1 h, 3 h, 9 h, 24 h ... 7 days); a listing that names them and changed brings the next check
forward (never more checks than steps). At most MAX_RECHECKS per pass, through the fetcher
(per-host delay and robots apply); a 304 costs nothing.

Removals. An article is re-requested when a complete listing no longer names it: it falls inside
the listing's date window, or the previous pass's listing named it and this one does not (the
oldest article of a listing has no older neighbour to date the window). 404/410, a redirect to
the home page or a section listing, or a not-found page answered 200 count as "missing"; two in
a row mark it removed (store.record_missing writes the event).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from syndicate.ingest.context import IngestContext
from syndicate.ingest.fetcher import FetchError
from syndicate.ingest.pages import HTML_ACCEPT, PageGone, looks_like_article, read_article
from syndicate.ingest.removal import gone_reason
from syndicate.models import Article, Change, Entry
from syndicate.normalize.urls import canonicalize_url

log = logging.getLogger("syndicate.ingest.lifecycle")

MAX_REMOVAL_CHECKS = 10  # article pages re-requested per pass to confirm a deletion
MAX_RECHECKS = 10  # article pages re-checked for corrections per pass
RECENT = timedelta(days=7)
RECHECK_AGES = tuple(
    timedelta(hours=h) for h in (1, 3, 9, 24, 48, 96, 168)
)  # after first seen; the last one ends the schedule at 7 days
MAX_PAGE_RETRIES = 6  # passes a new item whose page answered 404 is tried again
LISTED_KEEP = 2000  # listing keys remembered between passes (canonical URLs and guids)


def next_due(started_at: datetime, now: datetime, done: int) -> datetime | None:
    """When the next check is due after `done` checks (a late pass skips the ones it missed);
    None when the schedule is over."""
    for age in RECHECK_AGES[done:]:
        if started_at + age > now:
            return started_at + age
    return None


def is_recent(published: datetime | None, newest: datetime | None, now: datetime) -> bool:
    """Published within RECENT of the source's own newest article (and of now, if earlier)."""
    if published is None or published.tzinfo is None:
        return False
    reference = min(newest, now) if newest is not None else now
    return published >= reference - RECENT


def stored(ctx: IngestContext, entry: Entry, change: Change, now: datetime) -> None:
    """Start the re-check schedule of a new article its route cannot report corrections for."""
    if change is not Change.NEW or not ctx.watched & {entry.canonical_url, entry.guid}:
        return
    if not is_recent(entry.published, ctx.store.newest_published(ctx.source.id), now):
        return
    article = ctx.store.find_article(
        ctx.source.id, guid=entry.guid, canonical_url=entry.canonical_url
    )
    if article is not None:
        ctx.store.schedule_recheck(
            article.id, ctx.source.id, due_at=now + RECHECK_AGES[0], started_at=now
        )


async def followups(ctx: IngestContext, now: datetime) -> AsyncIterator[Entry]:
    """What a pass does after its route: pages that were missing, then due re-checks."""
    async for entry in retried(ctx):
        yield entry
    async for entry in rechecked(ctx, now):
        yield entry


async def retried(ctx: IngestContext) -> AsyncIterator[Entry]:
    """New items whose page answered 404/410 or a not-found page on an earlier pass: a listing
    that answers 304 would never name them again, so they are retried on their own."""
    retry: dict[str, int] = ctx.cursor.get("retry_pages") or {}
    for url, attempts in list(retry.items()):
        if url in ctx.gone_now:
            continue  # the route itself tried it this pass
        known = await ctx.lookup(None, canonicalize_url(url))
        if attempts >= MAX_PAGE_RETRIES or known is not None:
            retry.pop(url, None)
            continue
        try:
            entry, responses = await read_article(ctx, url, conditional=False)
        except PageGone:
            retry[url] = attempts + 1
            continue
        except FetchError as exc:
            log.info("source %s: retry of %s failed: %s", ctx.source.id, url, exc.reason)
            continue
        except Exception:
            log.exception("source %s: cannot read %s", ctx.source.id, url)
            retry[url] = attempts + 1
            continue
        retry.pop(url, None)
        if entry is None or not looks_like_article(entry):
            continue
        entry.guid = entry.guid or canonicalize_url(url)
        ctx.watch(entry)
        yield entry
        await ctx.remember(*responses)
    if not retry:
        ctx.cursor.pop("retry_pages", None)


async def rechecked(ctx: IngestContext, now: datetime) -> AsyncIterator[Entry]:
    """Re-read the articles whose check is due (or whose listing changed); yield what changed."""
    rows = await ctx.write(ctx.store.rechecks, ctx.source.id)
    if not rows:
        return
    listed = ctx.window.keys if ctx.window is not None and not ctx.not_modified else set()
    rows = [r for r in rows if r.started_at < now]  # not those this pass just stored
    due = [r for r in rows if r.due_at <= now]
    named = [r for r in rows if r.due_at > now and r.canonical_url in listed]
    for row in (due + named)[:MAX_RECHECKS]:
        # Either way it counts as the next step: a listing that changes every pass pulls the
        # checks forward but never adds to them (at most len(RECHECK_AGES) per article).
        old = await ctx.write(
            _advance, ctx, row.article_id, next_due(row.started_at, now, row.step + 1), row.step + 1
        )
        if old is None:
            continue
        ctx.checked.add(row.article_id)
        # The stored identity and dates are hints; title and text come from the page again,
        # and its declared modified time (if any) becomes the correction's time.
        hints = Entry(
            url=old.url,
            canonical_url=old.canonical_url,
            title="",
            guid=old.guid,
            published=old.published,
            image=old.image,
            tags=list(old.tags),
        )
        try:
            entry, responses = await read_article(ctx, old.url, hints, conditional=True)
        except PageGone as exc:
            await ctx.write(_missing, ctx, row.article_id, old.url, exc.reason)
            continue
        except FetchError as exc:
            log.info("source %s: re-check of %s failed: %s", ctx.source.id, old.url, exc.reason)
            continue
        except Exception:  # one unparsable page never ends the pass
            log.exception("source %s: cannot re-check %s", ctx.source.id, old.url)
            continue
        if entry is None:  # 304: unchanged
            continue
        await ctx.write(ctx.store.clear_missing, row.article_id)
        if not looks_like_article(entry):
            continue
        entry.guid = old.guid or entry.guid
        entry.canonical_url = old.canonical_url
        yield entry
        await ctx.remember(*responses)


def _advance(
    ctx: IngestContext, article_id: str, due: datetime | None, step: int
) -> Article | None:
    """Count a re-check's step and read the article (one writer job)."""
    ctx.store.advance_recheck(article_id, due, step)
    return ctx.store.get_article(article_id)


def _missing(ctx: IngestContext, article_id: str, url: str, reason: str) -> None:
    if ctx.store.record_missing(article_id):
        ctx.removed += 1
        log.info("source %s: article %s removed (%s, twice)", ctx.source.id, url, reason)


async def check_removals(ctx: IngestContext) -> int:
    """Re-request articles a complete listing no longer names (and those already missing once)."""
    window = ctx.window
    # Without a complete listing (a 304) only articles already missing once are suspects.
    # With one, those the loop below may pick too: inside the listing's date window, or named
    # by the previous listing and not this one. Never the source's whole archive.
    previous = set(ctx.cursor.get("listed") or [])
    complete = window if window is not None and window.complete else None
    keys = await ctx.write(
        ctx.store.article_keys,
        ctx.source.id,
        suspects_only=True,
        since=complete.oldest if complete else None,
        keys=previous - complete.keys if complete else (),
    )
    suspects = [k for k in keys if k[5] > 0]
    if complete is not None:
        for k in keys:
            _id, _url, canonical, guid, published, checks = k
            if checks or canonical in complete.keys or (guid and guid in complete.keys):
                continue
            in_range = (
                complete.oldest is not None
                and published is not None
                and published >= complete.oldest
            )
            dropped = canonical in previous or (guid is not None and guid in previous)
            if in_range or dropped:
                suspects.append(k)
        ctx.cursor["listed"] = sorted(complete.keys)[-LISTED_KEEP:]
    before = ctx.removed
    for article_id, url, *_ in [k for k in suspects if k[0] not in ctx.checked][
        :MAX_REMOVAL_CHECKS
    ]:
        try:
            # Conditional: an article that merely fell off a listing costs a 304 (its page
            # validators were saved when it was read); a deleted one still answers 404/410,
            # a redirect or a new not-found page.
            resp = await ctx.get(url, accept=HTML_ACCEPT, conditional=True)
        except FetchError:
            continue  # unreachable proves nothing
        old = await ctx.write(ctx.store.get_article, article_id)
        title = old.title if old is not None else ""
        reason = await asyncio.to_thread(gone_reason, url, resp, title)
        if reason:
            await ctx.write(_missing, ctx, article_id, url, reason)
        else:
            await ctx.write(ctx.store.clear_missing, article_id)
    return ctx.removed - before
