"""What a route gets to work with for one pass over one source."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from syndicate.config import Settings, SourceSettings
from syndicate.ingest.fetcher import Fetcher
from syndicate.models import SourceState
from syndicate.store import Store


@dataclass
class IngestContext:
    settings: Settings
    source: SourceSettings
    store: Store
    fetcher: Fetcher
    state: SourceState
    first_pass: bool  # nothing stored yet for this source: take at most `limit` newest
    limit: int  # the backfill size on a first pass, else the most a pass takes
    not_modified: bool = False  # set by a route when the source answered 304 (nothing to parse)
    notes: list[str] = field(default_factory=list)  # route decisions worth showing the operator

    @property
    def timezone(self) -> str:
        return self.settings.timezone(self.source)

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def language(self) -> str:
        return self.settings.language(self.source)

    def localize(self, dt: datetime | None) -> datetime | None:
        """A naive time is read in the source's configured zone."""
        if dt is not None and dt.tzinfo is None:
            return dt.replace(tzinfo=self.tzinfo)
        return dt
