"""The one HTTP client factory: every outbound client (ingest, federation deliveries, key
fetches, WebSub pings) is built here, with timeouts, User-Agent and connection limits from
`[fetch]`, and, for URLs found in other people's content, a transport that connects only to
the addresses syndicate.netguard checked.

Why a transport and not only a check before the request: netguard resolves the name, httpx
would resolve it again to connect, and a DNS server answering differently the second time
(rebinding) would get us onto a private address. `GuardedBackend` sits under httpcore: it asks
the guard for the checked addresses and opens the TCP connection to one of them. httpcore still
sends the Host header and does TLS (SNI and certificate check) for the URL's host name, so only
the address lookup changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

import httpcore
import httpx

from syndicate.http_body import BoundedTransport
from syndicate.netguard import BlockedAddress, NetGuard, UnresolvableHost

if TYPE_CHECKING:
    from syndicate.config import Settings

Purpose = Literal["ingest", "delivery", "key_fetch", "websub", "webhook"]
GuardSource = NetGuard | Callable[[], NetGuard]  # a callable follows config reloads

# Key fetches happen while a remote server waits for our inbox's answer, on hosts an
# unauthenticated sender chose: short timeouts and a small pool of their own, so slow keyId hosts
# cannot hold the connections deliveries need.
KEY_FETCH_TIMEOUT = 5.0
KEY_FETCH_CONNECT_TIMEOUT = 3.0
KEY_FETCH_CONNECTIONS = 4
WEBSUB_CONNECTIONS = 2
KEEPALIVE_EXPIRY = 30.0  # seconds an idle pooled connection is kept
# Decoded bytes of one response body (syndicate.http_body): ingest's comes from [fetch]; actor
# documents, WebFinger, inbox and hub answers are small.
SMALL_BODY_BYTES = 1_000_000


class RefusedConnect(httpx.ConnectError):
    """The connection-time address check refused every address of a host (str() says why).

    An httpx.ConnectError, so code that treats network failures as "cannot reach" needs no
    special case; the ingest fetcher reports it as an address refusal."""


class ResolveFailed(httpx.ConnectError):
    """The host name did not resolve (str() says why): a DNS failure, told apart from a
    refused or unreachable connection."""


@dataclass(frozen=True, slots=True)
class ClientSpec:
    """What one client is: plain values, so a purpose's settings are visible in one place."""

    user_agent: str
    timeout: float = 20.0  # read/write: the longest wait between bytes
    connect_timeout: float = 10.0
    pool_timeout: float | None = None  # waiting for a free pooled connection; None = timeout
    max_connections: int = 8
    max_keepalive: int | None = None  # None = max_connections
    keepalive_expiry: float = KEEPALIVE_EXPIRY
    headers: Mapping[str, str] = field(default_factory=dict)
    max_body_bytes: int = SMALL_BODY_BYTES  # decoded; a response past it raises BodyTooLarge

    @property
    def limits(self) -> httpx.Limits:
        keep = self.max_connections if self.max_keepalive is None else self.max_keepalive
        return httpx.Limits(
            max_connections=self.max_connections,
            max_keepalive_connections=keep,
            keepalive_expiry=self.keepalive_expiry,
        )

    @property
    def timeouts(self) -> httpx.Timeout:
        pool = self.timeout if self.pool_timeout is None else self.pool_timeout
        return httpx.Timeout(self.timeout, connect=self.connect_timeout, pool=pool)


def client_spec(settings: Settings, purpose: Purpose) -> ClientSpec:
    """The client for one purpose, from `[fetch]` (and `[federation] workers` for deliveries)."""
    f = settings.fetch
    timeout, connect = f.timeout.total_seconds(), f.connect_timeout.total_seconds()
    agent = settings.user_agent()
    if purpose == "ingest":
        return ClientSpec(
            agent, timeout, connect, max_connections=f.concurrency, max_body_bytes=f.max_body_bytes
        )
    if purpose == "delivery":
        # As many connections as senders: httpcore scans its pool per request, so hundreds of
        # idle keep-alive connections in one pool are slow (bench/fanout.py); see HostClients.
        size = max(8, settings.federation.workers)
        return ClientSpec(agent, timeout, connect, max_connections=size)
    if purpose == "key_fetch":
        return ClientSpec(
            agent,
            min(timeout, KEY_FETCH_TIMEOUT),
            min(connect, KEY_FETCH_CONNECT_TIMEOUT),
            pool_timeout=min(timeout, KEY_FETCH_TIMEOUT),
            max_connections=KEY_FETCH_CONNECTIONS,
        )
    if purpose in ("websub", "webhook"):  # the operator's own endpoints, a few posts at a time
        return ClientSpec(agent, timeout, connect, max_connections=WEBSUB_CONNECTIONS)
    raise ValueError(f"unknown client purpose {purpose!r}")


