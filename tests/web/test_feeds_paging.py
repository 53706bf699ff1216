"""Paged archives (RFC 5005), WebSub hub links and near-duplicate folding in the served feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import feedparser
from lxml import etree
from webutil import (
    entry,
    seed_newsroom,
    site_fixture,  # noqa: F401
)

ATOM = "{http://www.w3.org/2005/Atom}link"


def seed_many(store) -> dict[str, str]:  # type: ignore[no-untyped-def]
    start = datetime(2026, 1, 1, 8, tzinfo=UTC)
    return {
        f"n{i}": store.upsert_entry("detailnews", entry(i, start + timedelta(hours=i)))[0].id
        for i in range(7)
    }


def links(doc: bytes, rel: str) -> list[str]:
    root = etree.fromstring(doc)
    return [el.get("href") for el in root.iter(ATOM) if el.get("rel") == rel]


def test_a_reader_can_backfill_every_article_page_by_page(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_many, feeds={"size": 3})
    for fmt in ("atom", "rss"):
        seen, url, pages = [], f"{s.url}/feeds/detailnews.{fmt}", 0
        while url:
            body = s.server.get(url.removeprefix(s.url)).content
            parsed = feedparser.parse(body)
            assert not parsed.bozo, parsed.get("bozo_exception")
            seen += [e.title for e in parsed.entries]
            nxt = links(body, "next")
            pages += 1
            if pages > 1:
                assert links(body, "previous") and links(body, "first") == [
                    f"{s.url}/feeds/detailnews.{fmt}"
                ]
                assert links(body, "self") == [url]
            url = nxt[0] if nxt else None
        assert pages == 3
        assert seen == [f"Berita nomor {i}" for i in range(6, -1, -1)]  # each once, newest first
    seen, url = [], f"{s.url}/feeds/detailnews.json"
    while url:
        doc = s.server.get(url.removeprefix(s.url)).json()
        seen += [i["title"] for i in doc["items"]]
        url = doc.get("next_url")
    assert len(seen) == 7 and len(set(seen)) == 7
    # The live feed (page 1) names no previous page; a page past the end is a 404.
    assert not links(s.server.get("/feeds/detailnews.atom").content, "previous")
    assert s.server.get("/feeds/detailnews.atom?page=4").status_code == 404
    # Paged documents are one logical feed: same atom:id.
    ids = {
        feedparser.parse(s.server.get(f"/feeds/detailnews.atom?page={p}").content).feed.id
        for p in (1, 2)
    }
    assert len(ids) == 1


def test_hub_is_advertised_in_every_format_when_configured(site) -> None:  # type: ignore[no-untyped-def]
    hub = "https://hub.example/"
    s = site(seed=seed_many, websub={"hub": hub})
    for fmt in ("rss", "atom"):
        body = s.server.get(f"/feeds/all.{fmt}").content
        assert links(body, "hub") == [hub]
        assert links(body, "self") == [f"{s.url}/feeds/all.{fmt}"]
    assert s.server.get("/feeds/all.json").json()["hubs"] == [{"type": "WebSub", "url": hub}]
    plain = site(seed=seed_many)
    assert not links(plain.server.get("/feeds/all.rss").content, "hub")
    # Without paging or hub, the RSS is feedgen's own output, still valid.
    assert not feedparser.parse(plain.server.get("/feeds/all.rss").content).bozo


def test_combined_feed_folds_near_duplicates_but_source_feeds_keep_theirs(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
    items = s.server.get("/feeds/all.json").json()["items"]
    apel = [i for i in items if "Apel" in i["title"]]
    assert [i["title"] for i in apel] == ["Apel Kerja Perdana 2026 di Bitung"]  # the earliest
    assert "also reported by" in apel[0]["content_html"]
    assert "https://nusautara.example/berita/3311" in apel[0]["content_html"]
    atom = feedparser.parse(s.server.get("/feeds/all.atom").content)
    assert sum("Apel" in e.title for e in atom.entries) == 1
    own = s.server.get("/feeds/nusautara.json").json()["items"]
    assert [i["title"] for i in own] == ["Pemkot Bitung Gelar Apel Perdana"]
    dn = s.server.get("/feeds/detailnews.json").json()["items"]
    assert "Apel Kerja Perdana 2026 di Bitung" in [i["title"] for i in dn]
    assert all("also reported by" not in i.get("content_html", "") for i in dn)


def seed_summary_first(store) -> dict[str, str]:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    early, _ = store.upsert_entry(
        "nusautara",
        entry(1, now, url="https://nusautara.example/1", title="Versi NusaUtara"),
        story_id="s",
        now=now - timedelta(hours=2),
    )
    store.upsert_entry("detailnews", entry(2, now, title="Versi DetailNews"), story_id="s", now=now)
    return {"early": early.id}


def test_a_summary_only_source_heading_a_story_still_links_the_others(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_summary_first)
    items = s.server.get("/feeds/all.json").json()["items"]
    assert [i["title"] for i in items] == ["Versi NusaUtara"]
    html = items[0]["content_html"]
    assert "Isi lengkap" not in html  # still only the summary of a summary-only source
    assert "also reported by" in html and "https://detailnews.id/2026/berita-2/" in html
