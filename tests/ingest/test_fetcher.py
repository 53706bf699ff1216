"""The fetcher against real loopback servers: robots.txt per RFC 9309 (a file over the body cap,
4xx, 5xx retried later) and failures classified for source health (kind, status, headers)."""

from __future__ import annotations

import asyncio
import gzip
import http.server
import socket
import threading
import tracemalloc
from collections.abc import Callable, Iterator

import brotli
import pytest
from ingest_util import run_pass, store  # noqa: F401

from syndicate.config import settings_from_dict
from syndicate.ingest.fetcher import (
    FAILURE_KINDS,
    ROBOTS_MAX_BYTES,
    AddressRefused,
    Fetcher,
    FetchError,
    FetchOptions,
    RobotsDisallowed,
)

LOOPBACK = ("127.0.0.0/8",)
Body = bytes | Callable[[], Iterator[bytes]]


class Routes:
    """A loopback server answering path -> (status, headers, body); a callable body is
    streamed (without Content-Length unless the headers give one). Records every path asked."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], Body]] = {}
        self.hits: list[str] = []
        self.release = threading.Event()
        routes = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                routes.hits.append(self.path)
                status, headers, body = routes.routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if isinstance(body, bytes):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    for chunk in [body] if isinstance(body, bytes) else body():
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: what a capped robots.txt read does

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def route(self, path: str, status: int = 200, body: Body = b"ok", **headers: str) -> None:
        self.routes[path] = (status, {k.replace("_", "-"): v for k, v in headers.items()}, body)

    def page_hits(self) -> list[str]:
        return [h for h in self.hits if h != "/robots.txt"]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[Routes]:
    routes = Routes()
    routes.route("/public", body=b"<html><body>public news</body></html>")
    routes.route("/private/page", body=b"<html><body>private</body></html>")
    yield routes
    routes.close()


def _options(**kw: object) -> FetchOptions:
    base: dict[str, object] = {
        "user_agent": "syndicate/1.0",
        "per_host_delay": 0,
        "retries": 0,
        "allow_private_networks": LOOPBACK,
    }
    return FetchOptions(**{**base, **kw})  # type: ignore[arg-type]


def _fetch(opts: FetchOptions, *urls: str) -> list[object]:
    """GET each URL in order with one fetcher; each result is the response or the FetchError."""

    async def go() -> list[object]:
        out: list[object] = []
        async with Fetcher(opts) as f:
            for url in urls:
                try:
                    out.append(await f.get(url))
                except FetchError as exc:
                    out.append(exc)
        return out

    return asyncio.run(go())


# ---- robots.txt (RFC 9309) ------------------------------------------------------------------

RULES = b"User-agent: *\nDisallow: /private\n"


def _huge_robots(total: int) -> Callable[[], Iterator[bytes]]:
    def stream() -> Iterator[bytes]:
        yield RULES
        line = b"# " + b"x" * 1021 + b"\n"
        for _ in range((total - len(RULES)) // len(line)):
            yield line

    return stream


def test_a_50_mb_robots_txt_is_parsed_from_its_first_500_kib(site: Routes) -> None:
    """Before: a robots.txt over the body cap made the whole site "unreachable"; nothing was
    fetched. Now its first 500 KiB are used: allowed pages are fetched, disallowed ones not."""
    size = 50_000_000
    site.route("/robots.txt", body=_huge_robots(size), Content_Length=str(size))
    opts = _options(max_body_bytes=1_000_000)
    public, private = _fetch(opts, site.base + "/public", site.base + "/private/page")
    assert not isinstance(public, FetchError), public
    assert b"public news" in public.content  # type: ignore[attr-defined]
    assert isinstance(private, RobotsDisallowed) and private.kind == "robots"
    assert site.page_hits() == ["/public"]


def test_a_streamed_robots_txt_over_the_cap_keeps_rules_near_500_kib(site: Routes) -> None:
    """No Content-Length, larger than max_body_bytes: rules up to ROBOTS_MAX_BYTES still count,
    and the line the cut falls in is dropped (half of `Disallow: /private-archive` would be
    `Disallow: /`, which forbids everything)."""
    pad = b"User-agent: *\n" + b"# padding\n" * 40_000  # 400 KB of comments, then a rule
    late = pad + b"Disallow: /private\n"
    cut_line = b"Disallow: /private-archive\n"
    filler = b"#" * (ROBOTS_MAX_BYTES - len(late) - len(b"Disallow: /") - 1) + b"\n"
    body = late + filler + cut_line + b"# more\n" * 100_000
    assert body.index(cut_line) + len(b"Disallow: /") == ROBOTS_MAX_BYTES
    site.route(
        "/robots.txt", body=lambda: iter([body[i : i + 65536] for i in range(0, len(body), 65536)])
    )
    opts = _options(max_body_bytes=100_000)
    public, private = _fetch(opts, site.base + "/public", site.base + "/private/page")
    assert not isinstance(public, FetchError), public
    assert isinstance(private, RobotsDisallowed)
    assert site.page_hits() == ["/public"]


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_a_robots_txt_answering_4xx_allows_everything(site: Routes, status: int) -> None:
    site.route("/robots.txt", status, b"no")
    public, private = _fetch(_options(), site.base + "/public", site.base + "/private/page")
    assert not isinstance(public, FetchError) and not isinstance(private, FetchError)
    assert site.page_hits() == ["/public", "/private/page"]


@pytest.mark.parametrize("status", [500, 503, 429])
def test_an_unreachable_robots_txt_disallows_for_a_while_then_is_retried(
    site: Routes, status: int
) -> None:
    site.route("/robots.txt", status, b"busy")

    async def go() -> None:
        async with Fetcher(_options()) as f:
            for _ in range(2):  # within robots_retry: refused again without asking again
                with pytest.raises(FetchError) as err:
                    await f.get(site.base + "/public")
                assert err.value.robots_txt and err.value.kind in ("http_5xx", "rate_limited")
                assert "site unreachable: robots.txt could not be fetched" in err.value.reason
            assert site.hits == ["/robots.txt"]
            # The site comes back; once robots_retry has passed, robots.txt is fetched again.
            site.route("/robots.txt", body=RULES)
            entry = f.robots_entry(site.base + "/")
            assert entry is not None
            entry.fetched_at -= f.options.robots_retry + 1
            assert (await f.get(site.base + "/public")).ok
            with pytest.raises(RobotsDisallowed):
                await f.get(site.base + "/private/page")
        assert site.hits == ["/robots.txt", "/robots.txt", "/public"]

    asyncio.run(go())


def test_a_robots_txt_redirected_into_loopback_is_unreachable_not_the_host_refused(
    site: Routes,
) -> None:
    """The configured host is fine; its robots.txt points at a refused address. The internal
    host is never asked, and the site counts as unreachable (retried), not as refused for good."""
    internal = Routes()
    try:
        site.route("/robots.txt", 302, b"", Location=internal.base + "/robots.txt")
        opts = _options(allow_private_networks=(), trusted_urls=(site.base,))
        [page] = _fetch(opts, site.base + "/public")
        assert isinstance(page, FetchError) and not isinstance(page, AddressRefused)
        assert page.kind == "blocked" and page.robots_txt
        assert "redirected to" in page.reason and "loopback" in page.reason
        assert internal.hits == [] and site.page_hits() == []
    finally:
        internal.close()


# ---- failure classification ------------------------------------------------------------------


def test_http_failures_carry_their_kind_status_and_headers(site: Routes) -> None:
    challenge = b"<html><head><title>Just a moment...</title></head><body>...</body></html>"
    site.route("/robots.txt", 404)
    site.route("/walled", 403, challenge, cf_mitigated="challenge", server="cloudflare")
    site.route("/js-wall", 503, b'<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/x">')
    site.route("/slow-down", 429, b"", Retry_After="120")
    # A plain 403 on a Cloudflare-fronted site loads its bot-detection script: not a challenge.
    jsd = b'<script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js"></script>'
    site.route("/forbidden", 403, b"<h1>Forbidden</h1>" + jsd, server="cloudflare")
    site.route("/broken", 500, b"oops")
    site.route("/huge", 200, b"x" * 5000)
    results = _fetch(
        _options(max_body_bytes=1000),
        *(
            site.base + p
            for p in ("/walled", "/js-wall", "/forbidden", "/broken", "/huge", "/slow-down")
        ),
    )
    errors = [r for r in results if isinstance(r, FetchError)]
    assert len(errors) == 6, results
    walled, js_wall, forbidden, broken, huge, slow = errors  # 429 last: it pauses the host
    assert (walled.kind, walled.status) == ("bot_wall", 403)
    assert (
        walled.headers["cf-mitigated"] == "challenge" and "cloudflare" in walled.headers["server"]
    )
    assert walled.reason.startswith("HTTP 403")  # the message operators already know
    assert (js_wall.kind, js_wall.status) == ("bot_wall", 503)
    assert (slow.kind, slow.status, slow.retry_after) == ("rate_limited", 429, 120.0)
    assert slow.headers["retry-after"] == "120"
    assert (forbidden.kind, forbidden.status, forbidden.reason) == ("http_4xx", 403, "HTTP 403")
    assert (broken.kind, broken.status) == ("http_5xx", 500)
    assert huge.kind == "too_large" and "over the 1000-byte cap" in huge.reason
    for err in errors:
        assert err.kind in FAILURE_KINDS
        assert err.to_dict()["kind"] == err.kind


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_a_compression_bomb_is_too_large_without_ever_holding_it(
    site: Routes, encoding: str
) -> None:
    """256 MB of zeros sent as ~400 bytes of brotli or ~250 KB of gzip: httpx alone decodes a
    whole network chunk at once (all 256 MB of the brotli, ~64 MB per gzip chunk) before our
    byte count sees it. Decoded a step at a time, the fetch stops at the cap and the process
    never holds more than about the cap."""
    zeros = b"\0" * (256 * 2**20)
    bomb = brotli.compress(zeros, quality=5) if encoding == "br" else gzip.compress(zeros, 1)
    del zeros
    site.route("/robots.txt", 404)
    site.route("/feed", 200, bomb, Content_Encoding=encoding, Content_Type="application/xml")
    tracemalloc.start()
    try:
        [result] = _fetch(_options(max_body_bytes=2_000_000), site.base + "/feed")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20, f"peak {peak / 2**20:.0f} MB"
    assert isinstance(result, FetchError)
    assert result.kind == "too_large" and "once decoded" in result.reason


def test_network_failures_carry_their_kind(site: Routes) -> None:
    site.route("/robots.txt", 404)

    def stall() -> Iterator[bytes]:
        site.release.wait(10)
        yield b""

    site.route("/stall", 200, stall)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/"
    timeout, refused = _fetch(_options(timeout=0.2), site.base + "/stall", closed)
    assert isinstance(timeout, FetchError) and timeout.kind == "timeout"
    assert isinstance(refused, FetchError) and refused.kind == "connect"

    async def nxdomain(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def go() -> None:
        trusted = "http://news.invalid/"  # a configured source: resolved only at connect time
        opts = _options(respect_robots=False, trusted_urls=(trusted,))
        async with Fetcher(opts, resolver=nxdomain) as f:
            for url in (trusted + "a", "http://other.invalid/b"):
                with pytest.raises(FetchError) as err:
                    await f.get(url)
                assert err.value.kind == "dns", err.value
                assert "Name or service not known" in err.value.reason
        async with Fetcher(_options(allow_private_networks=())) as f:
            with pytest.raises(AddressRefused) as refused_err:
                await f.get(site.base + "/public")
            assert refused_err.value.kind == "blocked"

    asyncio.run(go())


def test_a_corpus_bot_wall_is_classified(corpus_server, store) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """bolmongraya's listings answer a managed challenge (403, cf-mitigated, a "Just a
    moment..." page): the fetcher calls that a bot wall, not a plain 403, and the pass result
    says so for source health."""
    server = corpus_server("bolmongraya")
    [home] = _fetch(_options(), server.base + "/")
    assert isinstance(home, FetchError)
    assert (home.kind, home.status) == ("bot_wall", 403)
    assert home.headers.get("cf-mitigated") == "challenge"
    settings = settings_from_dict(
        {
            "storage": {"url": store.url},
            "fetch": {"per_host_delay": 0.005},
            "sources": [{"id": "walled", "url": server.base + "/", "kind": "html"}],
        }
    )
    [result], _ = run_pass(settings, store)
    assert result.failed and "HTTP 403" in (result.error or "")
    assert result.failure is not None
    assert (result.failure["kind"], result.failure["status"]) == ("bot_wall", 403)


def test_a_passing_5xx_is_retried_on_the_fetch_retry_schedule(site: Routes) -> None:
    """No Retry-After: the quick in-pass retry waits backoff.FETCH_RETRY (the one schedule)."""
    site.route("/robots.txt", 404)
    answers = iter([502, 200])

    class Flaky(dict):  # type: ignore[type-arg]
        def get(self, path, default=None):  # type: ignore[no-untyped-def]
            if path == "/flaky":
                return (next(answers), {}, b"ok")
            return super().get(path, default)

    site.routes = Flaky(site.routes)

    async def go() -> None:
        async with Fetcher(_options(retries=1)) as f:
            resp = await f.get(site.base + "/flaky")
            assert resp.ok and f.stats.retries == 1

    asyncio.run(go())
    assert site.page_hits() == ["/flaky", "/flaky"]


def test_an_auto_source_behind_a_bot_wall_is_reported_as_one(store) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Discovery swallows each probe's error; the home page's kind still reaches source health,
    so a walled `auto` site reads "bot_wall" (blocked), not "no route"."""
    walled = Routes()
    challenge = (403, {"cf-mitigated": "challenge"}, b"<title>Just a moment...</title>")

    class EveryPath(dict):  # type: ignore[type-arg]
        def get(self, path, default=None):  # type: ignore[no-untyped-def]
            return challenge

    walled.routes = EveryPath()
    try:
        settings = settings_from_dict(
            {
                "storage": {"url": store.url},
                "fetch": {"per_host_delay": 0.001},
                "sources": [{"id": "walled", "url": walled.base + "/"}],
            }
        )
        [result], _ = run_pass(settings, store)
        assert result.failed and "no working route" in (result.error or "")
        latest = store.latest_health()["walled"]
        assert (latest.kind, latest.state) == ("bot_wall", "blocked")
    finally:
        walled.close()


