"""Source health: what one ingest pass showed about a source, as plain data (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

# ok: working. drift: working, but what it yields got worse (empty listing, fields missing,
# shorter bodies, body container gone). failing: cannot be fetched (DNS, timeout, HTTP errors).
# blocked: the site refuses us (bot-wall challenge, robots.txt). new: never fetched.
HealthState = Literal["ok", "drift", "failing", "blocked", "new"]
HEALTH_STATES: tuple[HealthState, ...] = ("ok", "drift", "failing", "blocked", "new")


@dataclass(slots=True)
class HealthPass:
    """One pass over one source: its outcome and the extraction quality of what it yielded.

    `kind` is the failure kind (dns, timeout, http_4xx, http_5xx, rate_limited, bot_wall,
    robots, ... as the fetcher names them; no_route, error otherwise) or, for drift, the first
    drift reason (empty_listing, authors, dates, images, body_length, body_container).
    `detail` is operator text (exception messages, drift numbers): never shown on public pages."""

    source_id: str
    at: datetime
    state: HealthState
    kind: str | None = None
    detail: str | None = None
    listed: int | None = None  # items the listing named; None when not read (304, failure)
    entries: int = 0  # entries extracted this pass
    with_author: int = 0
    with_date: int = 0
    with_image: int = 0
    body_median: int = 0  # median characters of body text
    body_declared: int = 0  # entries whose body came from the declared container
    retry_after: float | None = None  # seconds the site asked us to wait (429/503)
