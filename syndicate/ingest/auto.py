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
from syndicate.ingest.fetcher import FetchError
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
    pass


def needs_discovery(ctx: IngestContext) -> bool:
    st = ctx.state
    return st.route not in SUBROUTES or st.consecutive_failures >= REDISCOVER_AFTER


def apply_choice(
    ctx: IngestContext, best: Candidate, reason: str, helper: Candidate | None
) -> None:
    st = ctx.state
    previous = st.route
    st.route, st.route_url = best.route, best.url
    st.route_reason = reason + (
        f"; first pass also reads {helper.route} {helper.url}" if helper else ""
    )
    for key in ("sitemaps", "backfill_route", "backfill_url", "not_articles", "html_listings"):
        st.cursor.pop(key, None)
    st.cursor.update(best.extra)
    if helper is not None:
        st.cursor["backfill_route"], st.cursor["backfill_url"] = helper.route, helper.url
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
        raise DiscoveryError(f"no working route found: {reasons}")
    apply_choice(ctx, best, found.reason(best), found.backfill_helper(best))


async def collect(ctx: IngestContext) -> AsyncIterator[Entry]:
    if needs_discovery(ctx):
        await choose(ctx)
    route = ctx.state.route or "feed"
    ctx.entry_url = ctx.state.route_url
    seen: set[str] = set()
    async for entry in SUBROUTES[route](ctx):
        seen.add(entry.canonical_url)
        yield entry
    helper = ctx.cursor.get("backfill_route")
    if not (ctx.first_pass and helper in SUBROUTES and len(seen) < ctx.limit):
        return
    # Fill the first pass from a route that lists more; the primary's window and 304 state stand.
    primary_window, primary_nm = ctx.window, ctx.not_modified
    ctx.entry_url = ctx.cursor.get("backfill_url")
    async for entry in SUBROUTES[helper](ctx):
        if entry.canonical_url not in seen:
            seen.add(entry.canonical_url)
            yield entry
    ctx.window, ctx.not_modified = primary_window, primary_nm
    ctx.entry_url = ctx.state.route_url
