"""Plain domain types shared by every layer. No I/O here."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

_B32 = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def new_id() -> str:
    """A 16-character time-ordered id, minted once per article and never derived from content."""
    n = (int(time.time() * 1000) << 32) | secrets.randbits(32)
    return "".join(_B32[(n >> (5 * i)) & 31] for i in range(15, -1, -1))


def tag_slug(tag: str) -> str:
    """The URL and hashtag form of a tag: 'Dinkes Bitung' -> 'dinkesbitung'."""
    return "".join(ch for ch in tag.lower() if ch.isalnum() or ch == "_")


class ArticleStatus(StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"


class Change(StrEnum):
    """What an ingest pass did to one article; also the kind of a stored change event."""

    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REMOVED = "removed"


@dataclass(slots=True)
class Entry:
    """One article as an ingest route found it, after normalisation, before storage.

    `url` is where it was read; `canonical_url` is the key that makes it one article.
    `guid` is an id the source itself gives (feed guid, WordPress post id), if any.
    `rules` says which extraction rule gave each field (field name -> rule name).
    """

    url: str
    title: str
    canonical_url: str = ""
    guid: str | None = None
    authors: list[str] = field(default_factory=list)
    editor: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    summary: str = ""
    content_html: str = ""
    content_text: str = ""
    image: str | None = None
    image_alt: str | None = None
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    dateline: str | None = None
    rules: dict[str, str] = field(default_factory=dict)
    categories: list[str] = field(default_factory=list)  # the sections it is filed under
    # The modified time the page itself declares (article:modified_time, JSON-LD dateModified,
    # a "Diperbarui:" line), None when it declares none: a correction's time when a feed has none.
    modified: datetime | None = None

    def __post_init__(self) -> None:
        if not self.canonical_url:
            self.canonical_url = self.url

    def content_hash(self) -> str:
        """Hash of what a reader sees; a change here is a correction."""
        h = hashlib.sha256()
        for part in (self.title, self.content_text or self.summary):
            h.update(part.strip().encode())
            h.update(b"\x00")
        return h.hexdigest()


@dataclass(slots=True)
class Article:
    """A stored article. `id` is ours, minted once; everything else may change with corrections."""

    id: str
    source_id: str
    url: str
    canonical_url: str
    title: str
    guid: str | None = None
    authors: list[str] = field(default_factory=list)
    editor: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    summary: str = ""
    content_html: str = ""
    content_text: str = ""
    image: str | None = None
    image_alt: str | None = None
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    dateline: str | None = None
    content_hash: str = ""
    categories: list[str] = field(default_factory=list)  # the sections it is filed under
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    status: ArticleStatus = ArticleStatus.ACTIVE
    removed_at: datetime | None = None
    story_id: str | None = None  # near-duplicate cluster; None = its own story
    fingerprint: int | None = None  # SimHash of the text, for near-duplicate folding
    missing_checks: int = 0  # consecutive 404/410 answers for this article's page


@dataclass(frozen=True, slots=True)
class ArticleVersion:
    """The text readers saw before a correction replaced it."""

    number: int  # 1 = as first published
    title: str
    summary: str
    content_text: str
    valid_from: datetime | None
    replaced_at: datetime


@dataclass(slots=True)
class ArticleEvent:
    """A change recorded by ingest and read by publishers (feeds, ActivityPub, WebSub)."""

    id: int
    article_id: str
    source_id: str
    kind: Change
    at: datetime
    backfill: bool = False  # found by a first/backfill pass: list it, never announce it as new
    detail: dict = field(default_factory=dict)


@dataclass(slots=True)
class SourceState:
    """What the service knows about one source between passes."""

    source_id: str
    route: str | None = None  # the route `auto` chose (or the configured kind)
    route_reason: str | None = None
    route_url: str | None = None  # e.g. the feed URL found
    last_fetch_at: datetime | None = None
    last_result: str | None = None  # "new 2, updated 1" / "unchanged" / "failed: reason"
    last_error: str | None = None
    last_success_at: datetime | None = None
    consecutive_failures: int = 0
    backoff_until: datetime | None = None
    cursor: dict = field(default_factory=dict)  # route-specific incremental state

    @property
    def site_name(self) -> str | None:
        """The site's own name as the last discovery found it (kept in the cursor, no column):
        the display name of a source the config names none."""
        name = self.cursor.get("site_name")
        return name if isinstance(name, str) and name else None


@dataclass(slots=True)
class PassResult:
    """One ingest pass over one source, as `syndicate fetch` prints it."""

    source_id: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: bool = False
    error: str | None = None
    # What failed, as plain data (ingest.fetcher.FetchError.to_dict(): kind, status, headers,
    # retry_after, robots_txt), when a fetch failed the pass; for source health.
    failure: dict[str, Any] | None = None
    route: str | None = None
    seconds: float = 0.0
    subscribed: bool = False  # a WebSub hub pushes this source's feed: poll less often

    def summary(self) -> str:
        if self.failed:
            return f"failed: {self.error}"
        parts = [
            f"{n} {k}"
            for k, n in (("new", self.new), ("updated", self.updated), ("removed", self.removed))
            if n
        ]
        return ", ".join(parts) if parts else "unchanged"
