"""Read one article page (all of its pages, or its AMP copy when the page gives too little).

Every route that ends at an article URL (an excerpt feed, a sitemap, an HTML listing) comes here;
extraction itself is normalize.extract's job.
"""

from __future__ import annotations

import asyncio
import email.utils
import html as _html
import logging
from datetime import UTC, datetime, timedelta

from syndicate import metrics
from syndicate.ingest.context import IngestContext
from syndicate.ingest.fetcher import AddressRefused, FetchError, FetchResponse, RobotsDisallowed
from syndicate.ingest.removal import redirected_away, soft_404
from syndicate.models import Entry
from syndicate.normalize.extract import amp_url, extract_article, merge_pages, next_page_url
from syndicate.normalize.urls import canonicalize_url

log = logging.getLogger("syndicate.ingest.pages")

HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
MIN_BODY_CHARS = 200  # less than this from a page: try its AMP copy


class PageGone(Exception):
    """The article page is gone: 404/410, a redirect to the home page or a section, a soft 404."""

    def __init__(self, url: str, status: int, reason: str | None = None) -> None:
        self.reason = reason or f"HTTP {status}"
        super().__init__(f"{url}: {self.reason}")
        self.url, self.status = url, status


MAX_CLOCK_SKEW = timedelta(hours=12)  # a server Date further from our clock is not believed


def rendered_at(resp: FetchResponse, fetched: datetime | None = None) -> datetime:
    """When the server rendered the page: its Date header minus the cache Age, so "2 jam yang
    lalu" counts back from the moment it was written (a CDN copy may be an hour old); our own
    clock when the server gives no believable Date."""
    fetched = fetched or datetime.now(UTC)
    try:
        date = email.utils.parsedate_to_datetime(resp.headers.get("date", ""))
    except (TypeError, ValueError, IndexError):
        return fetched
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    age = resp.headers.get("age", "").strip()
    if age.isdigit():
        date -= timedelta(seconds=int(age))
    return date if abs(date - fetched) <= MAX_CLOCK_SKEW else fetched


def _extract(
    ctx: IngestContext,
    html: str,
    url: str,
    hints: Entry | None = None,
    now: datetime | None = None,
) -> Entry:
    # `now` (the page's render time) and the source's zone resolve relative dates
    # ("2 jam yang lalu", "kemarin") in the normaliser.
    return extract_article(
        html,
        url,
        timezone=ctx.timezone,
        language=ctx.language,
        selectors=ctx.source.selectors,
        hints=hints,
        now=now or datetime.now(UTC),
    )


async def extract(
    ctx: IngestContext,
    html: str,
    url: str,
    hints: Entry | None = None,
    now: datetime | None = None,
) -> Entry:
    """extract_article in a worker thread: a big page takes a second of CPU, and the event loop
    also serves the web app and runs deliveries."""
    return await asyncio.to_thread(_extract, ctx, html, url, hints, now)


def _read_page(
    ctx: IngestContext, resp: FetchResponse, hints: Entry | None, first: bool = False
) -> tuple[str, Entry, str | None]:
    """Decode, extract and find the next page of one response (all CPU: run in a thread).

    The first page of an article that says "not found" (answered 200) raises PageGone.
    """
    html = resp.text
    if first and soft_404(html):
        raise PageGone(resp.request_url or resp.url, resp.status, "not-found page (HTTP 200)")
    entry = _extract(ctx, html, resp.url, hints, rendered_at(resp))
    return html, entry, next_page_url(html, resp.url)


def looks_like_article(entry: Entry) -> bool:
    """A page worth storing: a title, a date and some text (static pages and indexes have no date)."""
    return bool(entry.title and entry.published and len(entry.content_text) >= 80)


async def read_article(
    ctx: IngestContext,
    url: str,
    hints: Entry | None = None,
    *,
    conditional: bool = False,
) -> tuple[Entry | None, list[FetchResponse]]:
    """Fetch and extract an article page and the pages that follow it.

    Returns (None, [resp]) for a 304, raises PageGone for 404/410. The responses are handed back
    so the caller can save their validators once the article is stored.
    """
    resp = await ctx.get(url, accept=HTML_ACCEPT, conditional=conditional)
    if resp.not_modified:
        return None, [resp]
    if resp.gone:
        raise PageGone(url, resp.status)
    away = redirected_away(url, resp.url)
    if away:
        raise PageGone(url, resp.status, f"redirects to the {away}")
    html, entry, nxt = await asyncio.to_thread(_read_page, ctx, resp, hints, True)
    responses = [resp]
    pages = [entry]
    seen = {canonicalize_url(resp.url)}
    while nxt and len(pages) < ctx.source.max_pages and canonicalize_url(nxt) not in seen:
        seen.add(canonicalize_url(nxt))
        try:
            more = await ctx.get(nxt, accept=HTML_ACCEPT, conditional=False)
        except (RobotsDisallowed, AddressRefused):
            break
        if not more.ok:
            break
        _html_more, page, nxt = await asyncio.to_thread(_read_page, ctx, more, hints)
        pages.append(page)
        responses.append(more)
    if len(pages) > 1:
        entry = merge_pages(pages)
    if len(entry.content_text) < MIN_BODY_CHARS:
        entry = await _amp_fallback(ctx, html, resp.url, hints, entry)
    # The page's own canonical wins, but a multi-page article is keyed on its first page.
    if not entry.canonical_url:
        entry.canonical_url = canonicalize_url(resp.url)
    if hints is not None:
        entry.guid = entry.guid or hints.guid
    return entry, responses


