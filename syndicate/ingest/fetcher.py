"""The one HTTP client every route shares: timeouts, size cap, redirects, conditional GET.

Politeness lives here too, so no route can forget it: robots.txt (RFC 9309, via protego, cached
per host, incl. Crawl-delay), a global and a per-host concurrency limit, a minimum delay between
requests to one host, and 429/503 Retry-After honoured for the whole host.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, ParamSpec, Protocol, TypeVar, get_args
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from syndicate import backoff
from syndicate.http import ClientSpec, RefusedConnect, ResolveFailed, build_client
from syndicate.http_body import BodyTooLarge
from syndicate.netguard import BlockedAddress, NetGuard, Resolver, UnresolvableHost

log = logging.getLogger("syndicate.fetch")

RETRYABLE = (429, 500, 502, 503, 504)
ANSWERS = (404, 410)  # statuses a route wants to see (an article is gone), not errors
REDIRECTS = (301, 302, 303, 307, 308)
FAILURES_KEPT = 256  # URLs whose latest failure failure_of() can still tell
STATS_LOG = 1000  # requests kept in FetchStats.log (a `syndicate run` fetcher lives for months)
# RFC 9309 §2.5: parse at least the first 500 KiB. Read that much even when the file is larger
# (or larger than max_body_bytes) and ignore the rest, instead of failing the whole site.
ROBOTS_MAX_BYTES = 512 * 1024


P = ParamSpec("P")
T = TypeVar("T")


class ValidatorStore(Protocol):
    def http_validators(self, url: str) -> tuple[str | None, str | None]: ...
    def save_http_validators(
        self, url: str, etag: str | None, last_modified: str | None
    ) -> None: ...


class StoreRun(Protocol):
    """Runs a synchronous store call off the event loop and awaits it: a pass's writer thread
    (StoreWriter.run, IngestContext.write) or asyncio.to_thread."""

    def __call__(
        self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Awaitable[T]: ...


FailureKind = Literal[
    "dns",  # the host name did not resolve
    "timeout",  # connect, read or total timeout
    "connect",  # refused, reset, unreachable network
    "http_4xx",  # a 4xx other than 404/410 (those are answers), 429 and bot walls
    "http_5xx",
    "rate_limited",  # 429, or the host's Retry-After still running
    "bot_wall",  # a challenge page (403/503 + cf-mitigated: challenge, or challenge markup)
    "robots",  # robots.txt forbids the URL
    "too_large",  # body over max_body_bytes
    "blocked",  # a non-public address the operator did not allow (SSRF guard)
    "protocol",  # bad encoding, too many redirects, a redirect to a non-http URL, broken HTTP
]
FAILURE_KINDS: tuple[FailureKind, ...] = get_args(FailureKind)
# Response headers kept on a FetchError: what an operator (or source health) needs to see why.
KEPT_HEADERS = ("retry-after", "cf-mitigated", "server", "cf-ray", "content-type", "location")
SNIFF_BYTES = 32_768  # of an error body, read to recognise a challenge page
# Challenge pages of the common bot-wall vendors (markup, not site names): Cloudflare managed
# and JS challenges, Sucuri, Imperva/Incapsula, DDoS-Guard, DataDome, PerimeterX, SiteGround.
CHALLENGE_MARKERS = (
    # (Not the bare /cdn-cgi/challenge-platform/: ordinary pages load its scripts/jsd/ script.)
    b"/cdn-cgi/challenge-platform/h/",
    b"window._cf_chl_opt",
    b"challenges.cloudflare.com",
    b"<title>just a moment...</title>",
    b"checking your browser before accessing",
    b"enable javascript and cookies to continue",
    b"attention required! | cloudflare",
    b"sucuri website firewall",
    b"_incapsula_resource",
    b"ddos-guard",
    b"captcha-delivery.com",
    b"px-captcha",
    b"sgcaptcha",
)


def challenge_marker(headers: httpx.Headers | dict[str, str], body: bytes = b"") -> str | None:
    """What marks a response as a bot-wall challenge (for the log and source health), or None."""
    mitigated = {k.lower(): v for k, v in headers.items()}.get("cf-mitigated", "")
    if mitigated.strip().lower() == "challenge":
        return "cf-mitigated: challenge"
    head = body[:SNIFF_BYTES].lower()
    for marker in CHALLENGE_MARKERS:
        if marker in head:
            return marker.decode()
    return None


def failure_kind(
    status: int | None,
    headers: httpx.Headers | dict[str, str] | None = None,
    body: bytes = b"",
    *,
    retry_after: float | None = None,
) -> FailureKind:
    """The kind of an HTTP answer that is not usable."""
    headers = headers if headers is not None else {}
    if status is None:
        return "rate_limited" if retry_after is not None else "protocol"
    if status in (401, 403, 429, 503) and challenge_marker(headers, body):
        return "bot_wall"
    if challenge_marker(headers):  # the header alone is unambiguous, whatever the status
        return "bot_wall"
    if status == 429:
        return "rate_limited"
    if 400 <= status < 500:
        return "http_4xx"
    if status >= 500:
        return "http_5xx"
    return "protocol"


class FetchError(Exception):
    """A fetch that gave no usable answer; `reason` is short enough for one log line.

    `kind` says what went wrong in one machine-readable word (FailureKind), `status` and
    `headers` (a few kept ones: KEPT_HEADERS) what the server answered, `retry_after` how long
    it asked us to wait, `robots_txt` whether it happened fetching robots.txt."""

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        kind: FailureKind | None = None,
        headers: httpx.Headers | dict[str, str] | None = None,
        robots_txt: bool = False,
    ) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        self.kind: FailureKind = kind or failure_kind(status, headers, retry_after=retry_after)
        self.headers: dict[str, str] = {
            k.lower(): v for k, v in (headers or {}).items() if k.lower() in KEPT_HEADERS
        }
        self.robots_txt = robots_txt

    def to_dict(self) -> dict[str, Any]:
        """Plain data for logs, source history and the operator's views."""
        return {
            "kind": self.kind,
            "status": self.status,
            "reason": self.reason,
            "url": self.url,
            "retry_after": self.retry_after,
            "headers": dict(self.headers),
            "robots_txt": self.robots_txt,
        }


