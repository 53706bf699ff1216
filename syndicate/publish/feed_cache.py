"""Feeds rendered once per change, not per request; served with strong ETags and Last-Modified."""

from __future__ import annotations

import email.utils
import hashlib
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from syndicate.config import Settings
from syndicate.models import Article, tag_slug
from syndicate.publish.corrections import feed_corrections
from syndicate.publish.feeds import FORMATS, FeedInfo, article_link, last_modified, render
from syndicate.store import Store

CHECK_EVERY = 1.0  # seconds between looks at the store's change counter
MAX_ENTRIES = 512  # rendered feeds kept; arbitrary tag/page URLs must not grow memory without bound
MAX_BYTES = 64 * 1024 * 1024  # and at most this many bytes of rendered feeds
MAX_UNKNOWN = 4096  # remembered unknown tags/pages (a cached 404), forgotten on every change
MAX_PAGE = 10_000  # deeper pages are 404s without a query (a huge OFFSET is a database error)


def feed_key(key: str) -> str:
    """One cache key per feed whatever the spelling: /feeds/tag/Bitung and /feeds/tag/BITUNG
    are the same feed (51 spellings once rendered and kept 51 copies)."""
    return "tag/" + tag_slug(key[4:]) if key.startswith("tag/") else key


@dataclass(frozen=True, slots=True)
class RenderedFeed:
    body: bytes
    content_type: str
    etag: str  # quoted strong ETag
    last_modified: str  # HTTP date

    def matches(self, if_none_match: str | None, if_modified_since: str | None) -> bool:
        """True when the reader's copy is current (answer 304)."""
        if if_none_match is not None:
            tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
            return "*" in tags or self.etag in tags
        if if_modified_since:
            try:
                since = email.utils.parsedate_to_datetime(if_modified_since)
                mine = email.utils.parsedate_to_datetime(self.last_modified)
            except (TypeError, ValueError):
                return False
            return mine <= since
        return False


class UnknownFeed(KeyError):
    pass


