"""WebSub subscriber: a feed naming a hub is subscribed, verified pushes are ingested at once."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from conftest import free_port, service_config

from syndicate import websub_subscriber as ws
from syndicate.store import open_store


class Hub:
    """A loopback site whose Atom feed names a loopback hub (W3C WebSub flow, minimal)."""

    def __init__(self) -> None:
        self.items = 2
        self.requests: list[dict[str, str]] = []
        self.verified: list[bool] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                body, ctype = hub.feed(), "application/atom+xml"
                if self.path == "/robots.txt":
                    body, ctype = b"User-agent: *\nAllow: /\n", "text/plain"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802  (the hub's subscribe endpoint)
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                hub.requests.append(form)
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()
                threading.Thread(target=hub.verify, args=(form,), daemon=True).start()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def feed(self) -> bytes:
        entries = "".join(
            f"<entry><id>{self.url}/b/{n}</id><title>Kabar nomor {n}</title>"
            f'<link rel="alternate" href="{self.url}/b/{n}"/><author><name>ical</name></author>'
            f"<updated>2026-01-05T0{n}:00:00+08:00</updated>"
            f'<content type="html">&lt;p&gt;Isi lengkap kabar nomor {n}, cukup panjang untuk '
            "sebuah berita dari sumber yang mendorong umpannya.&lt;/p&gt;</content></entry>"
            for n in range(self.items)
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<id>{self.url}/feed.xml</id><title>Pushy</title><updated>2026-01-05T09:00:00Z</updated>"
            f'<link rel="hub" href="{self.url}/hub"/><link rel="self" href="{self.url}/feed.xml"/>'
            f'<link rel="alternate" href="{self.url}/"/>{entries}</feed>'
        ).encode()

    def verify(self, form: dict[str, str]) -> None:
        query = urlencode(
            {
                "hub.mode": "subscribe",
                "hub.topic": form["hub.topic"],
                "hub.challenge": "c-123",
                "hub.lease_seconds": "3600",
            }
        )
        resp = httpx.get(f"{form['hub.callback']}?{query}", timeout=10)
        self.verified.append(resp.status_code == 200 and resp.text == "c-123")

    def push(self, secret: str) -> int:
        body = self.feed()
        sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        callback = self.requests[-1]["hub.callback"]
        headers = {"Content-Type": "application/atom+xml", "X-Hub-Signature": sig}
        return httpx.post(callback, content=body, headers=headers, timeout=10).status_code

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait(check, what: str, timeout: float = 60):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
def hub():  # type: ignore[no-untyped-def]
    h = Hub()
    yield h
    h.stop()


def test_a_hub_advertised_in_the_feed_is_subscribed_and_its_pushes_ingested(
    tmp_path: Path, hub: Hub, service_process
) -> None:
    port = free_port()
    cfg = service_config(
        tmp_path,
        port,
        f'[[sources]]\nid = "pushy"\nurl = "{hub.url}/"\nkind = "feed"\n'
        f'feed_url = "{hub.url}/feed.xml"\ninterval = "1h"\n',
        extra='per_host_delay = 0.005\nallow_private_networks = ["127.0.0.0/8"]',
    )
    db = f"sqlite:///{tmp_path / 'data' / 'syndicate.db'}"
    service = service_process(cfg, port, options_after=True)  # stopped at teardown
    base = service.url

    def feed() -> bytes:
        try:
            return httpx.get(f"{base}/feeds/pushy.rss", timeout=5).content
        except httpx.HTTPError:
            return b""

    def next_run() -> datetime:
        store = open_store(db, migrate_schema=False)
        try:
            return store.source_leases()["pushy"]["next_run_at"]
        finally:
            store.close()

    assert wait(lambda: hub.verified, "the hub verified our intent") == [True]
    [request] = hub.requests
    assert request["hub.mode"] == "subscribe"
    assert request["hub.topic"] == f"{hub.url}/feed.xml"
    assert request["hub.callback"] == f"{base}/websub/pushy"
    assert len(request["hub.secret"]) >= 32
    wait(lambda: b"Kabar nomor 1" in feed(), "the first pass")
    # Subscribed: the next poll is the fallback, hours away (interval 1h x 4).
    assert wait(lambda: next_run() > datetime.now(UTC) + timedelta(hours=2), "fallback")

    hub.items = 3
    assert hub.push("not-the-secret") == 202  # acknowledged, ignored
    assert next_run() > datetime.now(UTC) + timedelta(hours=2)  # not made due
    assert hub.push(request["hub.secret"]) == 202
    wait(lambda: b"Kabar nomor 2" in feed(), "the pushed article in our feed", timeout=30)
    # Unknown sources have no callback.
    assert httpx.post(f"{base}/websub/nope", content=b"x").status_code == 404
    assert httpx.get(f"{base}/websub/pushy?hub.mode=subscribe&hub.topic=x").status_code == 404


def test_leases_are_renewed_before_they_end_and_unverified_requests_retried() -> None:
    now = datetime(2026, 1, 5, tzinfo=UTC)
    sub = {"hub": "h", "topic": "t", "secret": "s", "state": "active"}
    soon = {**sub, "expires": (now + timedelta(hours=5)).isoformat()}
    later = {**sub, "expires": (now + timedelta(days=5)).isoformat()}
    assert ws.needs_request(soon, "h", "t", now)
    assert not ws.needs_request(later, "h", "t", now) and ws.active(later, now)
    assert ws.needs_request(later, "other-hub", "t", now)
    pending = {**sub, "state": "pending", "requested": (now - timedelta(minutes=5)).isoformat()}
    assert not ws.needs_request(pending, "h", "t", now)
    stale = {**pending, "requested": (now - timedelta(hours=2)).isoformat()}
    assert ws.needs_request(stale, "h", "t", now)
    assert ws.fallback_interval(timedelta(minutes=15)) == timedelta(hours=1)
    assert ws.fallback_interval(timedelta(hours=3)) == timedelta(hours=6)


def test_intent_and_signatures_are_checked() -> None:
    now = datetime(2026, 1, 5, tzinfo=UTC)
    sub = {"hub": "h", "topic": "t", "secret": "s3cret", "state": "pending"}
    ok = {
        "hub.mode": "subscribe",
        "hub.topic": "t",
        "hub.challenge": "abc",
        "hub.lease_seconds": "600",
    }
    updated, challenge = ws.verify_intent(sub, ok, now)
    assert challenge == "abc" and updated and updated["state"] == "active"
    assert updated["expires"] == (now + timedelta(seconds=600)).isoformat(timespec="seconds")
    assert ws.verify_intent(sub, {**ok, "hub.topic": "other"}, now) == (None, None)
    assert ws.verify_intent(sub, {**ok, "hub.mode": "unsubscribe"}, now) == (None, None)
    assert ws.verify_intent(None, ok, now) == (None, None)
    denied, _ = ws.verify_intent(sub, {"hub.mode": "denied", "hub.topic": "t"}, now)
    assert denied and denied["state"] == "denied"
    body = b"<feed/>"
    for name, algo in (
        ("sha1", hashlib.sha1),
        ("sha256", hashlib.sha256),
        ("sha512", hashlib.sha512),
    ):
        good = f"{name}=" + hmac.new(b"s3cret", body, algo).hexdigest()
        assert ws.signature_ok("s3cret", body, good)
        assert not ws.signature_ok("s3cret", body + b" ", good)
    assert not ws.signature_ok("s3cret", body, None)
    assert not ws.signature_ok("s3cret", body, "md5=00")
    assert not ws.signature_ok("", body, "sha256=00")


def test_the_hub_is_read_from_link_headers_and_feed_links() -> None:
    class Resp:
        url = "https://blog.example/feeds/posts/default"
        status = 200
        headers = {
            "link": '<https://hub.example/>; rel="hub", <https://blog.example/feed>; rel="self"'
        }
        content = b""

    assert ws.advertised(Resp()) == ("https://hub.example/", "https://blog.example/feed")
    Resp.headers = {}
    Resp.content = b'<rss><channel><atom:link rel="hub" href="https://pubsubhubbub.appspot.com/"/>'
    assert ws.advertised(Resp()) == ("https://pubsubhubbub.appspot.com/", Resp.url)
