"""kind = "auto": discover the cheapest working route, remember it and why, re-discover on trouble.

The choice is stored in SourceState (route, route_reason, route_url) and shown by `syndicate
status`-like views. After REDISCOVER_AFTER failed passes in a row the site is examined again (a
theme change may have dropped the feed, an API may have been closed). When the chosen route shows
fewer articles than the backfill size (a 5-item RSS file), the first pass also reads a route that
lists more (sitemap or HTML listing), so a new source starts with its real backlog.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from syndicate.ingest import feed, html, sitemap, wordpress
from syndicate.ingest.context import IngestContext
from syndicate.ingest.discover import Candidate, discover
from syndicate.ingest.feed import FeedParseError
from syndicate.ingest.fetcher import FetchError, RobotsDisallowed
from syndicate.ingest.sitemap import SitemapError
from syndicate.ingest.wordpress import WordPressError
from syndicate.models import Entry

log = logging.getLogger("syndicate.ingest.auto")

REDISCOVER_AFTER = 3
SUBROUTES: dict[str, Callable[[IngestContext], AsyncIterator[Entry]]] = {
    "wordpress": wordpress.collect,
    "feed": feed.collect,
    "sitemap": sitemap.collect,
    "html": html.collect,
}


class DiscoveryError(Exception):
    """No route works. `kind` is the failure kind of the site's home page when that failed
    (a bot wall, DNS, a timeout: syndicate.ingest.fetcher.FailureKind), else None."""

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind


# What a route raises when its site answers something unusable; another route may still work.
ROUTE_ERRORS = (FetchError, WordPressError, FeedParseError, SitemapError)
MAX_FALLBACKS = 3


def needs_discovery(ctx: IngestContext) -> bool:
    st = ctx.state
    return (
        st.route not in SUBROUTES
        or st.consecutive_failures >= REDISCOVER_AFTER
        or int(st.cursor.get("route_failures") or 0) >= REDISCOVER_AFTER
    )


def apply_choice(
    ctx: IngestContext,
    best: Candidate,
    reason: str,
    helper: Candidate | None,
    fallbacks: list[dict[str, str]] | None = None,
) -> None:
    st = ctx.state
    previous = st.route
    st.route, st.route_url = best.route, best.url
    st.route_reason = reason + (
        f"; first pass also reads {helper.route} {helper.url}" if helper else ""
    )
    for key in (
        "sitemaps",
        "backfill_route",
        "backfill_url",
        "not_articles",
        "html_listings",
        "fallbacks",
        "route_failures",
    ):
        st.cursor.pop(key, None)
    st.cursor.update(best.extra)
    if helper is not None:
        st.cursor["backfill_route"], st.cursor["backfill_url"] = helper.route, helper.url
    st.cursor["fallbacks"] = fallbacks or []
    st.cursor["discovered_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    if previous and previous != best.route:
        ctx.notes.append(f"route changed from {previous} to {best.route}")
    log.info("source %s: route %s (%s)", ctx.source.id, best.route, st.route_reason)


async def choose(ctx: IngestContext) -> None:
    found = await discover(ctx.fetcher, ctx.source.url, timezone=ctx.timezone)
    best = found.best()
    if best is None:
        wait = ctx.fetcher.blocked_for(ctx.source.url)
        if wait:  # the site is busy, not routeless: back off as it asked
            raise FetchError(ctx.source.url, "site answered 429/503 to discovery", retry_after=wait)
        reasons = (
            "; ".join(" ".join(c.describe().split()) for c in found.candidates)
            or "nothing answered"
        )
        home = ctx.fetcher.failure_of(ctx.source.url)  # why, for source health
        raise DiscoveryError(f"no working route found: {reasons}", kind=home.kind if home else None)
    # The next working routes, cheapest first: a pass whose route fails reads one of them.
    fallbacks = [
        {"route": c.route, "url": c.url}
        for c in found.working()
        if c is not best and (c.route, c.url) != (best.route, best.url)
    ][:MAX_FALLBACKS]
    apply_choice(ctx, best, found.reason(best), found.backfill_helper(best), fallbacks)
    name = found.site_name(best)
    if name:  # shown for a source the config names none (SourceState.site_name)
        ctx.state.cursor["site_name"] = name


def _route_specific(ctx: IngestContext, error: Exception) -> bool:
    """An answer about this route (a 500 from the API, a 403 listing, a broken feed), not about
    the host: no answer at all, 429/503, Retry-After or a host already backing off."""
    if not isinstance(error, FetchError) or isinstance(error, RobotsDisallowed):
        return True
    if error.status is None or error.status in (429, 503) or error.retry_after:
        return False
    return not ctx.fetcher.blocked_for(ctx.source.url)


def _reason(exc: Exception) -> str:
    return exc.reason if isinstance(exc, FetchError) else str(exc)


async def collect(ctx: IngestContext) -> AsyncIterator[Entry]:
    if needs_discovery(ctx):
        await choose(ctx)
    route = ctx.state.route or "feed"
    ctx.entry_url = ctx.state.route_url
    seen: set[str] = set()
    try:
        async for entry in SUBROUTES[route](ctx):
            seen.add(entry.canonical_url)
            yield entry
        ctx.cursor.pop("route_failures", None)
    except ROUTE_ERRORS as exc:
        # One unexpected answer on the chosen route must not end the source: read the next
        # working route this pass, and re-examine the site after REDISCOVER_AFTER such passes.
        failures = int(ctx.cursor.get("route_failures") or 0) + 1
        ctx.cursor["route_failures"] = failures
        async for entry in _fallback(ctx, route, exc, seen):
            yield entry
        ctx.entry_url = ctx.state.route_url
        return
    helper = ctx.cursor.get("backfill_route")
    if not (ctx.first_pass and helper in SUBROUTES and len(seen) < ctx.limit):
        return
    # Fill the first pass from a route that lists more; the primary's window and 304 state stand.
    primary_window, primary_nm = ctx.window, ctx.not_modified
    ctx.entry_url = ctx.cursor.get("backfill_url")
    try:
        async for entry in SUBROUTES[helper](ctx):
            if entry.canonical_url not in seen:
                seen.add(entry.canonical_url)
                yield entry
    except ROUTE_ERRORS as exc:  # the primary worked: its entries stand, the backlog waits
        log.warning("source %s: backfill route %s failed: %s", ctx.source.id, helper, _reason(exc))
        ctx.notes.append(f"backfill route {helper} failed ({_reason(exc)})")
    ctx.window, ctx.not_modified = primary_window, primary_nm
    ctx.entry_url = ctx.state.route_url


async def _fallback(
    ctx: IngestContext, route: str, error: Exception, seen: set[str]
) -> AsyncIterator[Entry]:
    """Read the next working route after `route` failed; re-raise `error` if none works."""
    fallbacks = [f for f in ctx.cursor.get("fallbacks") or [] if f.get("route") in SUBROUTES]
    if not _route_specific(ctx, error):
        fallbacks = []  # the whole site is down or asked us to wait: other routes would be too
    for fb in fallbacks:
        log.warning(
            "source %s: route %s failed (%s); reading %s %s instead",
            ctx.source.id,
            route,
            _reason(error),
            fb["route"],
            fb["url"],
        )
        ctx.window, ctx.not_modified, ctx.entry_url = None, False, fb["url"]
        try:
            async for entry in SUBROUTES[fb["route"]](ctx):
                if entry.canonical_url not in seen:
                    seen.add(entry.canonical_url)
                    yield entry
        except ROUTE_ERRORS as exc:
            log.warning("source %s: fallback %s failed too: %s", ctx.source.id, fb["route"], exc)
            continue
        ctx.notes.append(
            f"route {route} failed ({_reason(error)}); read {fb['route']} {fb['url']} instead"
        )
        return
    raise error