class Validators:
    """A ValidatorStore that records the thread of each read (the store's is a database query)."""

    def __init__(self) -> None:
        self.reads: list[int] = []

    def http_validators(self, url: str) -> tuple[str | None, str | None]:
        self.reads.append(threading.get_ident())
        return '"v1"', None

    def save_http_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        pass


def test_the_validator_read_never_runs_on_the_event_loop(site: Routes) -> None:
    """A conditional GET's read goes through the caller's `run` (a pass's writer thread) or a
    worker thread, once per get() however often a 5xx is retried."""
    site.route("/robots.txt", 404)
    site.route("/busy", 503, Retry_After="0")
    validators = Validators()
    ran: list[str] = []

    async def run(fn, /, *args, **kw):  # type: ignore[no-untyped-def]
        ran.append(fn.__name__)
        return await asyncio.to_thread(fn, *args, **kw)

    async def go() -> int:
        async with Fetcher(_options(retries=1), validators) as f:
            assert (await f.get(site.base + "/public")).ok
            with pytest.raises(FetchError):
                await f.get(site.base + "/busy", run=run)
            assert f.stats.conditional == 3  # the validators were sent, on the retry too
        return threading.get_ident()

    loop_thread = asyncio.run(go())
    assert len(validators.reads) == 2 and loop_thread not in validators.reads
    assert ran == ["http_validators"]
    assert site.page_hits() == ["/public", "/busy", "/busy"]