class RobotsDisallowed(FetchError):
    """robots.txt forbids this URL for our user agent; never fetched, never retried."""

    def __init__(self, url: str) -> None:
        super().__init__(url, "disallowed by robots.txt", kind="robots")


class AddressRefused(FetchError):
    """The URL (or a redirect hop) points at a non-public address the operator did not allow."""

    def __init__(self, url: str, reason: str, *, hop: str | None = None) -> None:
        super().__init__(url, reason, kind="blocked")
        self.hop = hop or url  # the URL whose address was refused


@dataclass(slots=True)
class FetchResponse:
    url: str  # after redirects
    status: int
    request_url: str = ""
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    content: bytes = b""
    truncated: bool = False  # the body was cut at the cap (only robots.txt asks for that)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def gone(self) -> bool:
        return self.status in ANSWERS

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        ctype = self.headers.get("content-type", "")
        for part in ctype.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip("\"' ").lower()
        return None

    @property
    def text(self) -> str:
        """The body as text: charset from BOM / valid UTF-8 / HTTP / <meta> / detection, mojibake repaired."""
        from syndicate.normalize.encoding import decode_html

        return decode_html(self.content, self.charset)


@dataclass(slots=True)
class FetchOptions:
    user_agent: str
    timeout: float = 20.0  # read timeout between bytes
    connect_timeout: float = 10.0
    total_timeout: float = (
        60.0  # one request start to last byte, so a dripping host cannot stall a pass
    )
    max_body_bytes: int = 10_000_000
    max_redirects: int = 5
    retries: int = 2  # quick retries inside one pass for 429/5xx with a short Retry-After
    max_retry_wait: float = 10.0
    concurrency: int = 8  # requests in flight over all hosts
    per_host_concurrency: int = 2
    per_host_delay: float = (
        1.0  # seconds between request starts on one host (Crawl-delay wins if longer)
    )
    respect_robots: bool = True
    robots_ttl: float = 24 * 3600.0  # RFC 9309 §2.4: a cached robots.txt may be used for 24 hours
    # An unreachable robots.txt (5xx, 429, network) disallows the host for this long, then it is
    # fetched again: a site that was down for a moment is not shut out for the robots_ttl.
    robots_retry: float = 60.0
    # SSRF guard: non-public addresses are refused unless in these CIDRs or on a trusted host:port
    # (the operator's configured sources; see syndicate.netguard).
    allow_private_networks: tuple[str, ...] = ()
    trusted_urls: tuple[str, ...] = ()


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


# getaddrinfo's words for "no such name" (glibc, musl, macOS), when a transport resolved it.
_DNS_FAILURE = re.compile(
    r"Name or service not known|nodename nor servname|Temporary failure in name resolution|"
    r"No address associated with hostname|Name does not resolve|getaddrinfo failed"
)


