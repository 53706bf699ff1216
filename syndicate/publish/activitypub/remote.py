"""Talking to other servers: the SSRF guard (syndicate.netguard), signed GETs, remote key
lookup that only believes a document fetched from its own id."""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from syndicate import netguard
from syndicate.http_body import BodyTooLarge
from syndicate.models.federation import RemoteActor
from syndicate.publish.activitypub.signatures import SignatureError, load_public_key, sign_cavage

ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
KEY_TTL = timedelta(days=1)
REFETCH_AFTER = timedelta(seconds=60)  # a failed verification refetches a key at most this often


class FetchError(Exception):
    """A remote document could not be fetched; `status` is the HTTP status if there was one."""

    def __init__(self, message: str, status: int | None = None, *, network: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.network = network  # no answer at all (timeout, refused, DNS)

    @property
    def gone(self) -> bool:
        return self.status in (404, 410)

    @property
    def transient(self) -> bool:
        """Worth trying again later: no answer, or the other server said it is busy or broken."""
        return self.network or self.status in (408, 429) or (self.status or 0) >= 500


class BlockedAddress(FetchError):
    pass


# Key fetches are made for requests nobody has authenticated yet, to hosts the sender names:
# every fresh keyId would otherwise be one signed GET of ours (300 POSTs -> 300 GETs).
KEY_FETCHES_PER_HOST_MINUTE = 10
KEY_FETCHES_PER_MINUTE = 60
KEY_FAILURE_TTL = 300.0  # seconds a keyId that could not be fetched or checked is not retried


class KeyFetchBudget:
    """Per keyId host and overall, at most so many key fetches a minute; a keyId that failed is
    answered from memory (the same error) for KEY_FAILURE_TTL. Over budget is a transient
    FetchError (429), so the inbox says 503 and an honest sender retries later."""

    def __init__(
        self,
        per_host: int = KEY_FETCHES_PER_HOST_MINUTE,
        overall: int = KEY_FETCHES_PER_MINUTE,
        failure_ttl: float = KEY_FAILURE_TTL,
        max_failures: int = 10_000,
    ) -> None:
        self.per_host, self.overall, self.failure_ttl = per_host, overall, failure_ttl
        self.max_failures = max_failures
        self._recent: deque[tuple[float, str]] = deque()  # (monotonic time, host), last minute
        self._failed: dict[str, tuple[float, Exception]] = {}

    def spend(self, key_id: str, now: float | None = None) -> None:
        """Allow one fetch of `key_id` now, or raise why not."""
        now = time.monotonic() if now is None else now
        failed = self._failed.get(key_id)
        if failed is not None:
            if now - failed[0] < self.failure_ttl:
                raise failed[1]
            del self._failed[key_id]
        while self._recent and now - self._recent[0][0] >= 60.0:
            self._recent.popleft()
        host = urlsplit(key_id).netloc.lower()
        if len(self._recent) >= self.overall:
            raise FetchError("too many key fetches right now; try again later", 429)
        if sum(1 for _, h in self._recent if h == host) >= self.per_host:
            raise FetchError(f"too many key fetches from {host} right now; try again later", 429)
        self._recent.append((now, host))

    def failed(self, key_id: str, error: Exception, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if len(self._failed) >= self.max_failures:
            self._failed = {k: v for k, v in self._failed.items() if now - v[0] < self.failure_ttl}
            while len(self._failed) >= self.max_failures:  # all fresh: drop the oldest
                del self._failed[next(iter(self._failed))]
        self._failed[key_id] = (now, error)


class PeerGuard:
    """syndicate.netguard for other servers: public addresses only, unless `[federation]
    allow_private_networks` opens a network. Refusals are FetchErrors, which the inbox and the
    delivery workers already treat as "cannot reach"."""

    def __init__(self, allow: Iterable[str]) -> None:
        self.net = netguard.NetGuard(allow)

    async def check(self, url: str) -> None:
        try:
            await self.net.check(url)
        except netguard.BlockedAddress as exc:
            # netguard words its reasons for the fetcher ("... not a configured source host").
            why = (
                str(exc).removeprefix("refused: ").removesuffix(" and not a configured source host")
            )
            raise BlockedAddress(
                f"not a public address: {why} (allow it with [federation] allow_private_networks)"
            ) from None
        except netguard.UnresolvableHost as exc:
            raise FetchError(str(exc), network=True) from None


def media_type_ok(content_type: str) -> bool:
    mt = content_type.split(";", 1)[0].strip().lower()
    if mt == "application/activity+json" or mt == "application/json":
        return True
    return mt == "application/ld+json"


async def fetch_document(
    client: httpx.AsyncClient,
    guard: PeerGuard,
    url: str,
    *,
    key: tuple[str, str] | None,
) -> dict[str, Any]:
    """GET an ActivityPub document, signed with `key` = (private PEM, key id) when given.

    Servers in Mastodon's secure mode and GoToSocial answer only signed GETs. Redirects are not
    followed (a 3xx is a FetchError): the guard has only checked this URL's host, and a document
    is only believed from the URL its id names anyway."""
    url = url.split("#", 1)[0]
    await guard.check(url)
    headers = {"Accept": ACCEPT}
    if key is not None:
        headers.update(sign_cavage(key[0], key[1], "GET", url))
    try:
        async with client.stream("GET", url, headers=headers, follow_redirects=False) as resp:
            if resp.status_code != 200:
                raise FetchError(f"GET {url}: HTTP {resp.status_code}", resp.status_code)
            if not media_type_ok(resp.headers.get("content-type", "")):
                raise FetchError(f"GET {url}: not ActivityStreams JSON", resp.status_code)
            body = await resp.aread()  # federation clients stop past SMALL_BODY_BYTES
    except BodyTooLarge as exc:  # a refusal, not a network failure to retry
        raise FetchError(f"GET {url}: {exc}") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"GET {url}: {type(exc).__name__}: {exc}", network=True) from None
    try:
        doc = json.loads(body)
    except ValueError:
        raise FetchError(f"GET {url}: invalid JSON") from None
    if not isinstance(doc, dict):
        raise FetchError(f"GET {url}: not a JSON object")
    return doc


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc.lower()) == (pb.scheme, pb.netloc.lower())