class FeedCache:
    """Renders feeds on first request after a change. A change is noticed at once when the app
    subscribes check_now to the store's event signal (this process; on PostgreSQL any node),
    and otherwise (a separate `syndicate fetch` on SQLite) through the store's event counter
    within CHECK_EVERY seconds."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._cache: OrderedDict[tuple[str, str, int], RenderedFeed] = OrderedDict()
        self._version = -1
        self._version_at = datetime.now(UTC)
        # Last validators handed out per feed, kept across re-renders so Last-Modified stays put
        # when the bytes did not change and always moves forward when they did.
        self._validators: OrderedDict[tuple[str, str, int], tuple[str, datetime]] = OrderedDict()
        self._checked = -math.inf  # "never": the next request looks
        self._lock = threading.Lock()
        self._bytes = 0
        # (key, page) known to be empty at the current version: answered 404 without a query.
        self._unknown: OrderedDict[tuple[str, int], None] = OrderedDict()

    def reset(self, settings: Settings | None = None) -> None:
        with self._lock:
            if settings is not None:
                self.settings = settings
            self._clear()
            self._version = -1
            self._checked = -math.inf  # "never": the next request looks

    def _clear(self) -> None:
        self._cache.clear()
        self._unknown.clear()
        self._bytes = 0

    def check_now(self) -> None:
        """Look at the store on the next request, e.g. right before telling a WebSub hub that
        feeds changed: the hub's fetch must not get the copy rendered before the change."""
        self._checked = -math.inf  # "never": the next request looks

    def peek(self, key: str, fmt: str, page: int = 1) -> RenderedFeed | None:
        """The cached feed when it is known to be current without asking the store (checked
        less than CHECK_EVERY ago); else None and the caller takes get() in a thread. No I/O,
        so the event loop can call it: a cache hit then costs no thread-pool hop."""
        if fmt not in FORMATS:
            return None
        key = feed_key(key)
        with self._lock:
            if time.monotonic() - self._checked >= CHECK_EVERY:
                return None
            cached = self._cache.get((key, fmt, page))
            if cached is not None:
                self._cache.move_to_end((key, fmt, page))
            return cached

    def _refresh_version(self) -> None:
        now = time.monotonic()
        if now - self._checked < CHECK_EVERY:
            return
        self._checked = now
        version, at = self.store.last_event()
        if version != self._version:
            self._clear()
            self._version = version
            self._version_at = at or datetime.now(UTC)

    def get(self, key: str, fmt: str, page: int = 1) -> RenderedFeed:
        if fmt not in FORMATS:
            raise UnknownFeed(fmt)
        key = feed_key(key)
        if key == "tag/" or page > MAX_PAGE:
            raise UnknownFeed(f"{key} page {page}")
        with self._lock:
            self._refresh_version()
            if (key, page) in self._unknown:
                raise UnknownFeed(f"{key} page {page}")
            cached = self._cache.get((key, fmt, page))
            if cached is not None:
                self._cache.move_to_end((key, fmt, page))
                return cached
            version_at = self._version_at
        try:
            info, articles = self._select(key, page)
        except UnknownFeed:
            self.remember_unknown(key, page)
            raise
        body = render(info, articles, fmt)
        # Last-Modified must move whenever the body may have: adding an older-dated article or
        # removing one changes the feed without changing its newest item time.
        changed = max(last_modified(articles), version_at).astimezone(UTC).replace(microsecond=0)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        with self._lock:
            previous = self._validators.get((key, fmt, page))
            if previous is not None:
                prev_etag, prev_changed = previous
                if prev_etag == etag:
                    changed = prev_changed
                elif changed <= prev_changed:  # HTTP dates have one-second resolution
                    changed = prev_changed + timedelta(seconds=1)
            feed = RenderedFeed(
                body=body,
                content_type=FORMATS[fmt],
                etag=etag,
                last_modified=email.utils.format_datetime(changed, usegmt=True),
            )
            replaced = self._cache.pop((key, fmt, page), None)
            self._bytes -= len(replaced.body) if replaced else 0
            self._cache[(key, fmt, page)] = feed
            self._bytes += len(body)
            self._validators[(key, fmt, page)] = (etag, changed)
            while len(self._cache) > MAX_ENTRIES or (self._bytes > MAX_BYTES and self._cache):
                _, dropped = self._cache.popitem(last=False)
                self._bytes -= len(dropped.body)
            while len(self._validators) > MAX_ENTRIES:
                self._validators.popitem(last=False)
        return feed

    def known(self, key: str, page: int = 1) -> bool:
        """False when the feed (a tag, a page) was empty at the current version: a cached 404
        that tag pages share with tag feeds."""
        with self._lock:
            self._refresh_version()
            return (feed_key(key), page) not in self._unknown

    def remember_unknown(self, key: str, page: int = 1) -> None:
        with self._lock:
            self._unknown[(feed_key(key), page)] = None
            while len(self._unknown) > MAX_UNKNOWN:
                self._unknown.popitem(last=False)

    def info(self, key: str) -> FeedInfo:
        s = self.settings
        base = s.server.base_url
        sources = {src.id: src for src in s.sources}
        full_content = {sid: s.content(src) == "full" for sid, src in sources.items()}
        site_names = self.store.site_names()
        source_names = {sid: src.display_name(site_names.get(sid)) for sid, src in sources.items()}

        def make(key: str, title: str, description: str, home_url: str, language: str) -> FeedInfo:
            return FeedInfo(
                icon=key if key in sources else "all",
                key=key,
                title=title,
                description=description,
                base_url=base,
                home_url=home_url,
                language=language,
                full_content=full_content,
                hub=s.websub.hub or None,
                source_names=source_names,
            )

        if key == "all":
            return make(
                "all",
                "syndicate: semua sumber / all sources",
                "Berita dari semua sumber",
                f"{base}/",
                s.defaults.language,
            )
        if key.startswith("tag/"):
            tag = key[4:]
            return make(
                key, f"#{tag}", f"Berita bertanda #{tag}", f"{base}/tags/{tag}", s.defaults.language
            )
        src = sources.get(key)
        if src is None:
            raise UnknownFeed(key)
        return make(
            key,
            source_names[key],
            src.description or f"Berita dari {source_names[key]}",
            f"{base}/sources/{src.id}",
            s.language(src),
        )

    def _select(self, key: str, page: int) -> tuple[FeedInfo, list[Article]]:
        info = self.info(key)
        info.page = page
        size = self.settings.feeds.size
        offset = (page - 1) * size
        sources = list(info.source_names)
        # One extra row tells whether an older page exists.
        if key == "all":
            articles = self.store.latest_story_heads(sources, limit=size + 1, offset=offset)
        elif key.startswith("tag/"):
            articles = self.store.latest_articles(
                sources, limit=size + 1, offset=offset, tag=key[4:]
            )
        else:
            articles = self.store.latest_articles([key], limit=size + 1, offset=offset)
        if not articles and (page > 1 or key.startswith("tag/")):
            raise UnknownFeed(f"{key} page {page}")  # unknown tags are 404s, not cached empties
        if len(articles) > size:
            articles = articles[:size]
            info.next_url = {fmt: info.page_url(fmt, page + 1) for fmt in FORMATS}
        if page > 1:
            info.prev_url = {fmt: info.page_url(fmt, page - 1) for fmt in FORMATS}
        if key == "all":
            info.also_reported = self._also_reported(articles, info)
        info.corrections = feed_corrections(self.store, self.settings, articles)
        return info, articles

    def _also_reported(self, articles: list[Article], info: FeedInfo) -> dict[str, list]:
        """Other sources' copies of each folded story, as (source name, original URL)."""
        out: dict[str, list] = {}
        for article in articles:
            if not article.story_id:
                continue
            others = [
                (info.source_names.get(m.source_id, m.source_id), article_link(m, info.base_url))
                for m in self.store.story_members(article.story_id)
                if m.id != article.id and m.source_id in info.source_names
            ]
            if others:
                out[article.id] = others
        return out