async def _amp_fallback(
    ctx: IngestContext, html: str, url: str, hints: Entry | None, entry: Entry
) -> Entry:
    amp = await asyncio.to_thread(amp_url, html, url)
    if not amp or canonicalize_url(amp) == canonicalize_url(url):
        return entry
    try:
        resp = await ctx.get(amp, accept=HTML_ACCEPT, conditional=False)
    except FetchError as exc:
        log.info("AMP copy %s unusable: %s", amp, exc.reason)
        return entry
    if not resp.ok:
        return entry
    amp_html = await asyncio.to_thread(lambda: resp.text)
    amp_entry = await extract(ctx, amp_html, url, hints or entry, rendered_at(resp))
    if len(amp_entry.content_text) <= len(entry.content_text):
        return entry
    # Keep the main page's identity; take the AMP body (and anything the main page lacked).
    amp_entry.url = entry.url or url
    amp_entry.canonical_url = entry.canonical_url or amp_entry.canonical_url
    amp_entry.title = entry.title or amp_entry.title
    amp_entry.published = entry.published or amp_entry.published
    amp_entry.authors = entry.authors or amp_entry.authors
    amp_entry.image = entry.image or amp_entry.image
    amp_entry.rules = {**amp_entry.rules, "body": "amp"}
    return amp_entry


def html_document(fragment: str, title: str = "") -> str:
    """Wrap an API's rendered post body so the page extractor can clean it like a page."""
    return (
        f"<!DOCTYPE html><html><head><title>{_html.escape(title)}</title></head>"
        f"<body><article><h1>{_html.escape(title)}</h1>"
        f'<div class="entry-content">{fragment}</div></article></body></html>'
    )


async def from_fragment(ctx: IngestContext, entry: Entry) -> Entry:
    """Clean an article body a feed or API gave in full, the same way a page body is cleaned
    (dateline, byline, "Baca Juga" out); the feed's own identity and times are kept."""
    if not entry.content_html:
        return entry
    out = await extract(ctx, html_document(entry.content_html, entry.title), entry.url, entry)
    if not out.content_text:
        return entry
    out.url, out.canonical_url, out.guid = entry.url, entry.canonical_url, entry.guid
    out.title = entry.title or out.title
    out.published = entry.published or out.published
    out.updated = entry.updated or out.updated
    out.image = out.image or entry.image
    out.tags = entry.tags or out.tags
    out.categories = entry.categories or out.categories
    out.language = entry.language or out.language
    out.rules = {
        **entry.rules,
        **{k: v for k, v in out.rules.items() if k in ("body", "dateline", "authors")},
    }
    return out


async def fragment_or_note(ctx: IngestContext, entry: Entry) -> Entry | None:
    """from_fragment for a route's loop: an item the extractor chokes on fails alone (counted,
    logged once, retried next pass) instead of ending the pass."""
    try:
        return await from_fragment(ctx, entry)
    except Exception as exc:
        log.exception("source %s: cannot clean %s", ctx.source.id, entry.url)
        metrics.record_extraction_failure(ctx.source.id)
        ctx.item_failed(entry.url, f"{type(exc).__name__}: {exc}")
        return None


async def article_or_note(
    ctx: IngestContext, url: str, hints: Entry | None = None, *, conditional: bool = False
) -> tuple[Entry | None, list[FetchResponse]]:
    """read_article for routes that keep going past one bad page: failures become notes."""
    try:
        return await read_article(ctx, url, hints, conditional=conditional)
    except RobotsDisallowed:
        ctx.notes.append(f"{url}: disallowed by robots.txt, skipped")
        return None, []
    except AddressRefused as exc:  # a link into a private network: never read, never retried
        log.warning("source %s: %s", ctx.source.id, exc.reason)
        ctx.notes.append(f"{url}: {exc.reason}, skipped")
        return None, []
    except PageGone as exc:
        ctx.notes.append(f"{url}: {exc.reason}, skipped")
        ctx.page_gone(url)
        return None, []
    except FetchError as exc:
        ctx.item_failed(url, exc.reason)
        return None, []
    except Exception as exc:  # one unparsable page never ends the pass
        log.exception("source %s: cannot read %s", ctx.source.id, url)
        metrics.record_extraction_failure(ctx.source.id)
        ctx.item_failed(url, f"{type(exc).__name__}: {exc}")
        return None, []