def id_on_actor_host(activity_id: str, actor_id: str) -> bool:
    """An activity's id must be on its sender's own origin: otherwise one server could take
    (squat) the id another server's real activity will arrive with, and it would be dropped as
    a repeat."""
    return _same_origin(activity_id, actor_id)


def _defrag(url: str) -> str:
    return url.split("#", 1)[0]


def object_id(value: Any) -> str | None:
    """The id of an AS2 reference, whether given as a bare URL or as an embedded object."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def actor_from_documents(key_id: str, actor_doc: dict[str, Any], now: datetime) -> RemoteActor:
    """Pick the key `key_id` names out of an actor document (already known to be served from
    its own id) and check who owns it and where its inboxes are."""
    actor_id = object_id(actor_doc)
    if not actor_id or not _same_origin(actor_id, key_id):
        raise SignatureError(f"key {key_id} does not belong to an actor on its own host")
    keys = actor_doc.get("publicKey")
    keys = keys if isinstance(keys, list) else [keys] if keys else []
    chosen = None
    for k in keys:
        if isinstance(k, dict) and (k.get("id") == key_id or key_id == actor_id):
            chosen = k
            break
    if chosen is None:
        raise SignatureError(f"actor {actor_id} does not list key {key_id}")
    owner = chosen.get("owner", actor_id)
    if owner != actor_id:
        raise SignatureError(f"key {key_id} is owned by {owner}, not {actor_id}")
    pem = chosen.get("publicKeyPem")
    if not isinstance(pem, str):
        raise SignatureError(f"key {key_id} has no publicKeyPem")
    load_public_key(pem)  # a key that does not load is refused now, not cached
    endpoints = actor_doc.get("endpoints")
    if not isinstance(endpoints, dict):
        endpoints = {}
    inbox = object_id(actor_doc.get("inbox"))
    shared = object_id(endpoints.get("sharedInbox")) or object_id(actor_doc.get("sharedInbox"))
    for name, url in (("inbox", inbox), ("sharedInbox", shared)):
        # Otherwise an actor could point our deliveries (Accepts, posts) at a third party.
        if url is not None and not _same_origin(url, actor_id):
            raise SignatureError(f"actor {actor_id} has its {name} on another host: {url}")
    return RemoteActor(
        actor_id=actor_id,
        key_id=key_id,
        public_pem=pem,
        inbox=inbox,
        shared_inbox=shared,
        fetched_at=now,
    )


Fetch = Callable[[str], Awaitable[dict[str, Any]]]


async def fetch_as_itself(fetch: Fetch, url: str) -> dict[str, Any]:
    """A document whose `id` is the URL it was fetched from (fragments aside).

    Any URL on a host that serves user-supplied JSON (an upload, an API echo) could otherwise
    claim to be that host's actor with the attacker's key (Mastodon CVE-2024-23832). A document
    naming another id on the same origin (GoToSocial's `…/main-key` stub) is fetched again from
    that id and must match there, as Mastodon does."""
    doc = await fetch(url)
    doc_id = object_id(doc)
    if doc_id is None:
        raise SignatureError(f"{_defrag(url)} has no id")
    if _defrag(doc_id) == _defrag(url):
        return doc
    if not _same_origin(doc_id, url):
        raise SignatureError(f"{_defrag(url)} claims to be {doc_id}, on another host")
    doc = await fetch(doc_id)
    if _defrag(object_id(doc) or "") != _defrag(doc_id):
        raise SignatureError(f"{_defrag(url)} claims to be {doc_id}, which is not served there")
    return doc


async def resolve_key(key_id: str, fetch: Fetch, now: datetime | None = None) -> RemoteActor:
    """Follow a keyId to its actor: the actor itself (keyId `actor#main-key`, or GoToSocial's
    `actor/main-key` that names the actor as its id) or a standalone Key whose `owner` lists
    it back as its own `publicKey`."""
    now = now or datetime.now(UTC)
    doc = await fetch_as_itself(fetch, key_id)
    if "publicKey" in doc:
        return actor_from_documents(key_id, doc, now)
    owner = doc.get("owner")
    if isinstance(owner, str) and "publicKeyPem" in doc:
        if not _same_origin(owner, key_id):
            raise SignatureError(f"key {key_id} names an owner on another host")
        owner_doc = await fetch(owner)
        if _defrag(object_id(owner_doc) or "") != _defrag(owner):
            raise SignatureError(f"the owner of {key_id}, {owner}, does not serve itself")
        return actor_from_documents(key_id, owner_doc, now)
    raise SignatureError(f"{key_id} is neither an actor nor a key")
