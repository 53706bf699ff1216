"""Talking to other servers: an address guard against SSRF, signed GETs, remote key lookup."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from syndicate.publish.activitypub.signatures import SignatureError, sign_cavage
from syndicate.store.federation import RemoteActor

MAX_DOCUMENT_BYTES = 1_000_000
ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
KEY_TTL = timedelta(days=1)
REFETCH_AFTER = timedelta(seconds=60)  # a failed verification refetches a key at most this often
_RESOLVE_TTL = 60.0

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class FetchError(Exception):
    """A remote document could not be fetched; `status` is the HTTP status if there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def gone(self) -> bool:
        return self.status in (404, 410)


class BlockedAddress(FetchError):
    pass


def parse_networks(cidrs: list[str]) -> list[Network]:
    return [ipaddress.ip_network(c, strict=False) for c in cidrs]


def address_allowed(addr: str, allowed: list[Network]) -> bool:
    """Public unicast addresses only, unless the operator allowed a private network."""
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in net for net in allowed):
        return True
    return ip.is_global and not ip.is_multicast


class AddressGuard:
    """Resolves a URL's host and refuses loopback, private, link-local and other non-public
    addresses (checked on every request, results cached a minute)."""

    def __init__(self, allowed: list[Network]) -> None:
        self.allowed = allowed
        self._cache: dict[tuple[str, int], tuple[float, bool]] = {}

    async def check(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BlockedAddress(f"not an http(s) URL: {url!r}")
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
        hit = self._cache.get((host, port))
        now = time.monotonic()
        if hit and hit[0] > now:
            ok = hit[1]
        else:
            ok = await self._resolve_ok(host, port)
            self._cache[(host, port)] = (now + _RESOLVE_TTL, ok)
        if not ok:
            raise BlockedAddress(
                f"{host} is not a public address (allow it with [federation] allow_private_networks)"
            )

    async def _resolve_ok(self, host: str, port: int) -> bool:
        try:
            ipaddress.ip_address(host)
            addrs = [host]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
            except OSError as exc:
                raise FetchError(f"cannot resolve {host}: {exc.strerror or exc}") from None
            addrs = [info[4][0] for info in infos]
        return bool(addrs) and all(address_allowed(a, self.allowed) for a in addrs)


def media_type_ok(content_type: str) -> bool:
    mt = content_type.split(";", 1)[0].strip().lower()
    if mt == "application/activity+json" or mt == "application/json":
        return True
    return mt == "application/ld+json"


async def fetch_document(
    client: httpx.AsyncClient,
    guard: AddressGuard,
    url: str,
    *,
    key: tuple[str, str] | None,
) -> dict[str, Any]:
    """GET an ActivityPub document, signed with `key` = (private PEM, key id) when given.

    Servers in Mastodon's secure mode and GoToSocial answer only signed GETs."""
    url = url.split("#", 1)[0]
    await guard.check(url)
    headers = {"Accept": ACCEPT}
    if key is not None:
        headers.update(sign_cavage(key[0], key[1], "GET", url))
    try:
        async with client.stream("GET", url, headers=headers) as resp:
            if resp.status_code != 200:
                raise FetchError(f"GET {url}: HTTP {resp.status_code}", resp.status_code)
            if not media_type_ok(resp.headers.get("content-type", "")):
                raise FetchError(f"GET {url}: not ActivityStreams JSON", resp.status_code)
            body = b""
            async for chunk in resp.aiter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise FetchError(f"GET {url}: document larger than {MAX_DOCUMENT_BYTES} bytes")
    except httpx.HTTPError as exc:
        raise FetchError(f"GET {url}: {type(exc).__name__}: {exc}") from None
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


def object_id(value: Any) -> str | None:
    """The id of an AS2 reference, whether given as a bare URL or as an embedded object."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def actor_from_documents(key_id: str, actor_doc: dict[str, Any], now: datetime) -> RemoteActor:
    """Pick the key `key_id` names out of an actor document and check who owns it."""
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
    endpoints = actor_doc.get("endpoints") if isinstance(actor_doc.get("endpoints"), dict) else {}
    return RemoteActor(
        actor_id=actor_id,
        key_id=key_id,
        public_pem=pem,
        inbox=object_id(actor_doc.get("inbox")),
        shared_inbox=object_id(endpoints.get("sharedInbox")),
        fetched_at=now,
    )


Fetch = Callable[[str], Awaitable[dict[str, Any]]]


async def resolve_key(key_id: str, fetch: Fetch, now: datetime | None = None) -> RemoteActor:
    """Follow a keyId to its actor: the actor itself (keyId `actor#main-key` or GoToSocial's
    `actor/main-key` without a fragment) or a standalone Key whose `owner` lists it back."""
    now = now or datetime.now(UTC)
    doc = await fetch(key_id)
    if "publicKey" in doc:
        return actor_from_documents(key_id, doc, now)
    owner = doc.get("owner")
    if isinstance(owner, str) and "publicKeyPem" in doc:
        if not _same_origin(owner, key_id):
            raise SignatureError(f"key {key_id} names an owner on another host")
        return actor_from_documents(key_id, await fetch(owner), now)
    raise SignatureError(f"{key_id} is neither an actor nor a key")
