"""Find every ingest route a site offers and rank them by cost.

Cheapest first: WordPress REST (one request gives whole posts with exact times) > a full-text
feed > an excerpt feed (a page fetch per new item) > a Google News sitemap > a plain sitemap >
HTML listing pages. Each candidate says how many items it shows and whether they are full text.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from syndicate.ingest import html as html_route
from syndicate.ingest.feed import (
    FEED_ACCEPT,
    FeedParseError,
    entry_from_item,
    is_excerpt,
    parse_feed,
)
from syndicate.ingest.fetcher import Fetcher, FetchError, FetchResponse, host_key
from syndicate.ingest.pages import HTML_ACCEPT
from syndicate.ingest.sitemap import SitemapError, parse_sitemap, wanted_child
from syndicate.ingest.url_shapes import is_article_url
from syndicate.normalize.urls import canonicalize_url

log = logging.getLogger("syndicate.ingest.discover")

RANK = {"wordpress": 0, "feed-full": 1, "feed": 2, "news-sitemap": 3, "sitemap": 4, "html": 5}
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+xml",
)
COMMON_FEEDS = (
    "feed/",
    "rss.xml",
    "atom.xml",
    "feed.xml",
    "rss/",
    "index.xml",
    "feeds/posts/default",
    "?feed=rss2",
)
COMMON_SITEMAPS = ("sitemap.xml", "sitemap_index.xml", "wp-sitemap.xml", "news-sitemap.xml")
_COMMENTS = re.compile(r"comment|komentar|replies", re.I)
_API_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?https://api\.w\.org/"?', re.I)


@dataclass
class Candidate:
    route: str  # wordpress | feed | sitemap | html
    url: str  # the route's entry URL (REST root, feed, sitemap, listing page)
    items: int = 0
    full_text: bool = False
    kind: str = ""  # rank key: wordpress, feed-full, feed, news-sitemap, sitemap, html
    note: str = ""
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # cursor seeds for the route
    paged: bool = False  # the listing has further pages (more items than counted)
    site_name: str = ""  # the name the route gives its site (a feed's <title>)

    @property
    def works(self) -> bool:
        return self.error is None and self.items > 0

    @property
    def rank(self) -> int:
        return RANK.get(self.kind or self.route, 9)

    def describe(self) -> str:
        if self.error:
            return f"{self.route:<9} {self.url}  unusable: {self.error}"
        text = "full text" if self.full_text else "excerpts/links"
        return f"{self.route:<9} {self.url}  {self.items} item(s), {text}" + (
            f"; {self.note}" if self.note else ""
        )


@dataclass
class Discovery:
    site: str
    title: str = ""
    og_site_name: str = ""  # the home page's <meta property="og:site_name">
    candidates: list[Candidate] = field(default_factory=list)

    def site_name(self, best: Candidate | None = None) -> str:
        """The site's own name, for a source the config names none: the home page's
        og:site_name, else what the chosen route calls it (a feed's title), else the first
        part of the home page's <title> ("Detail News | Berita terkini" -> "Detail News")."""
        title = re.split(r"\s+[|–—-]\s+", self.title, maxsplit=1)[0]
        return _short(self.og_site_name or (best.site_name if best else "") or title)

    def working(self) -> list[Candidate]:
        return sorted((c for c in self.candidates if c.works), key=lambda c: (c.rank, -c.items))

    def best(self) -> Candidate | None:
        working = self.working()
        return working[0] if working else None

    def backfill_helper(self, best: Candidate) -> Candidate | None:
        """A route that lists more articles than `best`, to fill the first pass (e.g. a 5-item feed)."""
        if (
            best.route in ("wordpress", "html")
            or best.kind == "sitemap"
            or best.extra.get("sitemaps")
        ):
            return None
        more = [
            c
            for c in self.working()
            if c is not best
            and c.route in ("sitemap", "html")
            and (c.items > best.items or c.paged)
        ]
        return max(more, key=lambda c: (c.items, -c.rank)) if more else None

    def reason(self, best: Candidate) -> str:
        skipped = [
            f"{c.route} {c.error}"
            for c in sorted(self.candidates, key=lambda c: c.rank)
            if c.error and c.rank < best.rank
        ]
        why = f"{best.kind or best.route}: {best.items} item(s), {'full text' if best.full_text else 'pages fetched per item'}"
        return why + (f" (not cheaper: {'; '.join(skipped)})" if skipped else "")


async def _get(fetcher: Fetcher, url: str, accept: str) -> FetchResponse | None:
    try:
        resp = await fetcher.get(url, accept=accept, conditional=False)
    except FetchError as exc:
        log.debug("discover %s: %s", url, exc.reason)
        return None
    return resp if resp.ok else None


def _site_root(url: str) -> str:
    return host_key(url) + "/"


def _short(name: str) -> str:
    """A name as one line of at most 100 characters (it becomes a page heading and feed title)."""
    name = " ".join(name.split())
    return name if len(name) <= 100 else name[:99].rstrip() + "…"


async def discover(
    fetcher: Fetcher, site_url: str, *, timezone: str = "Asia/Makassar"
) -> Discovery:
    found = Discovery(site_url)
    fetcher.guard.trust(site_url)  # the operator named this site (a source's url or `discover URL`)
    home = await _get(fetcher, site_url, HTML_ACCEPT)
    home_html = home.text if home else ""
    doc = html_route.parse(home_html) if home_html else None
    if doc is not None:
        t = doc.find(".//title")
        found.title = (t.text_content().strip() if t is not None else "") or ""
        og = doc.xpath("//meta[@property='og:site_name']/@content")
        found.og_site_name = _short(str(og[0])) if og else ""
    base = home.url if home else site_url
    found.candidates.append(await _wordpress(fetcher, base, home, doc))
    found.candidates.extend(await _feeds(fetcher, base, doc))
    found.candidates.extend(await _sitemaps(fetcher, base, timezone))
    if doc is not None:
        found.candidates.append(await _html(fetcher, base, doc))
    else:
        found.candidates.append(
            Candidate("html", site_url, kind="html", error="home page unreachable")
        )
    return found


# ------------------------------------------------------------------------------ WordPress


async def _wordpress(
    fetcher: Fetcher, base: str, home: FetchResponse | None, doc: Any
) -> Candidate:
    root = None
    if home is not None:
        m = _API_LINK.search(home.headers.get("link", ""))
        if m:
            root = urljoin(base, m.group(1))
    if root is None and doc is not None:
        for el in doc.iter("link"):
            if (el.get("rel") or "").strip() == "https://api.w.org/" and el.get("href"):
                root = urljoin(base, el.get("href"))
                break
    root = root or urljoin(_site_root(base), "wp-json/")
    from syndicate.ingest.wordpress import endpoint

    url = endpoint(root, "wp/v2/posts", {"per_page": 10})
    cand = Candidate("wordpress", root, kind="wordpress", full_text=True)
    try:
        resp = await fetcher.get(url, accept="application/json", conditional=False)
    except FetchError as exc:
        cand.error = f"REST API {exc.reason}"
        return cand
    if not resp.ok:
        cand.error = f"REST API HTTP {resp.status}"
        return cand
    try:
        data = json.loads(resp.content.decode("utf-8-sig", "replace").strip() or "null")
    except json.JSONDecodeError:
        cand.error = "REST API answered something that is not JSON"
        return cand
    if not isinstance(data, list) or not all(isinstance(p, dict) and "content" in p for p in data):
        cand.error = "REST API gave no post list"
        return cand
    total = resp.headers.get("x-wp-total", "")
    cand.items = int(total) if total.isdigit() else len(data)
    if not data:
        cand.error = "REST API lists no posts"
    return cand


# ------------------------------------------------------------------------------ feeds


def feed_links(doc: Any, base: str) -> list[str]:
    out: list[str] = []
    if doc is None:
        return out
    for el in doc.iter("link"):
        rel = (el.get("rel") or "").lower().split()
        typ = (el.get("type") or "").lower()
        if "alternate" in rel and typ in FEED_TYPES and el.get("href"):
            if _COMMENTS.search(el.get("title") or "") or _COMMENTS.search(el.get("href")):
                continue
            url = urljoin(base, el.get("href"))
            if url not in out:
                out.append(url)
    for a in doc.iter("a"):
        href = a.get("href") or ""
        if re.search(r"(^|/)(rss|atom|feed)(\.xml|/)?($|\?)", href, re.I) and not _COMMENTS.search(
            href
        ):
            url = urljoin(base, href)
            if host_key(url) == host_key(base) and url not in out:
                out.append(url)
    return out


async def _feeds(fetcher: Fetcher, base: str, doc: Any) -> list[Candidate]:
    urls = feed_links(doc, base)
    probing = not urls
    if probing:
        urls = [urljoin(_site_root(base), p) for p in COMMON_FEEDS]
    out: list[Candidate] = []
    seen: set[str] = set()
    for url in urls:
        resp = await _get(fetcher, url, FEED_ACCEPT)
        if resp is None:
            if not probing:
                out.append(Candidate("feed", url, kind="feed", error="feed unreachable"))
            continue
        key = canonicalize_url(resp.url)
        if key in seen:
            continue
        seen.add(key)
        try:
            parsed = await asyncio.to_thread(  # up to max_body_bytes of XML: off the loop
                parse_feed, resp.content, resp.url, resp.headers.get("content-type")
            )
        except FeedParseError as exc:
            if not probing:
                out.append(Candidate("feed", url, kind="feed", error=str(exc)))
            continue
        entries = [
            e for e in (entry_from_item(i, resp.url) for i in parsed.entries) if e is not None
        ]
        if not entries:
            continue
        full = sum(not is_excerpt(e) for e in entries) * 2 >= len(entries)
        paged = any(link.get("rel") == "next" for link in parsed.feed.get("links", []))
        note = "paged (rel=next)" if paged else ""
        out.append(
            Candidate(
                "feed",
                url,
                items=len(entries),
                full_text=full,
                kind="feed-full" if full else "feed",
                note=note,
                site_name=_short(str(parsed.feed.get("title") or "")),
            )
        )
        if len([c for c in out if c.works]) >= 2:
            break  # RSS and Atom of the same posts: two are plenty to compare
    return out


# ------------------------------------------------------------------------------ sitemaps


async def _sitemaps(fetcher: Fetcher, base: str, timezone: str) -> list[Candidate]:
    robots = await fetcher.robots(base)
    roots = robots.sitemaps() if robots.status == "ok" else []
    listed = bool(roots)
    if not roots:
        roots = [urljoin(_site_root(base), p) for p in COMMON_SITEMAPS]
    out: list[Candidate] = []
    seen: set[str] = set()
    for root in roots:
        resp = await _get(fetcher, root, "application/xml, text/xml;q=0.9, */*;q=0.5")
        if resp is None:
            if listed:
                out.append(Candidate("sitemap", root, kind="sitemap", error="sitemap unreachable"))
            continue
        if canonicalize_url(resp.url) in seen:
            continue
        seen.add(canonicalize_url(resp.url))
        try:
            sm = await asyncio.to_thread(parse_sitemap, resp.content, resp.url, timezone)
        except SitemapError as exc:
            if listed:
                out.append(Candidate("sitemap", root, kind="sitemap", error=str(exc)))
            continue
        urls = list(sm.urls)
        children = [c for c, _ in sm.children if wanted_child(c)]
        for child in children[:5]:
            seen.add(canonicalize_url(child))
            cresp = await _get(fetcher, child, "application/xml")
            if cresp is None:
                continue
            try:
                child_map = await asyncio.to_thread(
                    parse_sitemap, cresp.content, cresp.url, timezone
                )
                urls.extend(child_map.urls)
            except SitemapError:
                continue
        articles = {canonicalize_url(u.loc) for u in urls if urlsplit(u.loc).path not in ("", "/")}
        news = any(u.news for u in urls)
        cand = Candidate(
            "sitemap",
            resp.url if not sm.children else root,
            items=len(articles),
            kind="news-sitemap" if news else "sitemap",
        )
        cand.note = (
            "Google News sitemap"
            if news
            else ("index of " + str(len(children)) + " sitemap(s)" if children else "")
        )
        if not articles:
            cand.error = "lists no article URLs"
        out.append(cand)
    # A news sitemap is the incremental listing; the full ones fill the first pass.
    news_listings = [c for c in out if c.kind == "news-sitemap" and c.works]
    full = [c.url for c in out if c.kind == "sitemap" and c.works]
    for c in news_listings:
        c.extra["sitemaps"] = full
        c.items = max([c.items] + [x.items for x in out if x.kind == "sitemap" and x.works])
    return out


# ------------------------------------------------------------------------------ HTML listings


async def _html(fetcher: Fetcher, base: str, doc: Any) -> Candidate:
    """The home page or a news index it links to, whichever lists more articles and pages on."""
    home_links = html_route.article_links(doc, base)
    best = Candidate("html", base, items=len(home_links), kind="html")
    has_next = html_route.next_listing_page(doc, base) is not None
    best_score = len(home_links) + (100 if has_next else 0)
    listings: list[str] = []
    for a in doc.iter("a"):
        href = a.get("href")
        if not href:
            continue
        url = urljoin(base, href).split("#")[0]
        if host_key(url) != host_key(base) or is_article_url(url, host_key(base)):
            continue
        text = a.text_content().strip()
        path = urlsplit(url).path
        hinted = html_route.LISTING_HINT.search(text) or html_route.LISTING_HINT.search(
            path.replace("-", " ").replace("/", " ")
        )
        if hinted and canonicalize_url(url) != canonicalize_url(base) and url not in listings:
            listings.append(url)
    for url in listings[:4]:
        if not await fetcher.allowed(url):
            continue
        resp = await _get(fetcher, url, HTML_ACCEPT)
        if resp is None:
            continue
        ldoc = html_route.parse(resp.text)
        if ldoc is None:
            continue
        links = html_route.article_links(ldoc, resp.url)
        nxt = html_route.next_listing_page(ldoc, resp.url) is not None
        score = len(links) + (100 if nxt else 0)
        if score > best_score:
            best, best_score = Candidate("html", resp.url, items=len(links), kind="html"), score
            has_next = nxt
    if has_next:
        best.note, best.paged = "paginated", True
    if not best.items:
        best.error = "no article links recognised on the home page (set selectors.links)"
    return best
