"""The one HTTP client every route shares: timeouts, size cap, redirects, conditional GET.

Politeness (robots.txt, per-host limits, Retry-After) lives here too, so no route can forget it.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import httpx

log = logging.getLogger("syndicate.fetch")


class ValidatorStore(Protocol):
    def http_validators(self, url: str) -> tuple[str | None, str | None]: ...
    def save_http_validators(
        self, url: str, etag: str | None, last_modified: str | None
    ) -> None: ...


class FetchError(Exception):
    """A fetch that gave no usable answer; `reason` is short enough for one log line."""

    def __init__(
        self, url: str, reason: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


@dataclass(slots=True)
class FetchResponse:
    url: str  # after redirects
    status: int
    request_url: str = ""
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    content: bytes = b""

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def gone(self) -> bool:
        return self.status in (404, 410)

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
        from syndicate.normalize.encoding import decode_html

        return decode_html(self.content, self.charset)


@dataclass(slots=True)
class FetchOptions:
    user_agent: str
    timeout: float = 20.0
    connect_timeout: float = 10.0
    max_body_bytes: int = 10_000_000
    max_redirects: int = 5
    retries: int = 2  # quick retries inside one pass for 429/503 with a short Retry-After
    max_retry_wait: float = 10.0


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class Fetcher:
    def __init__(
        self,
        options: FetchOptions,
        validators: ValidatorStore | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.options = options
        self.validators = validators
        self.client = httpx.AsyncClient(
            headers={"User-Agent": options.user_agent, "Accept-Encoding": "gzip, deflate, br"},
            timeout=httpx.Timeout(options.timeout, connect=options.connect_timeout),
            follow_redirects=True,
            max_redirects=options.max_redirects,
            transport=transport,
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def get(
        self, url: str, *, conditional: bool = True, accept: str | None = None
    ) -> FetchResponse:
        """GET a URL. 2xx, 304, 404 and 410 are answers; anything else raises FetchError."""
        attempt = 0
        while True:
            try:
                return await self._get_once(url, conditional=conditional, accept=accept)
            except FetchError as exc:
                wait = exc.retry_after
                if exc.status in (429, 500, 502, 503, 504) and attempt < self.options.retries:
                    wait = min(
                        wait if wait is not None else 2.0**attempt, self.options.max_retry_wait
                    )
                    attempt += 1
                    log.info("retrying %s in %.1fs after %s", url, wait, exc.reason)
                    await asyncio.sleep(wait)
                    continue
                raise

    async def _get_once(self, url: str, *, conditional: bool, accept: str | None) -> FetchResponse:
        headers: dict[str, str] = {}
        if accept:
            headers["Accept"] = accept
        if conditional and self.validators is not None:
            etag, last_modified = self.validators.http_validators(url)
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
        try:
            async with self.client.stream("GET", url, headers=headers) as resp:
                if resp.status_code in (429, 500, 502, 503, 504) or (
                    resp.status_code >= 400 and resp.status_code not in (404, 410)
                ):
                    raise FetchError(
                        url,
                        f"HTTP {resp.status_code}",
                        status=resp.status_code,
                        retry_after=parse_retry_after(resp.headers.get("retry-after")),
                    )
                body = bytearray()
                declared = resp.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.options.max_body_bytes:
                    raise FetchError(
                        url,
                        f"body of {declared} bytes is over the {self.options.max_body_bytes}-byte cap",
                    )
                async for chunk in resp.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > self.options.max_body_bytes:
                        raise FetchError(
                            url, f"body over the {self.options.max_body_bytes}-byte cap"
                        )
                result = FetchResponse(
                    str(resp.url), resp.status_code, url, resp.headers, bytes(body)
                )
        except httpx.TooManyRedirects:
            raise FetchError(url, f"more than {self.options.max_redirects} redirects") from None
        except httpx.TimeoutException as exc:
            raise FetchError(url, f"timed out ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise FetchError(url, f"{type(exc).__name__}: {exc}".rstrip(": ")) from None
        return result

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
