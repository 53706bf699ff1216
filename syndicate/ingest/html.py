"""HTML listing pages: article links from a list (and its next pages), then each article page.

With no configuration, article links are told from other links by the shape of their path
(/berita/baca/1048/some-long-slug, /2026/01/05/slug/, /berita/3311/slug.html): a long
hyphenated slug or a long numeric id, and no archive word (tag, kategori, author, page ...).
Selectors, all optional, override that: `links` (CSS for the article <a>), `next` (CSS for the
next-page <a>, or a URL pattern with {n}), `listing` (more listing URLs, space-separated), and
title/date/author/body/image for the article pages (passed to the extractor).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from syndicate.ingest.context import IngestContext, Window
from syndicate.ingest.fetcher import FetchError, FetchResponse, RobotsDisallowed, host_key
from syndicate.ingest.pages import HTML_ACCEPT, article_or_note, looks_like_article
from syndicate.ingest.url_shapes import PAGE_KEYS, is_article_url, shape
from syndicate.models import Entry
from syndicate.normalize.urls import canonicalize_url

log = logging.getLogger("syndicate.ingest.html")

MAX_SKIPPED_PAGES = 2  # failing listing pages skipped per listing before it is cut short
NEXT_TEXT = re.compile(
    r"^\s*(next|next\s+page|older(\s+posts)?|selanjutnya|berikutnya|halaman\s+berikutnya|"
    r"lebih\s+lama|berita\s+lainnya|lainnya|»|›|>|>>|→)\s*[»›>→]*\s*$",
    re.I,
)
LISTING_HINT = re.compile(
    r"\b(berita|news|indeks|index|arsip|archive|terkini|terbaru|latest|semua|all|kabar|warta|artikel)\b",
    re.I,
)


def parse(html: str) -> etree._Element | None:
    try:
        return lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def page_url(url: str, n: int) -> str:
    """`url` with its page parameter set to n (for `next` patterns and listing guesses)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    key = next((k for k in query if k.lower() in PAGE_KEYS), "page")
    query[key] = str(n)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _explicit_page(url: str) -> int | None:
    """The page number a listing URL names (?page=N, /page/N), or None for a bare listing."""
    parts = urlsplit(url)
    for k, v in parse_qsl(parts.query):
        if k.lower() in PAGE_KEYS and v.isdigit():
            return int(v)
    m = re.search(r"/page/(\d+)/?$", parts.path)
    return int(m.group(1)) if m else None


def _page_of(url: str) -> int:
    page = _explicit_page(url)
    return 1 if page is None else page


def _same_listing(a: str, b: str) -> bool:
    """b is another page of listing a (same path apart from /page/N, same query apart from page)."""
    pa, pb = urlsplit(a), urlsplit(b)
    strip = re.compile(r"/page/\d+/?$")
    path_a, path_b = strip.sub("/", pa.path).rstrip("/"), strip.sub("/", pb.path).rstrip("/")
    path_a = path_a if path_a not in ("", "/index.php", "/index.html") else ""
    path_b = path_b if path_b not in ("", "/index.php", "/index.html") else ""
    qa = {k: v for k, v in parse_qsl(pa.query) if k.lower() not in PAGE_KEYS}
    qb = {k: v for k, v in parse_qsl(pb.query) if k.lower() not in PAGE_KEYS}
    return host_key(a) == host_key(b) and path_a == path_b and qa == qb


