"""A real browser (Debian's Chromium via Playwright) on the pages people land on from a shared link."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

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


def test_index_and_source_page_in_chromium(site, browser) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
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

    # The follow form goes to the reader's own server (captured, not followed, off loopback).
    page.goto(s.url + "/sources/detailnews")
    page.fill("#instance-detailnews", "@ani@mastodon.social")
    with page.expect_request("https://mastodon.social/**") as req:
        page.route("https://mastodon.social/**", lambda route: route.fulfill(status=200, body="ok"))
        page.click("form.follow button[type=submit]")
    assert req.value.url.startswith("https://mastodon.social/authorize_interaction?uri=")


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
