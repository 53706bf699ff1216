"""XML sitemaps: sitemap indexes, Google News sitemaps, plain sitemaps, robots.txt `Sitemap:` lines.

A URL is read only when it is new or its `lastmod` is newer than the stored article. A Google
News sitemap (the last ~48 hours) is the cheap incremental listing when a site has one; the full
sitemaps are read on the first pass (backfill) and then once a day for older corrections.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import httpx
from lxml import etree

from syndicate.http_body import BodyTooLarge, gunzip
from syndicate.ingest.context import IngestContext, Window
from syndicate.ingest.fetcher import FetchError, FetchResponse
from syndicate.ingest.pages import article_or_note, looks_like_article
from syndicate.models import Entry
from syndicate.normalize.dates import parse_date
from syndicate.normalize.urls import canonicalize_url

log = logging.getLogger("syndicate.ingest.sitemap")

SITEMAP_MAX_BYTES = 50 * 1024 * 1024  # sitemaps.org: 50 MB uncompressed, 50,000 URLs
XML_ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.5"
COMMON_PATHS = (
    "sitemap.xml",
    "sitemap_index.xml",
    "wp-sitemap.xml",
    "news-sitemap.xml",
    "sitemap-news.xml",
)
# Child sitemaps that list pages, terms or people, never articles.
_NOT_POSTS = re.compile(
    r"(^|[-_/])(page|pages|category|categories|tag|tags|post_tag|taxonomies|author|authors|user|users"
    r"|attachment|product|products|portfolio|kategori|label|halaman)([-_.]|s?-?\d|$)",
    re.I,
)
FULL_RECHECK = 24 * 3600.0  # seconds between reads of the full sitemaps once a news sitemap exists
MAX_SITEMAPS = 50
MAX_NOT_ARTICLES = 500


class SitemapError(Exception):
    pass


@dataclass
class SitemapUrl:
    loc: str
    lastmod: datetime | None = None
    title: str | None = None  # news:title
    published: datetime | None = None  # news:publication_date
    image: str | None = None
    keywords: list[str] = field(default_factory=list)
    news: bool = False

    @property
    def when(self) -> float:
        dt = self.published or self.lastmod
        return dt.timestamp() if dt and dt.tzinfo else 0.0


@dataclass
class Sitemap:
    url: str
    children: list[tuple[str, datetime | None]] = field(default_factory=list)  # an index
    urls: list[SitemapUrl] = field(default_factory=list)

    @property
    def is_news(self) -> bool:
        return any(u.news for u in self.urls)


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(el: etree._Element, name: str) -> str | None:
    for child in el.iter():
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def parse_sitemap(body: bytes, url: str, timezone: str = "UTC") -> Sitemap:
    if body[:2] == b"\x1f\x8b":
        try:  # bounded: 10 MB of gzip can hold 10 GB
            body = gunzip(body, SITEMAP_MAX_BYTES, url)
        except BodyTooLarge as exc:
            raise SitemapError(f"{exc} (the sitemap protocol's limit)") from None
        except httpx.DecodingError as exc:
            raise SitemapError(f"{url}: bad gzip: {exc}") from None
    try:
        root = etree.fromstring(
            body.strip(), etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
        )
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"{url}: not XML: {exc}") from None
    if root is None:
        raise SitemapError(f"{url}: not XML")
    sitemap = Sitemap(url)
    kind = _local(root.tag)
    if kind == "sitemapindex":
        for sm in root:
            if _local(sm.tag) == "sitemap":
                loc = _child_text(sm, "loc")
                if loc:
                    lm = _child_text(sm, "lastmod")
                    sitemap.children.append(
                        (urljoin(url, loc), parse_date(lm, timezone) if lm else None)
                    )
        return sitemap
    if kind != "urlset":
        raise SitemapError(f"{url}: not a sitemap (root element <{kind}>)")
    for el in root:
        if _local(el.tag) != "url":
            continue
        loc = _child_text(el, "loc")
        if not loc:
            continue
        item = SitemapUrl(urljoin(url, loc))
        lm = _child_text(el, "lastmod")
        item.lastmod = parse_date(lm, timezone) if lm else None
        for child in el.iter():
            name = _local(child.tag)
            if name == "news":
                item.news = True
                item.title = _child_text(child, "title")
                pd = _child_text(child, "publication_date")
                item.published = parse_date(pd, timezone) if pd else None
                kw = _child_text(child, "keywords") or ""
                item.keywords = [k.strip() for k in kw.split(",") if k.strip()]
            elif name == "image" and item.image is None:
                item.image = _child_text(child, "loc")
        sitemap.urls.append(item)
    return sitemap


def wanted_child(url: str) -> bool:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return not _NOT_POSTS.search(name.replace("posts-post", "posts"))


def is_home(url: str) -> bool:
    return urlsplit(url).path in ("", "/")


async def fetch_sitemap(
    ctx: IngestContext, url: str, *, conditional: bool
) -> tuple[Sitemap | None, FetchResponse]:
    resp = await ctx.get(url, accept=XML_ACCEPT, conditional=conditional)
    if resp.not_modified:
        return None, resp
    if resp.gone:
        raise SitemapError(f"sitemap {url} answered HTTP {resp.status}")
    sitemap = await asyncio.to_thread(parse_sitemap, resp.content, resp.url, ctx.timezone)
    return sitemap, resp


async def walk(
    ctx: IngestContext, roots: list[str], *, conditional: bool = True
) -> tuple[list[SitemapUrl], list[FetchResponse], str]:
    """Every article URL under the given sitemaps (indexes followed).

    Returns (urls, responses, state): state is "unchanged" when every root answered 304,
    "partial" when some child answered 304 (its URLs are not listed), else "complete".
    """
    urls: list[SitemapUrl] = []
    responses: list[FetchResponse] = []
    queue = list(roots)
    seen: set[str] = set()
    unchanged, partial = True, False
    while queue and len(seen) < MAX_SITEMAPS:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        is_root = url in roots
        try:
            sm, resp = await fetch_sitemap(ctx, url, conditional=conditional)
        except (FetchError, SitemapError) as exc:
            if is_root:
                raise
            ctx.item_failed(url, str(exc))
            continue
        if sm is None:  # 304: an unchanged root, or a child already read fully
            partial = partial or not is_root
            continue
        unchanged = False
        responses.append(resp)
        for child, _lm in sm.children:
            if wanted_child(child):
                queue.append(child)
        urls.extend(u for u in sm.urls if not is_home(u.loc))
    by_key: dict[str, SitemapUrl] = {}
    for u in urls:
        key = canonicalize_url(u.loc)
        prev = by_key.get(key)
        if prev is None or (u.news and not prev.news):
            if prev is not None:
                u.lastmod = u.lastmod or prev.lastmod
            by_key[key] = u
    out = sorted(by_key.values(), key=lambda u: u.when, reverse=True)
    state = "unchanged" if unchanged and roots else ("partial" if partial else "complete")
    return out, responses, state


def roots_for(ctx: IngestContext) -> tuple[list[str], list[str]]:
    """(incremental roots, backfill roots): a news sitemap alone when there is one."""
    primary = ctx.entry_url
    extra = [u for u in ctx.cursor.get("sitemaps", []) if u != primary]
    if primary is None:
        extra = extra or [urljoin(ctx.source.url.rstrip("/") + "/", "sitemap.xml")]
        return extra, []
    return [primary], extra


async def collect(ctx: IngestContext) -> AsyncIterator[Entry]:
    if ctx.entry_url and "sitemaps" not in ctx.cursor:
        # A configured sitemap (often the news one): the others robots.txt lists fill the backlog.
        robots = await ctx.fetcher.robots(ctx.entry_url)
        ctx.cursor["sitemaps"] = [u for u in robots.sitemaps() if u != ctx.entry_url]
    incremental, full = roots_for(ctx)
    last_full = float(ctx.cursor.get("sitemaps_full_at") or 0)
    read_full = bool(full) and (ctx.first_pass or time.time() - last_full > FULL_RECHECK)
    roots = incremental + (full if read_full else [])
    urls, responses, state = await walk(ctx, roots, conditional=ctx.conditional)
    if state == "unchanged":
        ctx.not_modified = True
        return
    skip = set(ctx.cursor.get("not_articles", []))
    # Newest first, capped on every pass: a changed sitemap must not turn into a crawl of its
    # whole backlog (ctx.limit is the backfill size on a first pass, a bit more later).
    candidates = [u for u in urls if canonicalize_url(u.loc) not in skip][: ctx.limit]
    window = Window(complete=state == "complete" and (read_full or not full))
    total = len(candidates)
    not_articles: list[str] = []
    for item in candidates:
        ctx.tick(total)
        key = canonicalize_url(item.loc)
        window.add(key, published=item.published or item.lastmod)
        old = await ctx.lookup(None, key)
        if old is not None:
            fresh = item.lastmod or item.published
            if fresh is None or old.updated is None or fresh <= old.updated:
                continue
        hints = Entry(
            url=item.loc,
            canonical_url=key,
            title=item.title or "",
            published=item.published,
            updated=item.lastmod or item.published,
            image=item.image,
            tags=item.keywords,
        )
        entry, page_responses = await article_or_note(ctx, item.loc, hints)
        if entry is None:
            continue
        if not looks_like_article(entry):
            not_articles.append(key)
            continue
        entry.guid = entry.guid or key
        window.add(entry.canonical_url)
        if item.lastmod is None:
            ctx.watch(entry)  # no <lastmod> will say it changed: re-check it (lifecycle.py)
        yield entry
        await ctx.remember(*page_responses)
    if not_articles:
        ctx.cursor["not_articles"] = (list(skip) + not_articles)[-MAX_NOT_ARTICLES:]
    if read_full:
        ctx.cursor["sitemaps_full_at"] = time.time()
    ctx.window = window
    for r in responses:
        ctx.remember_later(r)
