"""Federation domain types: followers, remote actors, activities and deliveries. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit


def host_of(url: str) -> str:
    """The lower-cased host[:port] of a URL: what deliveries and server health are keyed on."""
    return urlsplit(url).netloc.lower()


@dataclass(slots=True)
class Follower:
    source_id: str
    actor_id: str
    inbox: str
    shared_inbox: str | None
    since: datetime
    follow_id: str | None = None

    @property
    def delivery_inbox(self) -> str:
        return self.shared_inbox or self.inbox

    @property
    def server(self) -> str:
        return urlsplit(self.actor_id).netloc


@dataclass(slots=True)
class RemoteActor:
    actor_id: str
    key_id: str
    public_pem: str
    inbox: str | None
    shared_inbox: str | None
    fetched_at: datetime


@dataclass(slots=True)
class NewActivity:
    id: str
    source_id: str
    type: str
    payload: dict[str, Any]
    published: datetime
    article_id: str | None = None
    event_id: int | None = None
    delivered: bool = True


@dataclass(frozen=True, slots=True)
class Revocation:
    """A FEP-044f stamp withdrawn with its article's removal, and the Delete that tells its
    quoter (None when we no longer know the quoter's inbox: the stamp URL 410s all the same)."""

    stamp_id: str
    notice: NewActivity | None = None
    inbox: str | None = None


@dataclass(slots=True)
class DeliveryJob:
    """A claimed delivery: POST `payload` to `inbox`, signed by `source_id`'s key."""

    id: int
    activity_id: str
    source_id: str
    inbox: str
    host: str
    attempts: int
    created_at: datetime
    lease_token: str
    payload: dict[str, Any]
    signature: str | None  # what the server accepted last time (cavage / rfc9421), if known
    server_healthy: bool = False  # known, no failures, success recorded lately: nothing to write


@dataclass(frozen=True, slots=True)
class LeaseOffer:
    """A worker's offer to take up to `rows` of a new activity's deliveries as they are queued:
    those rows are inserted already leased to it (`token` until `until`) and go straight to its
    send queue, with no claim query in between. Rows beyond `rows`, or not due yet, are queued
    unleased for any worker to claim."""

    token: str
    until: datetime
    rows: int


@dataclass(slots=True)
class Queued:
    """What queueing an activity's deliveries did: how many rows, and the ones leased to the
    offer's worker (ready to send)."""

    count: int = 0
    leased: list[DeliveryJob] = field(default_factory=list)


@dataclass(slots=True)
class DeliveryOutcome:
    """What a worker learned from one attempt; written back by finish_deliveries()."""

    id: int
    lease_token: str
    host: str
    inbox: str
    status: str  # a DeliveryState (syndicate.models.delivery_states), chosen by transition()
    attempts: int
    next_attempt_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    server_ok: bool | None = None  # True: the server answered well; False: it failed; None: neither
    signature: str | None = None


@dataclass(slots=True)
class ServerStatus:
    """Delivery health of one remote server, as the source page and `syndicate followers` show it."""

    host: str
    followers: int
    failing_deliveries: int
    dead_deliveries: int
    consecutive_failures: int
    last_error: str | None
    last_failure_at: datetime | None
    last_success_at: datetime | None
    retry_after: datetime | None  # set while we treat the server as unavailable


@dataclass(slots=True)
class InboxStatus:
    inbox: str
    server: str
    followers: int
    followed_since: datetime
    last_delivery_at: datetime | None
    pending: int
    failures: int  # failed attempts on deliveries not yet done
    dead: int
    last_error: str | None
    actors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class QuoteStamp:
    """A FEP-044f QuoteAuthorization we issued: `quote_id` may quote our article."""

    id: str
    article_id: str
    source_id: str
    quote_id: str  # the quoting post
    actor_id: str  # its author
    request_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply from another server to one of our posts (sanitised, capped)."""

    object_id: str
    article_id: str
    activity_id: str
    actor_id: str
    host: str
    url: str | None
    content_html: str
    published: datetime | None
    received_at: datetime
    hidden: bool
