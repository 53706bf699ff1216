"""RSS 0.9x/1.0/2.0 and Atom feeds, via feedparser."""

from __future__ import annotations

import email.utils
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import feedparser

from syndicate.ingest.context import IngestContext
from syndicate.models import Entry
from syndicate.normalize.clean import html_to_text, sanitize_html, summarize

log = logging.getLogger("syndicate.ingest.feed")


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


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> Any:
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=True
    )
    if not parsed.entries and parsed.get("bozo") and not parsed.feed:
        reason = parsed.get("bozo_exception")
        raise FeedParseError(f"not a feed: {reason}")
    return parsed


def entry_from_item(
    item: Any, feed_url: str, ctx_localize: Any = None, language: str | None = None
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
    authors = [a.get("name", "").strip() for a in item.get("authors", []) if a.get("name")]
    if not authors and item.get("author"):
        authors = [item["author"].strip()]
    published = parse_feed_date(item.get("published") or item.get("updated"))
    updated = parse_feed_date(item.get("updated")) if item.get("updated") else None
    if ctx_localize:
        published, updated = ctx_localize(published), ctx_localize(updated)
    tags = []
    for t in item.get("tags", []):
        term = (t.get("label") or t.get("term") or "").strip()
        if term and term not in tags:
            tags.append(term)
    image = None
    for enc in item.get("enclosures", []) + item.get("media_content", []):
        if (enc.get("type") or "").startswith("image/") or enc.get("medium") == "image":
            image = enc.get("href") or enc.get("url")
            break
    if not image and item.get("media_thumbnail"):
        image = item["media_thumbnail"][0].get("url")
    return Entry(
        url=link or item.get("id"),
        title=title or summarize(text, 80),
        guid=item.get("id") or link,
        authors=authors,
        published=published,
        updated=updated or published,
        summary=summarize(html_to_text(sanitize_html(summary_html)) if summary_html else text),
        content_html=content_html,
        content_text=text,
        image=image,
        tags=tags,
        language=item.get("language") or language,
        rules={"title": "feed", "content": "feed"},
    )


async def collect(ctx: IngestContext) -> AsyncIterator[Entry]:
    url = ctx.source.feed_url or ctx.state.route_url or ctx.source.url
    resp = await ctx.fetcher.get(
        url, accept="application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.5"
    )
    if resp.not_modified:
        ctx.not_modified = True
        return
    if resp.gone:
        raise FeedParseError(f"feed answered HTTP {resp.status}")
    parsed = parse_feed(resp.content, resp.url, resp.headers.get("content-type"))
    language = (parsed.feed.get("language") or "").split("-")[0] or ctx.language
    items = parsed.entries[: ctx.limit]
    for item in items:
        entry = entry_from_item(item, resp.url, ctx.localize, language)
        if entry is not None:
            yield entry
    ctx.fetcher.remember(resp)
