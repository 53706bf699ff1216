"""RSS 0.9x/1.0/2.0 (incl. RDF) and Atom feeds, via feedparser.

Items that are only excerpts (short, ending in "[…]" or "Baca selengkapnya") are completed from
the article page. A first pass follows the feed's rel="next" pages (RFC 5005, Blogger) until the
backfill size is reached.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import logging
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import feedparser
from lxml import etree

from syndicate.boundary import MAX_TAGS
from syndicate.ingest.context import IngestContext, Window
from syndicate.ingest.fetcher import FetchResponse
from syndicate.ingest.pages import article_or_note, fragment_or_note
from syndicate.models import Article, ArticleStatus, Entry
from syndicate.normalize.clean import html_to_text, sanitize_html, sanitized_text, summarize
from syndicate.normalize.urls import canonicalize_url

log = logging.getLogger("syndicate.ingest.feed")

FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
# Words a feed puts at the end of a teaser; "[…]" is WordPress's excerpt_more.
_MORE = re.compile(
    r"(\[\s*(?:…|\.\.\.|&hellip;)\s*\]|(?:…|\.\.\.)\s*$|baca\s+selengkapnya|selengkapnya\s*(?:»|>>)?\s*$"
    r"|read\s+more|continue\s+reading|lanjut(?:kan)?\s+membaca|the\s+post\s+.+\s+appeared\s+first\s+on)",
    re.I,
)
LABEL_SCHEME = "blogger.com/atom/ns"  # Atom category scheme (RSS domain) of Blogger labels
FULL_TEXT_CHARS = 700  # an item with less text than this is treated as an excerpt
MAX_FEED_PAGES = 20
# SourceState.cursor key: {guid or canonical URL: item_digest} of the full-text items stored
# from the listing, so an item the feed repeats unchanged is not cleaned and stored again.
ITEMS_CURSOR = "feed_items"
ITEMS_KEPT = 1000
# Tags read per item: the boundary keeps MAX_TAGS once duplicates and URL terms are gone.
MAX_ITEM_TAGS = 4 * MAX_TAGS
# Elements feedparser gathers into a per-item list, by local name (RSS, Atom, dc:, media:,
# itunes:). Each tag goes through feedparser's _add_tag, which checks it against every tag so far.
_LISTED = frozenset({"category", "subject", "link", "enclosure", "content", "thumbnail"})
_LISTED_TAG = re.compile(rb"<(?:[\w.-]+:)?(?:category|subject|link|enclosure|content|thumbnail)\b")
# Elements whose text is a comma-separated list of tags (media:, itunes:keywords; <tags>).
_KEYWORDS = frozenset({"keywords", "tags"})
_KEYWORDS_TAG = re.compile(rb"<(?:[\w.-]+:)?(?:keywords|tags)\b")


class FeedParseError(Exception):
    pass


def parse_feed_date(raw: str | None) -> datetime | None:
    """Keep the offset the feed wrote (feedparser's *_parsed fields drop it)."""
    if not raw:
        return None
    raw = raw.strip()
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        dt = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if raw.endswith(("-0000",)):  # RFC 5322: -0000 means "zone unknown"
        return dt.replace(tzinfo=None)
    return dt


def is_wide(body: bytes) -> bool:
    """UTF-16 or UTF-32: a NUL beside the first "<" or in the BOM, two or four bytes a character.
    Such a document names its encoding by its own bytes (XML 1.0, appendix F)."""
    return b"\x00" in body[:4]


def cap_feed(body: bytes, limit: int = MAX_ITEM_TAGS) -> bytes | None:
    """The document with at most `limit` of each listed element under any one element (and at
    most `limit` terms in a keywords list), re-serialised as UTF-8; None when nothing is over.

    feedparser's tag list is quadratic: one item with 20,000 <category> elements cost 10 s of
    CPU. A linear lxml pass runs first, only on documents that could be over (a byte count;
    a UTF-16 or UTF-32 document, whose tags that count cannot see, always gets the pass).
    """
    if (
        not is_wide(body)
        and len(_LISTED_TAG.findall(body)) <= limit
        and not (body.count(b",") >= limit and _KEYWORDS_TAG.search(body))
    ):
        return None
    root = _xml_root(body)
    if root is None:
        return None  # not XML at all: feedparser's loose parser gets the bytes as they are
    over: list[Any] = []
    for parent in root.iter():
        seen: dict[str, int] = {}
        for child in parent:
            if not isinstance(child.tag, str):
                continue  # comment, processing instruction, entity
            name = child.tag.rpartition("}")[2]
            if name in _KEYWORDS and child.text and child.text.count(",") >= limit:
                child.text = ",".join(child.text.split(",", limit)[:limit])
                over.append(None)
            elif name in _LISTED:
                seen[name] = seen.get(name, 0) + 1
                if seen[name] > limit:
                    over.append(child)
    if not over:
        return None
    for child in over:
        if child is not None:
            child.getparent().remove(child)
    out: bytes = etree.tostring(root.getroottree(), encoding="utf-8", xml_declaration=True)
    return out


def _xml_root(body: bytes) -> Any:
    """The parsed document, or a recovered one when it is not well-formed (a hostile feed need
    not be valid XML, and feedparser's loose parser would still read its 20,000 tags)."""
    for recover in (False, True):
        parser = etree.XMLParser(
            recover=recover, resolve_entities=False, no_network=True, load_dtd=False
        )
        try:
            root = etree.fromstring(body, parser)
        except (etree.XMLSyntaxError, ValueError):
            continue
        if root is not None:
            return root
    return None


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> Any:
    capped = cap_feed(body)
    if capped is not None:
        body = capped
        # Re-serialised as UTF-8: a charset the server named no longer applies.
        content_type = "application/xml; charset=utf-8"
    elif content_type and is_wide(body):
        # A server's "charset=utf-16" on big-endian bytes without a BOM, or a blanket
        # "utf-8", would make the parser read every character wrong: the bytes decide.
        content_type = content_type.split(";", 1)[0]
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=True
    )
    if not parsed.entries and (not parsed.get("version") or not parsed.feed):
        reason = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise FeedParseError(f"not a feed: {reason}")
    return parsed


