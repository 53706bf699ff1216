"""Refuse outbound requests to non-public addresses (SSRF), unless the operator allowed them.

A URL found in someone else's content (a feed item's link, a sitemap entry, a redirect) must not
make us read loopback, private, link-local, CGNAT, multicast, reserved or unspecified addresses
and republish what they answer. Hosts the operator configured are trusted by name and port, and
`allow` CIDRs open whole networks. Imports nothing of ours, so any layer may use it.

A name is resolved once per RESOLVE_TTL and the addresses that passed the check are the ones the
connection uses (`addresses()`, called by syndicate.http's transport): a DNS answer that changes
between the check and the connect (rebinding) cannot point us at another address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
RESOLVE_TTL = 60.0  # seconds a host's verdict is cached (DNS answers change slowly)
CACHE_HOSTS = 10_000  # verdicts kept at most (hosts come from other people's content)

# (host, port) -> IP address strings; injectable so tests can answer like a rebinding DNS server.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """The system's answer (getaddrinfo on the event loop's executor), in its preference order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))


class BlockedAddress(Exception):
    """The URL's host is (or resolves to) an address we refuse; str() is the reason."""


class UnresolvableHost(Exception):
    """The host name did not resolve; str() is the reason."""


def parse_networks(cidrs: Iterable[str]) -> list[Network]:
    """CIDR strings -> networks; raises ValueError naming a bad one."""
    return [ipaddress.ip_network(c.strip(), strict=False) for c in cidrs]


def classify(ip: Address) -> str | None:
    """Why an address is not public ("a loopback address"), or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    # Order matters: 0.0.0.0 and 127/8 are also "private" to the ipaddress module.
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "a carrier-grade NAT address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local):
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "a reserved address"
    return None


def _origin(url: str) -> tuple[str, int] | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return parts.hostname.lower().rstrip("."), port


class NetGuard:
    """Checks a URL before each request: trusted host:port, else every resolved address public
    (or inside an allowed network). Verdicts are cached for RESOLVE_TTL seconds."""

    def __init__(
        self,
        allow: Iterable[str | Network] = (),
        trusted: Iterable[str] = (),
        *,
        resolver: Resolver | None = None,
        ttl: float = RESOLVE_TTL,
    ) -> None:
        self.allow: list[Network] = [
            n if not isinstance(n, str) else ipaddress.ip_network(n, strict=False) for n in allow
        ]
        self._trusted: set[tuple[str, int]] = set()
        for url in trusted:
            self.trust(url)
        self.resolver: Resolver = resolver or system_resolver
        self.ttl = ttl
        # (host, port) -> (expiry, refusal reason or None, the addresses resolved and checked);
        # a trusted host:port may use its addresses whatever the reason says.
        self._cache: dict[tuple[str, int], tuple[float, str | None, list[str]]] = {}

    def trust(self, url: str) -> None:
        """An operator-chosen URL (a source's url/feed_url, `discover URL`): its host:port is ok."""
        origin = _origin(url)
        if origin is not None:
            self._trusted.add(origin)

    def trusted(self, url: str) -> bool:
        return _origin(url) in self._trusted

    def refusal(self, ip: Address) -> str | None:
        """Why this address is refused, or None when it may be used."""
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        if any(ip in net or (mapped is not None and mapped in net) for net in self.allow):
            return None
        return classify(ip)

    async def check(self, url: str) -> None:
        """Raise BlockedAddress (or UnresolvableHost) unless `url` may be requested."""
        origin = _origin(url)
        if origin is None:
            raise BlockedAddress(f"refused: {url!r} is not an http(s) URL")
        if origin in self._trusted:
            return
        await self.addresses(*origin)

    async def addresses(self, host: str, port: int) -> list[str]:
        """The IP addresses a connection to host:port may use: those resolved and checked
        (cached for `ttl`). Raises BlockedAddress or UnresolvableHost."""
        origin = (host.lower().rstrip("."), port)
        now = time.monotonic()
        hit = self._cache.get(origin)
        if hit is None or hit[0] <= now:
            reason, addrs = await self._verdict(*origin)
            if len(self._cache) >= CACHE_HOSTS:
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                if len(self._cache) >= CACHE_HOSTS:
                    self._cache.clear()
            hit = self._cache[origin] = (now + self.ttl, reason, addrs)
        if hit[1] is not None and origin not in self._trusted:
            raise BlockedAddress(hit[1])
        return hit[2]

    async def _verdict(self, host: str, port: int) -> tuple[str | None, list[str]]:
        try:
            addrs: list[Address] = [ipaddress.ip_address(host.strip("[]"))]
            named = False
        except ValueError:
            addrs, named = await self._resolve(host, port), True
        checked = [str(ip) for ip in addrs]
        for ip in addrs:
            # Any refused answer refuses the host: we cannot know which one a later lookup
            # (or another client) would pick.
            why = self.refusal(ip)
            if why is not None:
                shown = f"{host} ({ip})" if named else str(ip)
                return f"refused: {shown} is {why} and not a configured source host", checked
        return None, checked

    async def _resolve(self, host: str, port: int) -> list[Address]:
        try:
            addrs = [ipaddress.ip_address(a) for a in await self.resolver(host, port)]
        except OSError as exc:
            raise UnresolvableHost(f"cannot resolve {host}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise UnresolvableHost(f"cannot resolve {host}: {exc}") from None
        if not addrs:
            raise UnresolvableHost(f"cannot resolve {host}: no addresses")
        return addrs
