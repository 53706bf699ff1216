"""Hostile bytes in article fields (issue 12): every feed still answers, nothing is lost.

One U+0001, NUL or U+FFFE in a stored field used to make every RSS and Atom feed holding the
article answer 500 and `syndicate export` die; on PostgreSQL a NUL was a bare 500.
"""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
import pytest
from webutil import entry, site_fixture  # noqa: F401

from syndicate.cli.ops import export_files

BAD = "\x00\x01\x08\x0b\x1f\x7f\ufffe\uffff\U0001fffe\ufdd0"


def seed_hostile(store) -> dict[str, str]:  # type: ignore[no-untyped-def]
    art, _ = store.upsert_entry(
        "detailnews",
        entry(
            1,
            datetime(2026, 1, 5, 3, 42, tzinfo=UTC),
            title=f"Apel{BAD} Kerja &#1;Perdana",
            summary=f"Ringkasan{BAD} &#x1F;berita.",
            content_html=f"<p>Isi{BAD} &#1;&#0;&#xFFFE; lengkap &amp; &#233;.</p>",
            content_text=f"Isi{BAD} lengkap.",
            authors=[f"ical{BAD}", "ical"],
            editor="ed\x00",
            image_alt="alt\x01",
            dateline="BITUNG\x02",
            tags=[f"Bitung{BAD}", "bitung", "BITUNG", *(f"tag{i % 70}" for i in range(500))],
        ),
    )
    return {"bad": art.id}


def test_control_characters_never_break_a_feed(site, db_url) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_hostile, db=db_url)
    stored = s.store.get_article(s.ids["bad"])
    assert stored.title == "Apel Kerja Perdana"
    assert stored.authors == ["ical"]
    assert stored.tags[0] == "Bitung" and len(stored.tags) == 50  # deduplicated, bounded
    assert "&#1;" not in stored.content_html and "&#233;" in stored.content_html
    for path in (
        "/feeds/detailnews.rss",
        "/feeds/detailnews.atom",
        "/feeds/detailnews.json",
        "/feeds/all.atom",
        "/feeds/tag/bitung.rss",
        f"/articles/{s.ids['bad']}",
        "/tags/bitung",
    ):
        r = s.server.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        if "/feeds/" in path and not path.endswith(".json"):
            parsed = feedparser.parse(r.content)
            assert not parsed.bozo, (path, parsed.get("bozo_exception"))
            assert parsed.entries[0].title == "Apel Kerja Perdana"


def test_export_survives_control_characters(site, db_url) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_hostile, db=db_url)
    files = export_files(s.settings, s.store)
    assert "feeds/detailnews.rss" in files and "feeds/tag/bitung.atom" in files


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\ud800", "\ufffe", "\U0010ffff"])
def test_one_bad_character_in_any_field_is_stored_clean(db_url, bad) -> None:  # type: ignore[no-untyped-def]
    from syndicate.store import open_store

    store = open_store(db_url)
    try:
        art, _ = store.upsert_entry(
            "detailnews",
            entry(
                7,
                datetime(2026, 1, 5, tzinfo=UTC),
                url=f"https://detailnews.id/a{bad}b/",
                guid=f"g{bad}7",
                title=f"T{bad}",
                content_text=f"x{bad}y",
                language=f"id{bad}",
            ),
        )
        got = store.get_article(art.id)
        assert (got.title, got.content_text, got.guid, got.language) == ("T", "xy", "g7", "id")
        assert got.url == "https://detailnews.id/ab/"
    finally:
        store.close()


def test_a_feed_item_with_20000_categories_is_bounded_when_read() -> None:
    from syndicate.ingest.feed import entry_from_item, parse_feed

    cats = "".join(f"<category>kategori {i}</category>" for i in range(20_000))
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>x</title>'
        f"<link>https://site.example/a</link>{cats}</item></channel></rss>"
    ).encode()
    parsed = parse_feed(body, "https://site.example/feed")
    got = entry_from_item(parsed.entries[0], "https://site.example/feed")
    assert got is not None and 50 <= len(got.tags) <= 200