def is_excerpt(entry: Entry) -> bool:
    """A teaser rather than the article: short, or ending with a 'read more' marker."""
    text = entry.content_text.strip()
    if len(text) < FULL_TEXT_CHARS:
        return True
    return bool(_MORE.search(text[-160:]))


def entry_from_item(
    item: Any,
    feed_url: str,
    ctx_localize: Any = None,
    language: str | None = None,
    labels_are_sections: bool = False,
) -> Entry | None:
    link = item.get("link") or ""
    title = (item.get("title") or "").strip()
    if not link and not item.get("id"):
        return None
    html = ""
    if item.get("content"):
        html = max((c.get("value", "") for c in item["content"]), key=len)
    summary_html = item.get("summary") or ""
    base = link or feed_url
    content_html = sanitize_html(html or summary_html, base) if (html or summary_html) else ""
    text = html_to_text(content_html)
    # Without a content element the text already is the summary's (the base URL only changes
    # link targets): a second sanitise + parse of the same HTML is skipped.
    summary_text = sanitized_text(summary_html) if html and summary_html else text
    authors = [a.get("name", "").strip() for a in item.get("authors", []) if a.get("name")]
    if not authors and item.get("author"):
        authors = [item["author"].strip()]
    # Read raw keys: feedparser's get("updated") falls back to `published` with a warning.
    raw_updated = dict.get(item, "updated")
    published = parse_feed_date(dict.get(item, "published") or raw_updated)
    updated = parse_feed_date(raw_updated) if raw_updated else None
    if ctx_localize:
        published, updated = ctx_localize(published), ctx_localize(updated)
    terms: list[str] = []
    seen: set[str] = set()
    labels = labels_are_sections
    for t in item.get("tags", []):
        term = (t.get("label") or t.get("term") or "").strip()
        labels = labels or LABEL_SCHEME in (t.get("scheme") or "")
        if term and term not in seen and not term.startswith("http"):
            seen.add(term)
            terms.append(term)
            # A hostile feed may carry 150,000 categories per item; the boundary keeps 50.
            if len(terms) >= MAX_ITEM_TAGS:
                break
    # Blogger's labels are the blog's sections (its menu), not tags; elsewhere <category>
    # terms are the post's tags (Ghost, WordPress: the page, when read, has the last word).
    tags, categories = ([], terms) if labels else (terms, [])
    image = None
    for enc in item.get("enclosures", []) + item.get("media_content", []):
        if (enc.get("type") or "").startswith("image/") or enc.get("medium") == "image":
            image = enc.get("href") or enc.get("url")
            break
    if not image and item.get("media_thumbnail"):
        image = item["media_thumbnail"][0].get("url")
    url = link or item.get("id")
    return Entry(
        url=url,
        canonical_url=canonicalize_url(url),
        title=title or summarize(text, 80),
        guid=item.get("id") or link,
        authors=authors,
        published=published,
        updated=updated or published,
        summary=summarize(summary_text),
        content_html=content_html,
        content_text=text,
        image=image,
        tags=tags,
        categories=categories,
        language=item.get("language") or language,
        rules={"title": "feed", "content": "feed", "updated": "feed" if raw_updated else "none"},
    )


def next_link(parsed: Any) -> str | None:
    for link in parsed.feed.get("links", []):
        if link.get("rel") == "next" and link.get("href"):
            return link["href"]
    return None