def next_listing_page(doc: etree._Element, url: str, selector: str | None = None) -> str | None:
    if selector:
        if "{n}" in selector:
            return urljoin(url, selector.replace("{n}", str(_page_of(url) + 1)))
        try:
            for a in doc.cssselect(selector):
                href = a.get("href")
                if href:
                    return urljoin(url, href)
        except Exception:  # a bad selector is reported by the config check; fall back
            pass
        return None
    pager: list[tuple[etree._Element, str]] = []
    for el in doc.iter("link", "a"):
        href = (el.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:")):
            continue
        nxt = urljoin(url, href)  # also a query-only href ("?page=1", Drupal)
        if _same_listing(url, nxt) and canonicalize_url(nxt) != canonicalize_url(url):
            pager.append((el, nxt))
    # A bare listing URL is its first page: 1 on most sites, 0 where the pager counts from
    # zero (Drupal: ?page=0 is the first page, ?page=1 the second).
    here = _explicit_page(url)
    if here is None:
        here = 0 if any(_explicit_page(n) == 0 for _el, n in pager) else 1
    for el, nxt in pager:
        if "next" in (el.get("rel") or "").lower().split() and _page_of(nxt) > here:
            return nxt
    numbered = None
    for el, nxt in pager:
        if el.tag != "a" or _page_of(nxt) != here + 1:
            continue
        text = el.text_content().strip()
        if NEXT_TEXT.match(text) or "next" in (el.get("class") or "").lower():
            return nxt
        numbered = numbered or nxt
    return numbered


def article_links(doc: etree._Element, url: str, selector: str | None = None) -> list[str]:
    """Article URLs on a listing page, in page order (newest first on news sites)."""
    base = host_key(url)
    out: list[str] = []
    seen: set[str] = set()
    if selector:
        try:
            anchors = doc.cssselect(selector)
        except Exception:
            anchors = []
        for a in anchors:
            a = a if a.tag == "a" else next(a.iter("a"), None)
            if a is not None and a.get("href"):
                link = urljoin(url, a.get("href")).split("#")[0]
                if canonicalize_url(link) not in seen:
                    seen.add(canonicalize_url(link))
                    out.append(link)
        return out
    counts: dict[str, int] = {}
    links: list[tuple[str, str]] = []
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        link = urljoin(url, href).split("#")[0]
        if not is_article_url(link, base):
            continue
        key = canonicalize_url(link)
        if key in seen or canonicalize_url(url) == key:
            continue
        seen.add(key)
        s = shape(link)
        counts[s] = counts.get(s, 0) + 1
        links.append((link, s))
    if not links:
        return []
    # Keep shapes that recur (a list of stories), unless the page has just one article link.
    best = max(counts.values())
    keep = {s for s, n in counts.items() if n >= 2 or best == 1}
    return [link for link, s in links if s in keep]


def _links(resp: FetchResponse, selector: str | None) -> tuple[etree._Element | None, list[str]]:
    """Parse a listing page and pick its article links (CPU work, run in a thread)."""
    doc = parse(resp.text)
    return doc, ([] if doc is None else article_links(doc, resp.url, selector))


def _page_after(url: str, seen: set[str]) -> str | None:
    """The numbered page after a listing page that failed (None when it names no number)."""
    page = _explicit_page(url)
    if page is None:
        return None
    nxt = page_url(url, page + 1) if "/page/" not in urlsplit(url).path else None
    if nxt is None:
        nxt = re.sub(r"/page/\d+/?$", f"/page/{page + 1}/", url)
    return None if canonicalize_url(nxt) in seen else nxt


@dataclass
class Listing:
    start: str = ""
    links: list[str] = field(default_factory=list)
    responses: list[FetchResponse] = field(default_factory=list)
    unchanged: bool = False
    pages: int = 0
    partial: bool = False  # a page failed: the window of what it lists is not complete


def listing_urls(ctx: IngestContext) -> list[str]:
    urls = [ctx.entry_url or ctx.source.url]
    urls += (ctx.source.selectors.get("listing") or "").split()
    out: list[str] = []
    for u in urls:
        u = urljoin(ctx.source.url, u)
        if u not in out:
            out.append(u)
    return out


async def read_listing(
    ctx: IngestContext, start: str, want: int, *, conditional: bool = True
) -> Listing:
    """Links from a listing and its next pages, until `want` links or max_pages pages."""
    result = Listing(start=start)
    url: str | None = start
    seen_pages: set[str] = set()
    skipped = 0
    while url and result.pages < ctx.source.max_pages and len(result.links) < want:
        if canonicalize_url(url) in seen_pages:
            break
        seen_pages.add(canonicalize_url(url))
        first = result.pages == 0
        try:
            resp = await ctx.get(url, accept=HTML_ACCEPT, conditional=conditional and first)
        except RobotsDisallowed:
            ctx.notes.append(f"listing {url}: disallowed by robots.txt")
            break
        except FetchError as exc:
            if first:
                raise
            # One failing page: what came before is kept, and the page after it is tried
            # (a numbered pager can be continued without the failed page's links).
            ctx.notes.append(f"listing {url}: {exc.reason}")
            skipped += 1
            result.partial = True
            url = _page_after(url, seen_pages) if skipped <= MAX_SKIPPED_PAGES else None
            continue
        result.pages += 1
        if resp.not_modified:
            result.unchanged = True
            result.responses.append(resp)
            break
        if not resp.ok:
            if first:
                raise FetchError(url, f"listing answered HTTP {resp.status}", status=resp.status)
            break  # 404/410 past the last page: the end of the listing
        result.responses.append(resp)
        doc, found = await asyncio.to_thread(_links, resp, ctx.source.selectors.get("links"))
        if doc is None:
            break
        fresh = [link for link in found if link not in result.links]
        if not fresh and not first:
            break
        result.links.extend(fresh)
        url = next_listing_page(doc, resp.url, ctx.source.selectors.get("next"))
    return result


async def collect(ctx: IngestContext) -> AsyncIterator[Entry]:
    want = ctx.limit if ctx.first_pass else max(ctx.limit, 20)
    listings: list[Listing] = []
    errors: list[FetchError] = []
    for u in listing_urls(ctx):
        try:
            listings.append(await read_listing(ctx, u, want, conditional=ctx.conditional))
        except FetchError as exc:  # one failing listing: the others still count
            log.warning("source %s: listing %s failed: %s", ctx.source.id, u, exc.reason)
            ctx.notes.append(f"listing {u}: {exc.reason}")
            errors.append(exc)
    if errors and not listings:
        raise errors[0]
    if all(lst.unchanged for lst in listings):
        ctx.not_modified = True
        return
    links: list[str] = []
    for lst in listings:
        links.extend(link for link in lst.links if link not in links)
    if not links and not any(lst.unchanged for lst in listings):
        # A listing that answers but names no article (a redesign, a bot wall's challenge
        # page): a failure to show the operator, and for `auto` a reason to try another route.
        raise FetchError(listings[0].start, "listing shows no article links (set selectors.links?)")
    skip = set(ctx.cursor.get("not_articles", []))
    links = [link for link in links if canonicalize_url(link) not in skip]
    if ctx.first_pass:
        links = links[: ctx.limit]
    window = Window(
        complete=not errors and not any(lst.unchanged or lst.partial for lst in listings)
    )
    not_articles: list[str] = []
    total = len(links)
    for link in links:
        ctx.tick(total)
        key = canonicalize_url(link)
        window.add(key)
        old = await ctx.lookup(None, key)
        if old is not None:
            window.add(old.canonical_url, old.guid, published=old.published)
            continue
        entry, responses = await article_or_note(ctx, link)
        if entry is None:
            continue
        if not looks_like_article(entry):
            not_articles.append(key)
            continue
        # The listing's URL identifies the article next time, even when the page names
        # another canonical URL (a redirect, a slash) and gives no id of its own.
        entry.guid = entry.guid or key
        window.add(entry.canonical_url, published=entry.published)
        ctx.watch(entry)  # a listing never says an article changed: re-check it (lifecycle.py)
        yield entry
        await ctx.remember(*responses)
    if not_articles:
        ctx.cursor["not_articles"] = (list(skip) + not_articles)[-500:]
    ctx.window = window
    for lst in listings:
        for r in lst.responses:
            if not r.not_modified:
                ctx.remember_later(r)
