"""What a route gets to work with for one pass over one source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from syndicate.config import Settings, SourceSettings
from syndicate.ingest.fetcher import Fetcher, FetchResponse
from syndicate.models import Article, Entry, SourceState
from syndicate.store import Store


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
    # Canonical URLs/guids of entries whose route gives no modification time: new ones get a
    # re-check schedule (lifecycle.py) so their corrections are noticed.
    watched: set[str] = field(default_factory=set)
    checked: set[str] = field(default_factory=set)  # article ids re-requested this pass
    gone_now: set[str] = field(default_factory=set)  # new items' pages found gone this pass
    # Where the route starts: a feed, a sitemap, a REST root or a listing page (None = from `url`).
    entry_url: str | None = None

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

    def known(self, guid: str | None = None, url: str | None = None) -> Article | None:
        if not guid and not url:
            return None
        return self.store.find_article(self.source.id, guid=guid, canonical_url=url)

    def tick(self, total: int | None = None) -> None:
        self.found += 1
        if self.progress:
            self.progress(self.found, total)