def feed_entries(parsed: Any, resp: FetchResponse, ctx: IngestContext) -> list[Entry]:
    language = (parsed.feed.get("language") or "").split("-")[0] or ctx.language
    labels = "blogger" in str(parsed.feed.get("generator") or "").lower()
    out = []
    for item in parsed.entries:
        entry = entry_from_item(item, resp.url, ctx.localize, language, labels)
        if entry is not None:
            out.append(entry)
    return out


def feed_url(ctx: IngestContext) -> str:
    return ctx.entry_url or ctx.source.url


async def read_feed(ctx: IngestContext, url: str) -> tuple[list[Entry], list[FetchResponse]]:
    """The feed's items, newest first; on a first pass also the rel=next pages up to the limit.

    Returns ([], [resp]) when the feed answered 304.
    """
    resp = await ctx.get(url, accept=FEED_ACCEPT, conditional=ctx.conditional)
    if resp.not_modified:
        return [], [resp]
    if resp.gone:
        raise FeedParseError(f"feed {url} answered HTTP {resp.status}")
    parsed = await asyncio.to_thread(
        parse_feed, resp.content, resp.url, resp.headers.get("content-type")
    )
    entries = feed_entries(parsed, resp, ctx)
    responses = [resp]
    nxt, pages = next_link(parsed), 1
    while ctx.first_pass and nxt and len(entries) < ctx.limit and pages < MAX_FEED_PAGES:
        more = await ctx.get(nxt, accept=FEED_ACCEPT, conditional=False)
        if not more.ok:
            break
        page = await asyncio.to_thread(
            parse_feed, more.content, more.url, more.headers.get("content-type")
        )
        new = [e for e in feed_entries(page, more, ctx) if e.guid not in {x.guid for x in entries}]
        if not new:
            break
        entries.extend(new)
        nxt, pages = next_link(page), pages + 1
    entries.sort(key=lambda e: e.published.timestamp() if e.published else 0, reverse=True)
    return entries[: ctx.limit], responses


def _newer(entry: Entry, stored_updated: datetime | None) -> bool:
    if entry.updated is None or stored_updated is None or entry.updated.tzinfo is None:
        return entry.updated is not None and stored_updated is None
    return entry.updated > stored_updated


async def collect(ctx: IngestContext) -> AsyncIterator[Entry]:
    url = feed_url(ctx)
    entries, responses = await read_feed(ctx, url)
    if responses and responses[0].not_modified:
        ctx.not_modified = True
        return
    window = Window(complete=True)
    total = len(entries)
    await ctx.write(ctx.prefetch, entries)
    before: dict[str, str] = ctx.cursor.get(ITEMS_CURSOR) or {}
    after: dict[str, str] = {}
    for entry in entries:
        ctx.tick(total)
        window.add(entry.canonical_url, entry.guid, published=entry.published)
        old = await ctx.lookup(entry.guid, entry.canonical_url)
        excerpt = is_excerpt(entry)
        if old is not None:
            window.add(old.canonical_url)
            if excerpt and not _newer(entry, old.updated):
                continue  # known and the feed shows no change: no page fetch
        if not excerpt:
            key, digest = entry.guid or entry.canonical_url, item_digest(ctx, entry)
            if _as_stored(old) and before.get(key) == digest:
                # The feed repeats this item exactly as it was stored: cleaning it again would
                # give the same article (a changed feed usually changes one item of twenty).
                after[key] = digest
                ctx.skipped += 1
                continue
            full = await fragment_or_note(ctx, entry)
            if full is not None:
                yield full
                after[key] = digest  # only once the runner has stored it
            continue
        page, page_responses = await article_or_note(ctx, entry.url, entry)
        if page is None:
            continue
        if not page.title:
            page.title = entry.title
        page.guid = entry.guid or page.guid
        window.add(page.canonical_url)
        if entry.rules.get("updated") == "none":
            ctx.watch(page)  # the feed will not say when it changes: re-check it (lifecycle.py)
        yield page
        await ctx.remember(*page_responses)
    ctx.window = window
    if after:
        ctx.cursor[ITEMS_CURSOR] = dict(list(after.items())[:ITEMS_KEPT])
    else:
        ctx.cursor.pop(ITEMS_CURSOR, None)
    for r in responses:
        ctx.remember_later(r)


def _as_stored(old: Article | None) -> bool:
    """Stored, active and not counted missing: storing the item again would change nothing
    (a listed article's store resets its missing count, so one missing once goes through)."""
    return old is not None and old.status == ArticleStatus.ACTIVE and not old.missing_checks


def item_digest(ctx: IngestContext, entry: Entry) -> str:
    """A full-text item as the feed gave it, with the source settings that shape its cleaning."""
    source = ctx.source
    raw = repr((entry, ctx.timezone, ctx.language, source.selectors, source.max_pages))
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()
