"""Ingest never reads (and republishes) private-network addresses a source's content points at."""

from __future__ import annotations

import asyncio
import http.server
import ipaddress
import threading
from collections.abc import Iterator

import pytest
from ingest_util import run_pass, store  # noqa: F401

from syndicate.config import settings_from_dict
from syndicate.ingest.fetcher import AddressRefused, Fetcher, FetchOptions
from syndicate.netguard import NetGuard, classify

SECRET = (
    b"<html><head><title>Internal admin</title></head><body><article><h1>Internal admin panel</h1>"
    + b"<p>DATABASE_PASSWORD=hunter2-very-secret. A paragraph long enough to look like article "
    + b"text to the extractor, with several sentences of internal-only information.</p>" * 3
    + b"</article></body></html>"
)


def _feed(base: str, link: str) -> bytes:
    return f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Evil</title>
<link>{base}/</link><description>x</description>
<item><title>Berita</title><link>{link}</link><guid>g1</guid>
<pubDate>Mon, 05 Jan 2026 03:42:18 GMT</pubDate><description>short</description></item>
</channel></rss>""".encode()


class _Sites:
    """Two loopback servers: `public` is the configured source, `internal` must stay unread."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.servers = [self._serve(), self._serve()]
        self.public, self.internal = (
            f"http://127.0.0.1:{s.server_address[1]}" for s in self.servers
        )
        self.feed_link = f"{self.internal}/internal/admin"

    def _serve(self) -> http.server.ThreadingHTTPServer:
        sites = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                port = self.server.server_address[1]
                sites.hits.append(f"{port}{self.path}")
                if self.path == "/robots.txt":
                    self.send_response(404)
                    self.end_headers()
                    return
                if self.path == "/go":  # an open redirect on the public site
                    self.send_response(302)
                    self.send_header("Location", sites.feed_link)
                    self.end_headers()
                    return
                if self.path == "/feed.xml":
                    body, ctype = _feed(sites.public, sites.feed_link), "application/rss+xml"
                else:
                    body, ctype = SECRET, "text/html; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        return srv

    def internal_hits(self) -> list[str]:
        port = self.internal.rsplit(":", 1)[1]
        return [h for h in self.hits if h.startswith(port + "/")]

    def close(self) -> None:
        for s in self.servers:
            s.shutdown()
            s.server_close()


@pytest.fixture
def sites() -> Iterator[_Sites]:
    s = _Sites()
    yield s
    s.close()


def _settings(store, sites: _Sites, **fetch: object):  # type: ignore[no-untyped-def]  # noqa: F811
    return settings_from_dict(
        {
            "storage": {"url": store.url},
            "fetch": {"per_host_delay": 0.001, **fetch},
            "sources": [
                {
                    "id": "evil",
                    "name": "Evil",
                    "url": sites.public + "/",
                    "kind": "feed",
                    "feed_url": sites.public + "/feed.xml",
                }
            ],
        }
    )


def test_a_feed_item_linking_into_loopback_is_refused(sites, store) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """/tmp/rev4: the item's page was read and its secrets published in the feed."""
    [result], _ = run_pass(_settings(store, sites), store)
    assert not result.failed, result.error
    assert result.new == 0
    assert sites.internal_hits() == []  # not even a request
    stored = store.latest_articles(["evil"], limit=10)
    assert not any("hunter2" in a.content_text for a in stored)
    state = store.source_state("evil")
    assert "refused: 127.0.0.1 is a loopback address and not a configured source host" in (
        state.last_error or ""
    )
    # Refused is final: the feed's validators are saved, the next pass is a quiet 304.
    [again], _ = run_pass(_settings(store, sites), store)
    assert again.summary() == "unchanged"


def test_a_redirect_into_loopback_is_refused_on_its_hop(sites) -> None:  # type: ignore[no-untyped-def]
    async def go() -> None:
        opts = FetchOptions(user_agent="t/1", per_host_delay=0, trusted_urls=(sites.public,))
        async with Fetcher(opts) as f:
            ok = await f.get(sites.public + "/feed.xml")  # the configured host itself is fine
            assert ok.status == 200
            with pytest.raises(AddressRefused) as err:
                await f.get(sites.public + "/go")
            assert "redirected to " + sites.feed_link in err.value.reason
            assert "loopback" in err.value.reason

    asyncio.run(go())
    assert sites.internal_hits() == []


def test_allow_private_networks_lets_an_operator_open_a_network(sites, store) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    settings = _settings(store, sites, allow_private_networks=["127.0.0.0/8"])
    [result], _ = run_pass(settings, store)
    assert result.new == 1 and sites.internal_hits()


def test_address_classes() -> None:
    refused = {
        "127.0.0.1": "loopback",
        "::1": "loopback",
        "::ffff:127.0.0.1": "loopback",
        "10.1.2.3": "private",
        "172.16.0.1": "private",
        "192.168.1.1": "private",
        "fd00::1": "private",
        "::ffff:192.168.1.1": "private",
        "169.254.169.254": "link-local",
        "fe80::1": "link-local",
        "100.64.0.1": "carrier-grade NAT",
        "224.0.0.1": "multicast",
        "ff02::1": "multicast",
        "240.0.0.1": "reserved",
        "0.0.0.0": "unspecified",
        "::": "unspecified",
    }
    for addr, kind in refused.items():
        why = classify(ipaddress.ip_address(addr))
        assert why is not None and kind in why, (addr, why)
    for addr in ("93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"):
        assert classify(ipaddress.ip_address(addr)) is None, addr
    guard = NetGuard(["10.0.0.0/8"], trusted=["http://127.0.0.1:8080/"])
    assert guard.refusal(ipaddress.ip_address("10.9.9.9")) is None
    assert guard.refusal(ipaddress.ip_address("::ffff:10.9.9.9")) is None
    assert guard.trusted("http://127.0.0.1:8080/x") and not guard.trusted("http://127.0.0.1:8081/")