def robots_text(content: bytes, truncated: bool) -> str:
    """robots.txt bytes as text. A file cut at ROBOTS_MAX_BYTES loses its last, partial line:
    half a `Disallow: /private-area` would be a broader rule than the site wrote."""
    if truncated:
        content = content[: content.rfind(b"\n") + 1]
    return content.decode("utf-8", "replace")


def host_key(url: str) -> str:
    """scheme://host[:port]: the unit robots.txt and the per-host limits apply to."""
    p = urlsplit(url)
    return f"{p.scheme.lower()}://{(p.netloc or '').lower()}"


@dataclass
class RobotsEntry:
    """A host's robots.txt as text (kept so it can be persisted between processes)."""

    text: str
    fetched_at: float  # time.time()
    status: str = "ok"  # ok | missing (4xx: allow all) | unreachable (5xx / network: allow nothing)
    parser: Protego | None = None
    error: str = ""  # why robots.txt was unreachable, for the operator
    error_kind: FailureKind | None = None  # and what kind of failure that was
    host_refused: bool = False  # the host's own address is refused (not a robots.txt redirect)

    def rules(self) -> Protego:
        if self.parser is None:
            self.parser = Protego.parse(self.text)
        return self.parser

    def allows(self, url: str, agent: str) -> bool:
        if self.status == "missing":
            return True
        if self.status == "unreachable":
            return False
        return bool(self.rules().can_fetch(url, agent))

    def crawl_delay(self, agent: str) -> float | None:
        if self.status != "ok":
            return None
        delay = self.rules().crawl_delay(agent)
        return float(delay) if delay else None

    def sitemaps(self) -> list[str]:
        return list(self.rules().sitemaps) if self.status == "ok" else []

    def to_dict(self) -> dict:
        return {"text": self.text, "fetched_at": self.fetched_at, "status": self.status}

    @classmethod
    def from_dict(cls, data: dict) -> RobotsEntry | None:
        try:
            return cls(str(data["text"]), float(data["fetched_at"]), str(data.get("status", "ok")))
        except (KeyError, TypeError, ValueError):
            return None


@dataclass
class _Host:
    slots: asyncio.Semaphore
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0  # monotonic time the next request may start
    blocked_until: float = 0.0  # from a 429/503 Retry-After
    robots: RobotsEntry | None = None
    robots_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class FetchStats:
    """What a fetcher did, for tests, the CLI and logs."""

    requests: int = 0
    conditional: int = 0
    not_modified: int = 0
    bytes: int = 0
    robots_fetches: int = 0
    disallowed: int = 0
    retries: int = 0
    # (url, status, conditional) of the latest STATS_LOG requests
    log: deque[tuple[str, int, bool]] = field(default_factory=lambda: deque(maxlen=STATS_LOG))


async def _read_into(body: bytearray, resp: httpx.Response, cap: int) -> str | None:
    """Read the response into `body` until it passes `cap`. None when it did not; else what to
    add to the "over the cap" reason: " once decoded" when the client's own ceiling stopped a
    compressed body (a "zip bomb") before this count saw it."""
    try:
        async for chunk in resp.aiter_bytes():
            body.extend(chunk)
            if len(body) > cap:
                return ""
    except BodyTooLarge as exc:
        return " once decoded" if exc.decoded else ""
    return None