def build_client(
    spec: ClientSpec,
    *,
    guard: GuardSource | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    verify: ssl.SSLContext | bool = True,
    follow_redirects: bool = False,
) -> httpx.AsyncClient:
    """An httpx.AsyncClient for `spec`. With `guard`, every connection goes only to addresses
    the guard checked (see GuardedBackend). `transport` (tests) replaces the network entirely.
    Either way bodies are decoded within `spec.max_body_bytes` (syndicate.http_body).

    Redirects are off by default: a redirect target has not been checked by the caller."""
    if transport is None:
        if guard is not None:
            transport = guarded_transport(guard, spec.limits, verify=verify)
        else:
            transport = httpx.AsyncHTTPTransport(limits=spec.limits, verify=tls_context(verify))
    transport = BoundedTransport(transport, spec.max_body_bytes)
    return httpx.AsyncClient(
        headers={"User-Agent": spec.user_agent, **spec.headers},
        timeout=spec.timeouts,
        follow_redirects=follow_redirects,
        transport=transport,
        # An environment proxy would be mounted beside our transport and bypass the guard.
        trust_env=guard is None,
    )


@functools.cache
def default_tls_context() -> ssl.SSLContext:
    """One verifying TLS context shared by every client: building one loads the CA bundle
    (milliseconds), which per-host clients would otherwise pay once per host."""
    return httpx.create_ssl_context()


def tls_context(verify: ssl.SSLContext | bool) -> ssl.SSLContext:
    if verify is True:
        return default_tls_context()
    if verify is False:
        return httpx.create_ssl_context(verify=False)
    return verify


def client_for(
    settings: Settings, purpose: Purpose, *, guard: GuardSource | None = None
) -> httpx.AsyncClient:
    """build_client(client_spec(settings, purpose), guard=guard): the usual one-liner."""
    return build_client(client_spec(settings, purpose), guard=guard)


# ---- the rebinding-safe transport ---------------------------------------------------------


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects to the addresses the guard checked.

    httpcore hands us the URL's host name; we ask the guard (one lookup, cached, checked) and
    open the socket to a checked IP. TLS is started afterwards by httpcore with
    server_hostname = the host name, so SNI and certificate verification are unchanged."""

    def __init__(
        self, guard: GuardSource, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self._guard = guard
        self._inner = inner or httpcore.AnyIOBackend()

    @property
    def guard(self) -> NetGuard:
        return self._guard if isinstance(self._guard, NetGuard) else self._guard()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):  # the lookup counts against the connect timeout
                addresses = await self.guard.addresses(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except BlockedAddress as exc:
            raise RefusedConnect(str(exc)) from None
        except UnresolvableHost as exc:
            raise ResolveFailed(str(exc)) from None
        failure: Exception | None = None
        for ip in addresses:  # in the resolver's order, like getaddrinfo users do
            try:
                return await self._inner.connect_tcp(
                    ip, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # addresses() never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used for outbound requests")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(
    guard: GuardSource, limits: httpx.Limits, *, verify: ssl.SSLContext | bool = True
) -> httpx.AsyncHTTPTransport:
    """httpx's own transport (request/response mapping, exception mapping) over a pool whose
    network backend is GuardedBackend. httpx has no public hook for the backend, so the pool it
    built is replaced by an equivalent one (same TLS context and limits)."""
    context = tls_context(verify)
    transport = httpx.AsyncHTTPTransport(limits=limits, verify=context)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(guard),
    )
    return transport


# ---- per-host pooled clients ----------------------------------------------------------------


class HostClients:
    """One small keep-alive client per remote host, for fan-out to many hosts.

    One big pool slows down with hundreds of idle connections (httpcore walks its connection
    list per request); a client per host keeps each walk short and each host's connections
    warm. At most `max_hosts` clients are kept; the least recently used one is retired and
    closed `retire_after` seconds later, so a request still running on it can finish."""

    def __init__(
        self,
        make: Callable[[], httpx.AsyncClient],
        *,
        max_hosts: int = 256,
        retire_after: float = 60.0,
    ) -> None:
        self._make = make
        self.max_hosts = max_hosts
        self.retire_after = retire_after
        self._clients: OrderedDict[str, httpx.AsyncClient] = OrderedDict()
        self._retiring: dict[asyncio.Task[None], httpx.AsyncClient] = {}

    def __len__(self) -> int:
        return len(self._clients)

    def for_url(self, url: str) -> httpx.AsyncClient:
        parts = urlsplit(url)
        key = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
            return client
        client = self._clients[key] = self._make()
        while len(self._clients) > self.max_hosts:
            _, old = self._clients.popitem(last=False)
            self._retire(old)
        return client

    def _retire(self, client: httpx.AsyncClient) -> None:
        async def close_later() -> None:
            await asyncio.sleep(self.retire_after)
            await client.aclose()

        task = asyncio.get_running_loop().create_task(close_later())
        self._retiring[task] = client
        task.add_done_callback(lambda t: self._retiring.pop(t, None))

    async def aclose(self) -> None:
        clients = list(self._clients.values()) + list(self._retiring.values())
        for task in list(self._retiring):
            task.cancel()
        self._clients.clear()
        self._retiring.clear()
        for client in clients:
            with contextlib.suppress(Exception):
                await client.aclose()
