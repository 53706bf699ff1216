"""WebSub subscriber (W3C WebSub, section 5): sources whose feed names a hub are pushed to us.

After a pass that read a feed advertising `rel="hub"` (Blogger, WordPress WebSub plugins), the
runner calls `after_pass`: we subscribe (or renew a lease that ends within RENEW_BEFORE) with a
per-source HMAC secret and the callback {base_url}/websub/{source_id}. The hub checks our
intent with a GET (web/websub_callback.py echoes the challenge, records the lease); a content
delivery is a POST whose X-Hub-Signature must be the HMAC of the body with that secret, and a
verified one makes the source due now, so the next scheduler tick ingests it (a pass reads the
feed as always, with its removals, validators and health). Polling stays as the fallback, at
FALLBACK_FACTOR times the interval while a lease is active.

The subscription lives in the source's cursor (SourceState.cursor["websub"]).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urljoin

from syndicate.config import Settings, SourceSettings
from syndicate.models import SourceState
from syndicate.store import Store

log = logging.getLogger("syndicate.websub.subscriber")

LEASE = timedelta(days=10)  # what we ask for; the hub decides
RENEW_BEFORE = timedelta(days=1)  # resubscribe when the lease ends sooner than this
RETRY_PENDING = timedelta(hours=1)  # a hub that never verified is asked again after this
FALLBACK_FACTOR = 4  # polling interval multiplier while pushes are expected
MAX_FALLBACK = timedelta(hours=6)
_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384}
_ALGORITHMS["sha512"] = hashlib.sha512
_LINK_HEADER = re.compile(r'<([^>]+)>\s*;\s*rel="?([^";,]+)"?')
_FEED_LINK = re.compile(rb"<(?:atom:)?link\b[^>]*>", re.I)
_ATTR = re.compile(rb'(\w+)\s*=\s*"([^"]*)"|(\w+)\s*=\s*\'([^\']*)\'')


class Response(Protocol):
    """What we read of a fetched feed (ingest.fetcher.FetchResponse)."""

    @property
    def url(self) -> str: ...
    @property
    def status(self) -> int: ...
    @property
    def content(self) -> bytes: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


class Poster(Protocol):
    async def post(self, url: str, *, data: dict[str, str]) -> Any: ...


def advertised(resp: Response) -> tuple[str | None, str | None]:
    """(hub, topic) a feed response names: HTTP Link headers first, then <link rel="hub|self">
    in the document (Atom, or atom:link in RSS)."""
    links: dict[str, str] = {}
    for href, rel in _LINK_HEADER.findall(resp.headers.get("link", "")):
        for name in rel.split():
            links.setdefault(name.lower(), urljoin(resp.url, href.strip()))
    for tag in _FEED_LINK.findall(resp.content[:262_144]):
        attrs = {(m[0] or m[2]).lower(): (m[1] or m[3]) for m in _ATTR.findall(tag) if m[0] or m[2]}
        rel, href = attrs.get(b"rel", b"").decode(), attrs.get(b"href", b"").decode()
        for name in rel.lower().split():
            if href and name in ("hub", "self"):
                links.setdefault(name, urljoin(resp.url, href.strip()))
    return links.get("hub"), links.get("self") or resp.url


def callback_url(settings: Settings, source_id: str) -> str:
    return f"{settings.server.base_url}/websub/{source_id}"


def active(sub: Mapping[str, Any] | None, now: datetime) -> bool:
    """A verified subscription whose lease has not run out."""
    if not sub or sub.get("state") != "active":
        return False
    expires = sub.get("expires")
    return isinstance(expires, str) and datetime.fromisoformat(expires) > now


def needs_request(sub: Mapping[str, Any] | None, hub: str, topic: str, now: datetime) -> bool:
    """Subscribe (again): none yet, another hub or topic, a lease ending soon, or a request the
    hub never verified within RETRY_PENDING (a denied one is also retried after that)."""
    if not sub or sub.get("hub") != hub or sub.get("topic") != topic:
        return True
    if sub.get("state") == "active":
        expires = sub.get("expires")
        return not expires or datetime.fromisoformat(expires) - now < RENEW_BEFORE
    asked = sub.get("requested")
    return not asked or now - datetime.fromisoformat(asked) > RETRY_PENDING


async def after_pass(
    settings: Settings,
    store: Store,
    source: SourceSettings,
    state: SourceState,
    responses: Iterable[Response],
    client: Poster,
    now: datetime | None = None,
) -> bool:
    """Subscribe or renew when the feed just read names a hub; True while pushes are expected
    (the scheduler then polls at the longer fallback interval). Never raises."""
    now = now or datetime.now(UTC)
    sub = state.cursor.get("websub")
    feeds = [r for r in responses if r.status == 200 and r.content]
    if not feeds:  # 304 or no feed read: keep what we have
        return active(sub, now)
    hub, topic = advertised(feeds[0])
    if not hub or not topic:
        if sub:
            state.cursor.pop("websub", None)  # the feed stopped naming a hub
        return False
    if not needs_request(sub, hub, topic, now):
        return active(sub, now)
    secret = (sub or {}).get("secret") or secrets.token_hex(32)
    form = {
        "hub.mode": "subscribe",
        "hub.topic": topic,
        "hub.callback": callback_url(settings, source.id),
        "hub.secret": secret,
        "hub.lease_seconds": str(int(LEASE.total_seconds())),
    }
    record = {
        **(sub if sub and sub.get("hub") == hub and sub.get("topic") == topic else {}),
        "hub": hub,
        "topic": topic,
        "secret": secret,
        "requested": now.isoformat(timespec="seconds"),
    }
    record.setdefault("state", "pending")
    # Stored before asking: a hub may verify (GET the callback) before its answer reaches us.
    await asyncio.to_thread(_store_record, store, source.id, record)
    try:
        resp = await client.post(hub, data=form)
        status = resp.status_code
    except Exception as exc:  # a hub that is down costs us nothing: polling continues
        log.warning("source %s: WebSub subscribe at %s failed: %s", source.id, hub, exc)
        status = None
    if status is not None and not 200 <= status < 300:
        log.warning("source %s: hub %s refused the subscription: HTTP %s", source.id, hub, status)
    elif status is not None:
        log.info("source %s: subscribed at hub %s (topic %s)", source.id, hub, topic)
    stored = (await asyncio.to_thread(store.source_state, source.id)).cursor.get("websub")
    if stored and stored.get("secret") == secret and stored.get("state") == "active":
        record = stored  # verified while we waited for the hub's answer
    state.cursor["websub"] = record  # the runner saves the state right after this
    return active(record, now)


def _store_record(store: Store, source_id: str, record: dict[str, Any]) -> None:
    fresh = store.source_state(source_id)
    fresh.cursor["websub"] = record
    store.save_source_state(fresh)


def fallback_interval(interval: timedelta) -> timedelta:
    """How often a source with an active subscription is still polled."""
    return max(interval, min(interval * FALLBACK_FACTOR, MAX_FALLBACK))


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature: "<sha1|sha256|sha384|sha512>=<hex HMAC of the body>"."""
    if not secret or not header or "=" not in header:
        return False
    method, _, given = header.partition("=")
    digest = _ALGORITHMS.get(method.strip().lower())
    if digest is None:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def verify_intent(
    sub: Mapping[str, Any] | None, params: Mapping[str, str], now: datetime
) -> tuple[dict[str, Any] | None, str | None]:
    """The hub's GET to the callback: (updated subscription, challenge to echo) when it is for
    the subscription we asked for; (None, None) means answer 404."""
    mode, topic = params.get("hub.mode"), params.get("hub.topic")
    if not sub or topic != sub.get("topic"):
        return None, None
    if mode == "denied":
        return {**sub, "state": "denied", "reason": params.get("hub.reason", "")[:200]}, ""
    challenge = params.get("hub.challenge")
    if mode != "subscribe" or not challenge:
        return None, None  # we never ask to unsubscribe
    try:
        lease = int(params.get("hub.lease_seconds", ""))
    except ValueError:
        lease = int(LEASE.total_seconds())
    expires = now + timedelta(seconds=max(lease, 60))
    return {**sub, "state": "active", "expires": expires.isoformat(timespec="seconds")}, challenge