class Fetcher:
    def __init__(
        self,
        options: FetchOptions,
        validators: ValidatorStore | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_response: Callable[[str, int, bool], None] | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self.options = options
        self.validators = validators
        self.stats = FetchStats()
        self.on_response = on_response
        self.guard = NetGuard(
            options.allow_private_networks, options.trusted_urls, resolver=resolver
        )
        # Redirects are followed in _stream so every hop passes the address guard; the
        # connection itself goes to the address the guard checked (no DNS rebinding).
        self.client = build_client(
            ClientSpec(
                options.user_agent,
                options.timeout,
                options.connect_timeout,
                max_connections=options.concurrency,
                headers={"Accept-Encoding": "gzip, deflate, br"},
                # The tighter cap of each read is checked below; robots.txt may be the larger.
                max_body_bytes=max(options.max_body_bytes, ROBOTS_MAX_BYTES),
            ),
            guard=self.guard,
            transport=transport,
        )
        self._global = asyncio.Semaphore(options.concurrency)
        self._hosts: dict[str, _Host] = {}
        self._failures: OrderedDict[str, FetchError] = OrderedDict()
        # The token robots.txt groups are matched against: the product name of our User-Agent.
        self.robots_agent = options.user_agent.split("/")[0].split()[0] or "*"

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    def _host(self, url: str) -> _Host:
        key = host_key(url)
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host(asyncio.Semaphore(self.options.per_host_concurrency))
        return host

    def blocked_for(self, url: str) -> float:
        """Seconds a 429/503 Retry-After still asks us to leave this host alone."""
        return max(0.0, self._host(url).blocked_until - time.monotonic())

    # ---------------------------------------------------------------- robots.txt

    def robots_entry(self, url: str) -> RobotsEntry | None:
        return self._host(url).robots

    def seed_robots(self, url: str, data: dict | None) -> None:
        """Reuse a robots.txt saved by an earlier process (still within its TTL)."""
        entry = RobotsEntry.from_dict(data) if data else None
        host = self._host(url)
        if entry and entry.status != "unreachable" and host.robots is None and self._fresh(entry):
            host.robots = entry

    def _fresh(self, entry: RobotsEntry) -> bool:
        ttl = (
            self.options.robots_ttl if entry.status != "unreachable" else self.options.robots_retry
        )
        return time.time() - entry.fetched_at < ttl

    async def robots(self, url: str) -> RobotsEntry:
        host = self._host(url)
        async with host.robots_lock:
            if host.robots is None or not self._fresh(host.robots):
                host.robots = await self._fetch_robots(url)
            return host.robots

    async def _fetch_robots(self, url: str) -> RobotsEntry:
        robots_url = host_key(url) + "/robots.txt"
        self.stats.robots_fetches += 1
        now = time.time()
        try:
            resp = await self._request(
                robots_url, headers={}, conditional=False, cap=ROBOTS_MAX_BYTES, truncate=True
            )
        except FetchError as exc:
            # RFC 9309 §2.3.1.4: unreachable (5xx, network) means complete disallow, for now.
            # INFO: the pass that needed it fails and logs its own one-line warning with this cause.
            log.info("robots.txt of %s unreachable (%s): not crawling it now", url, exc.reason)
            refused = isinstance(exc, AddressRefused) and exc.hop == robots_url
            return RobotsEntry(
                "", now, "unreachable", error=exc.reason, error_kind=exc.kind, host_refused=refused
            )
        if resp.status == 429:
            # "Too many requests" is the server being busy, not a missing file (as Google reads it).
            return RobotsEntry("", now, "unreachable", error="HTTP 429", error_kind="rate_limited")
        if 400 <= resp.status < 500:
            return RobotsEntry("", now, "missing")  # §2.3.1.3: unavailable means allow all
        if resp.status >= 500:
            kind = failure_kind(resp.status, resp.headers, resp.content)
            return RobotsEntry("", now, "unreachable", error=f"HTTP {resp.status}", error_kind=kind)
        return RobotsEntry(robots_text(resp.content, resp.truncated), now, "ok")

    async def allowed(self, url: str) -> bool:
        if not self.options.respect_robots:
            return True
        return (await self.robots(url)).allows(url, self.robots_agent)

    # ---------------------------------------------------------------- requests

    async def get(
        self,
        url: str,
        *,
        conditional: bool = True,
        accept: str | None = None,
        robots: bool = True,
        run: StoreRun | None = None,
    ) -> FetchResponse:
        """GET a URL politely. 2xx, 304, 404 and 410 are answers; anything else raises FetchError.

        A conditional GET reads the URL's saved validators (a database query) through `run`
        (a pass passes its writer thread: IngestContext.get), else on a worker thread.
        Raises RobotsDisallowed (a FetchError) for a URL robots.txt forbids.
        """
        try:
            resp = await self._get(
                url, conditional=conditional, accept=accept, robots=robots, run=run
            )
        except FetchError as exc:
            self._failures[url] = exc
            self._failures.move_to_end(url)
            while len(self._failures) > FAILURES_KEPT:
                self._failures.popitem(last=False)
            raise
        self._failures.pop(url, None)
        return resp

    def failure_of(self, url: str) -> FetchError | None:
        """The FetchError the latest get() of `url` raised, if it failed (kept for the last
        FAILURES_KEPT URLs): lets a caller that swallowed it (discovery) say why afterwards."""
        return self._failures.get(url)

    async def _get(
        self, url: str, *, conditional: bool, accept: str | None, robots: bool, run: StoreRun | None
    ) -> FetchResponse:
        if robots and not await self.allowed(url):
            entry = self._host(url).robots
            if entry is not None and entry.host_refused:
                raise AddressRefused(url, entry.error)  # the host itself, not its robots.txt
            if entry is not None and entry.status == "unreachable":
                # Say why: "disallowed" would send the operator hunting for a rule that is not there.
                raise FetchError(
                    url,
                    f"site unreachable: robots.txt could not be fetched ({entry.error})",
                    kind=entry.error_kind or "connect",
                    robots_txt=True,
                )
            self.stats.disallowed += 1
            raise RobotsDisallowed(url)
        # Read once: retries within this call ask with the same validators.
        headers = await self._validator_headers(url, run) if conditional else {}
        sent_validators = bool(headers)
        if accept:
            headers["Accept"] = accept
        attempt = 0
        while True:
            try:
                return await self._get_once(url, headers, sent_validators)
            except FetchError as exc:
                # A bot wall answers the same challenge however often we ask.
                retryable = exc.status in RETRYABLE and exc.kind != "bot_wall"
                if retryable and attempt < self.options.retries:
                    wait = (
                        exc.retry_after
                        if exc.retry_after is not None
                        else backoff.FETCH_RETRY.seconds(attempt)
                    )
                    if wait <= self.options.max_retry_wait:
                        attempt += 1
                        self.stats.retries += 1
                        log.info("retrying %s in %.1fs after %s", url, wait, exc.reason)
                        await asyncio.sleep(wait)
                        continue
                raise

    async def _validator_headers(self, url: str, run: StoreRun | None) -> dict[str, str]:
        """If-None-Match / If-Modified-Since from the validators saved for `url`. The read is a
        store call: never on the event loop (nothing slow there), on `run` when given."""
        if self.validators is None:
            return {}
        etag, last_modified = await (run or asyncio.to_thread)(self.validators.http_validators, url)
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return headers

    async def _get_once(
        self, url: str, headers: dict[str, str], sent_validators: bool
    ) -> FetchResponse:
        resp = await self._request(url, headers=headers, conditional=sent_validators)
        if resp.status in RETRYABLE or (resp.status >= 400 and resp.status not in ANSWERS):
            kind = failure_kind(resp.status, resp.headers, resp.content)
            marker = challenge_marker(resp.headers, resp.content) if kind == "bot_wall" else None
            raise FetchError(
                url,
                f"HTTP {resp.status}" + (f" (bot-wall challenge: {marker})" if marker else ""),
                status=resp.status,
                retry_after=parse_retry_after(resp.headers.get("retry-after")),
                kind=kind,
                headers=resp.headers,
            )
        return resp

    async def _wait_turn(self, host: _Host, url: str) -> None:
        """Space request starts on one host by max(per_host_delay, Crawl-delay); honour Retry-After."""
        delay = self.options.per_host_delay
        if self.options.respect_robots and host.robots is not None:
            delay = max(delay, host.robots.crawl_delay(self.robots_agent) or 0.0)
        async with host.lock:
            now = time.monotonic()
            blocked = host.blocked_until - now
            if blocked > self.options.max_retry_wait:
                # The host asked for a long pause: fail now, the source's backoff waits it out.
                raise FetchError(
                    url,
                    f"host asked to wait {blocked:.0f}s (Retry-After)",
                    retry_after=blocked,
                    kind="rate_limited",
                )
            start = max(now, host.next_start, host.blocked_until)
            host.next_start = start + delay
        if start > now:
            await asyncio.sleep(start - now)

    async def _request(
        self,
        url: str,
        *,
        headers: dict[str, str],
        conditional: bool,
        cap: int | None = None,
        truncate: bool = False,
    ) -> FetchResponse:
        host = self._host(url)
        async with host.slots, self._global:
            await self._wait_turn(host, url)
            try:
                async with asyncio.timeout(self.options.total_timeout):
                    result = await self._stream(url, headers, cap, truncate)
            except TimeoutError:
                raise FetchError(
                    url,
                    f"timed out after {self.options.total_timeout:.0f}s in total",
                    kind="timeout",
                ) from None
        if result.status in (429, 503):
            wait = parse_retry_after(result.headers.get("retry-after"))
            if wait:
                # The whole host asked for a pause, not just this URL.
                host.blocked_until = max(host.blocked_until, time.monotonic() + min(wait, 3600))
        self.stats.requests += 1
        self.stats.conditional += int(conditional)
        self.stats.not_modified += int(result.status == 304)
        self.stats.bytes += len(result.content)
        self.stats.log.append((url, result.status, conditional))
        if self.on_response:
            self.on_response(url, result.status, conditional)
        return result

    async def _stream(
        self, url: str, headers: dict[str, str], cap: int | None = None, truncate: bool = False
    ) -> FetchResponse:
        """GET with redirects followed by hand: each hop is checked by the address guard."""
        hop = url
        for _ in range(self.options.max_redirects + 1):
            await self._check_address(url, hop)
            answer = await self._stream_once(url, hop, headers, cap, truncate)
            if isinstance(answer, FetchResponse):
                return answer
            hop = answer
        raise FetchError(url, f"more than {self.options.max_redirects} redirects", kind="protocol")

    async def _check_address(self, url: str, hop: str) -> None:
        try:
            await self.guard.check(hop)
        except BlockedAddress as exc:
            where = "" if hop == url else f" (redirected to {hop})"
            raise AddressRefused(url, f"{exc}{where}", hop=hop) from None
        except UnresolvableHost as exc:
            raise FetchError(url, str(exc), kind="dns") from None

    async def _stream_once(
        self,
        url: str,
        hop: str,
        headers: dict[str, str],
        cap: int | None = None,
        truncate: bool = False,
    ) -> FetchResponse | str:
        """One request: the response, or for a redirect the URL it points to.

        A body over `cap` (default max_body_bytes) fails the fetch, or with `truncate` is cut
        there (robots.txt). Of an error answer only the first SNIFF_BYTES are read, to tell a
        bot-wall challenge from a plain error."""
        cap = self.options.max_body_bytes if cap is None else cap
        try:
            async with self.client.stream("GET", hop, headers=headers) as resp:
                location = resp.headers.get("location")
                if resp.status_code in REDIRECTS and location:
                    target = urljoin(str(resp.url), location.strip())
                    if urlsplit(target).scheme not in ("http", "https"):
                        raise FetchError(
                            url,
                            f"redirect to a non-http(s) URL: {target[:200]}",
                            kind="protocol",
                        )
                    return target.split("#", 1)[0]
                body = bytearray()
                cut = False
                if resp.status_code < 300 or resp.status_code in ANSWERS:
                    declared = resp.headers.get("content-length")
                    if not truncate and declared and declared.isdigit() and int(declared) > cap:
                        raise FetchError(
                            url,
                            f"body of {declared} bytes is over the {cap}-byte cap",
                            kind="too_large",
                            status=resp.status_code,
                        )
                    over = await _read_into(body, resp, cap)
                    if over is not None and truncate:
                        del body[cap:]
                        cut = True
                    elif over is not None:
                        raise FetchError(
                            url,
                            f"body over the {cap}-byte cap{over}",
                            kind="too_large",
                            status=resp.status_code,
                        )
                elif resp.status_code >= 400:
                    async for chunk in resp.aiter_bytes():
                        body.extend(chunk)
                        if len(body) >= SNIFF_BYTES:
                            break
                return FetchResponse(
                    str(resp.url), resp.status_code, url, resp.headers, bytes(body), cut
                )
        except RefusedConnect as exc:
            # The address check at connect time: a name that now resolves elsewhere.
            where = "" if hop == url else f" (redirected to {hop})"
            raise AddressRefused(url, f"{exc}{where}", hop=hop) from None
        except ResolveFailed as exc:
            raise FetchError(url, str(exc), kind="dns") from None
        except httpx.TimeoutException as exc:
            raise FetchError(url, f"timed out ({type(exc).__name__})", kind="timeout") from None
        except httpx.DecodingError as exc:
            raise FetchError(url, f"bad content encoding: {exc}", kind="protocol") from None
        except httpx.HTTPError as exc:
            kind: FailureKind = "connect" if isinstance(exc, httpx.NetworkError) else "protocol"
            if _DNS_FAILURE.search(str(exc)):
                kind = "dns"
            raise FetchError(url, f"{type(exc).__name__}: {exc}".rstrip(": "), kind=kind) from None

    def remember(self, resp: FetchResponse) -> None:
        """Store a response's validators once the caller has safely processed its body.

        Saving them earlier would let a crash mid-pass turn the next pass into a 304 that
        skips articles never stored.
        """
        if self.validators is not None and resp.status == 200:
            self.validators.save_http_validators(
                resp.request_url or resp.url,
                resp.headers.get("etag"),
                resp.headers.get("last-modified"),
            )
