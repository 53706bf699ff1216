"""A real browser (Debian's Chromium via Playwright) on the pages people land on from a shared link."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from webutil import (
    seed_newsroom,
    site_fixture,  # noqa: F401
)

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"
    ),
]


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def fediverse() -> Iterator[tuple[str, list[str]]]:
    """A reader's server on loopback (port 0): WebFinger names its follow dialog, which answers ok."""
    lookups: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            base = f"http://{self.headers['Host']}"
            if parts.path == "/.well-known/webfinger":
                lookups.extend(parse_qs(parts.query).get("resource", []))
                body = json.dumps(
                    {
                        "subject": "acct:ani@x",
                        "links": [
                            {"rel": "self", "href": f"{base}/users/ani"},
                            {
                                "rel": "http://ostatus.org/schema/1.0/subscribe",
                                "template": f"{base}/interact?uri={{uri}}",
                            },
                        ],
                    }
                ).encode()
                ctype = "application/jrd+json"
            elif parts.path == "/interact":
                body, ctype = b"<title>follow</title>ok", "text/html"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}", lookups
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_index_and_source_page_in_chromium(site, browser, fediverse) -> None:  # type: ignore[no-untyped-def]
    # Loopback may be looked up, so /follow can ask the fake reader's server's WebFinger.
    s = site(seed=seed_newsroom, federation={"allow_private_networks": ["127.0.0.0/8"]})
    handle = f"@detailnews@{urlsplit(s.url).netloc}"
    ARTIFACTS.mkdir(exist_ok=True)

    page = browser.new_page(viewport={"width": 1000, "height": 900})
    page.goto(s.url + "/")
    assert page.title().startswith("syndicate")
    card = page.locator("section#detailnews")
    for fmt in ("rss", "atom", "json"):
        assert card.locator(f"a.feed[href='{s.url}/feeds/detailnews.{fmt}']").is_visible()
    assert card.locator("input.handle").input_value() == handle
    copy = card.locator("button.copy")
    assert copy.is_visible()  # JavaScript turned the progressive copy button on
    assert page.locator("link[rel=alternate][href$='/feeds/all.atom']").count() == 1
    page.screenshot(path=str(ARTIFACTS / "index.png"), full_page=True)

    page.goto(s.url + "/sources/nusautara")
    assert "cannot be fetched" in page.locator("dd.health-status").inner_text()
    assert page.locator("svg.bars rect").count() == 30
    page.screenshot(path=str(ARTIFACTS / "source.png"), full_page=True)

    # The follow form goes to the follow dialog the reader's own server's WebFinger names.
    host, lookups = fediverse
    page.goto(s.url + "/sources/detailnews")
    page.fill("#instance-detailnews", f"http://{host}/@ani")
    with page.expect_request(f"http://{host}/interact?**") as req:
        page.click("form.follow button[type=submit]")
    dialog = urlsplit(req.value.url)
    assert parse_qs(dialog.query)["uri"] == [f"{s.url}/users/detailnews"]
    page.wait_for_load_state()
    assert page.title() == "follow"
    assert lookups == [f"acct:ani@{host}"]


def test_pages_work_without_javascript_on_a_phone(site, browser) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = ctx.new_page()
    page.goto(s.url + "/")
    card = page.locator("section#detailnews")
    assert card.locator("input.handle").is_visible()
    assert not card.locator("button.copy").is_visible()  # no dead button without JavaScript
    assert card.locator("a.feed").count() == 3
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "index-phone.png"), full_page=False)
    page.goto(s.url + f"/articles/{s.ids['apel']}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert (
        page.locator("p.original a").get_attribute("href") == "https://detailnews.id/2026/berita-1/"
    )
    ctx.close()
