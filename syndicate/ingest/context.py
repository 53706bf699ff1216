"""What a route gets to work with for one pass over one source."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from syndicate.config import Settings, SourceSettings
from syndicate.ingest.fetcher import Fetcher, FetchResponse
from syndicate.ingest.writer import StoreWriter
from syndicate.models import Article, Entry, SourceState
from syndicate.store import Store
from syndicate.store.articles import UNKNOWN, Unknown

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class Window:
    """What a complete listing showed: articles it names and how far back it reaches.

    The runner checks stored articles inside the window that the listing no longer names
    (a deleted article answers 404/410 on two checks and is marked removed).
    """

    keys: set[str] = field(default_factory=set)  # canonical URLs and guids listed
    oldest: datetime | None = None  # published time of the oldest listed article, if known
    complete: bool = False  # the listing covers everything since `oldest` (not a filtered view)

    def add(self, *keys: str | None, published: datetime | None = None) -> None:
        self.keys.update(k for k in keys if k)
        aware = published is not None and published.tzinfo is not None
        if aware and (self.oldest is None or published < self.oldest):  # type: ignore[operator]
            self.oldest = published


@dataclass
class IngestContext:
    settings: Settings
    source: SourceSettings
    store: Store
    fetcher: Fetcher
    state: SourceState
    first_pass: bool  # nothing stored yet for this source: take at most `limit` newest
    limit: int  # the backfill size on a first pass, else the most a pass takes
    unconditional: bool = False  # `fetch --backfill`: read listings in full, never ask for a 304
    not_modified: bool = False  # set by a route when the source answered 304 (nothing to parse)
    notes: list[str] = field(default_factory=list)  # route decisions worth showing the operator
    # Listing responses whose validators are saved only when every item of the pass was stored:
    # otherwise the next pass would get a 304 and never retry the item that failed.
    pending: list[FetchResponse] = field(default_factory=list)
    failed_items: int = 0
    removed: int = 0  # articles a route itself found gone (a folder post whose file was deleted)
    window: Window | None = None
    progress: Callable[[int, int | None], None] | None = None  # (done, total or None)
    found: int = 0  # items a route looked at (for discover/progress)
    skipped: int = 0  # items a route knew unchanged without cleaning or storing them again
    # Canonical URLs/guids of entries whose route gives no modification time: new ones get a
    # re-check schedule (lifecycle.py) so their corrections are noticed.
    watched: set[str] = field(default_factory=set)
    checked: set[str] = field(default_factory=set)  # article ids re-requested this pass
    gone_now: set[str] = field(default_factory=set)  # new items' pages found gone this pass
    # Where the route starts: a feed, a sitemap, a REST root or a listing page (None = from `url`).
    entry_url: str | None = None
    # Stored articles looked up this pass, by "g:" + guid and "u:" + canonical URL (None: none
    # stored): a listing's items are looked up in one query (prefetch), and the runner hands
    # the answer to the store instead of it looking the article up a second time.
    lookups: dict[str, Article | None] = field(default_factory=dict)
    # The thread every store call of the pass runs on (writer.py); None: a thread per call.
    writer: StoreWriter | None = None

    async def write(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a synchronous store call off the event loop, on the pass's writer thread."""
        if self.writer is None:
            return await asyncio.to_thread(fn, *args, **kwargs)
        return await self.writer.run(fn, *args, **kwargs)

    async def get(
        self, url: str, *, accept: str | None = None, conditional: bool = True
    ) -> FetchResponse:
        """fetcher.get for this pass: a conditional GET's validator read runs on the writer
        thread with the pass's other store calls (one connection, off the event loop)."""
        return await self.fetcher.get(url, accept=accept, conditional=conditional, run=self.write)

    async def remember(self, *responses: FetchResponse) -> None:
        """Save processed responses' validators (store writes) off the event loop, in one job."""
        if responses:
            await self.write(_remember_all, self.fetcher, responses)

    @property
    def timezone(self) -> str:
        return self.settings.timezone(self.source)

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def language(self) -> str:
        return self.settings.language(self.source)

    @property
    def cursor(self) -> dict:
        return self.state.cursor

    def localize(self, dt: datetime | None) -> datetime | None:
        """A naive time is read in the source's configured zone."""
        if dt is not None and dt.tzinfo is None:
            return dt.replace(tzinfo=self.tzinfo)
        return dt

    @property
    def conditional(self) -> bool:
        """Whether listing requests may send validators (and so be answered 304)."""
        return not self.unconditional

    def remember_later(self, resp: FetchResponse) -> None:
        self.pending.append(resp)

    def item_failed(self, url: str, reason: str) -> None:
        """One article could not be read this pass: note it; the next pass retries it."""
        self.failed_items += 1
        if len(self.notes) < 20:
            self.notes.append(f"{url}: {reason}")

    def watch(self, entry: Article | Entry) -> None:
        self.watched.update(k for k in (entry.canonical_url, entry.guid) if k)

    def page_gone(self, url: str) -> None:
        """A new item's page answered 404/410 or a not-found page: retried on later passes, even
        when the listing that named it answers 304 (a page published before it is ready)."""
        if url in self.gone_now:
            return
        self.gone_now.add(url)
        retry: dict[str, int] = self.cursor.setdefault("retry_pages", {})
        retry[url] = retry.get(url, 0) + 1

    def prefetch(self, entries: Iterable[Entry]) -> None:
        """Look up a listing's items in one query (known() then answers from memory)."""
        entries = list(entries)
        guids = {e.guid for e in entries if e.guid and "g:" + e.guid not in self.lookups}
        urls = {
            e.canonical_url
            for e in entries
            if e.canonical_url and "u:" + e.canonical_url not in self.lookups
        }
        if not guids and not urls:
            return
        found = self.store.find_articles(self.source.id, sorted(guids), sorted(urls))
        by_guid: dict[str, Article] = {}
        by_url: dict[str, Article] = {}
        for a in found:  # the first match wins, as the store's own lookup answers
            if a.guid:
                by_guid.setdefault(a.guid, a)
            if a.canonical_url:
                by_url.setdefault(a.canonical_url, a)
        for guid in guids:
            self.lookups["g:" + guid] = by_guid.get(guid)
        for url in urls:
            self.lookups["u:" + url] = by_url.get(url)

    def cached(self, guid: str | None, url: str | None) -> Article | None | Unknown:
        """The stored article with this guid or canonical URL if this pass already looked both
        up (guid first, as the store matches), else UNKNOWN."""
        keys = [k for k in ("g:" + guid if guid else "", "u:" + url if url else "") if k]
        if not keys or any(k not in self.lookups for k in keys):
            return UNKNOWN
        return next((a for a in (self.lookups[k] for k in keys) if a is not None), None)

    def stored(self, entry: Entry, article: Article) -> None:
        """An entry was stored as `article`: later lookups in this pass see it."""
        for key in (entry.guid, article.guid):
            if key:
                self.lookups["g:" + key] = article
        for key in (entry.canonical_url, article.canonical_url):
            if key:
                self.lookups["u:" + key] = article

    def known(self, guid: str | None = None, url: str | None = None) -> Article | None:
        if not guid and not url:
            return None
        hit = self.cached(guid, url)
        if not isinstance(hit, Unknown):
            return hit
        return self.store.find_article(self.source.id, guid=guid, canonical_url=url)

    async def lookup(self, guid: str | None = None, url: str | None = None) -> Article | None:
        """known(), with a database lookup (when this pass has not made it) off the event loop."""
        hit = self.cached(guid, url) if guid or url else None
        if not isinstance(hit, Unknown):
            return hit
        return await self.write(self.known, guid, url)

    def tick(self, total: int | None = None) -> None:
        self.found += 1
        if self.progress:
            self.progress(self.found, total)


def _remember_all(fetcher: Fetcher, responses: tuple[FetchResponse, ...]) -> None:
    for resp in responses:
        fetcher.remember(resp)
