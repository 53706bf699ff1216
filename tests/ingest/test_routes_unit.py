"""Pure route logic: listing pagination, excerpts, WordPress times, sitemaps."""

from __future__ import annotations

import gzip
import tracemalloc

import lxml.html
import pytest
from ingest_util import corpus_settings, run_pass, store  # noqa: F401

from syndicate.ingest.feed import is_excerpt
from syndicate.ingest.html import article_links, next_listing_page
from syndicate.ingest.sitemap import SitemapError, parse_sitemap, wanted_child
from syndicate.ingest.wordpress import wp_time
from syndicate.models import Entry

H = "http://x.test"


def test_listing_links_and_next_page() -> None:
    doc = lxml.html.fromstring(
        '<nav><a href="/kategori/politik">Politik</a></nav>'
        '<a href="/berita/3320/laporan-khusus-nelayan-perbatasan.html">A</a>'
        '<a href="/berita/3317/panitia-pilkades-serentak-talaud.html">B</a>'
        '<a href="/index.php?halaman=2">Berikutnya »</a>'
    )
    links = article_links(doc, f"{H}/")
    assert links == [
        f"{H}/berita/3320/laporan-khusus-nelayan-perbatasan.html",
        f"{H}/berita/3317/panitia-pilkades-serentak-talaud.html",
    ]
    assert next_listing_page(doc, f"{H}/") == f"{H}/index.php?halaman=2"
    assert next_listing_page(doc, f"{H}/berita?page=1", "/berita?page={n}") == f"{H}/berita?page=2"


def test_excerpt_detection() -> None:
    assert is_excerpt(Entry(url="u", title="t", content_text="Dinkes Bitung mencatat […]"))
    long = "Paragraf panjang tentang berita lokal. " * 40
    assert not is_excerpt(Entry(url="u", title="t", content_text=long))
    assert is_excerpt(Entry(url="u", title="t", content_text=long + " Baca selengkapnya"))


def test_wordpress_time_keeps_the_site_offset() -> None:
    assert (
        wp_time("2026-01-08T10:47:31", "2026-01-08T02:47:31").isoformat()
        == "2026-01-08T10:47:31+08:00"
    )
    assert wp_time(None, "2026-01-08T02:47:31").isoformat() == "2026-01-08T02:47:31+00:00"


def test_sitemaps() -> None:
    news = parse_sitemap(
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>http://x.test/a-b-c-d/</loc>'
        b"<news:news><news:publication_date>2026-01-08T16:40:48+08:00</news:publication_date>"
        b"<news:title>T</news:title></news:news></url></urlset>",
        "http://x.test/news.xml",
    )
    assert news.is_news and news.urls[0].published.isoformat() == "2026-01-08T16:40:48+08:00"
    assert wanted_child("http://x.test/post-sitemap.xml")
    assert wanted_child("http://x.test/wp-sitemap-posts-post-1.xml")
    assert not wanted_child("http://x.test/page-sitemap.xml")
    assert not wanted_child("http://x.test/wp-sitemap-taxonomies-category-1.xml")
    assert not wanted_child("http://x.test/wp-sitemap-users-1.xml")


def test_reprint_joins_the_original_story(corpus_server, store) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    a = corpus_server("detailnews", "t0", "--quiet")
    b = corpus_server("nusautara", "t0", "--quiet")
    settings = corpus_settings(store.url, {"detailnews": a.base, "nusautara": b.base})
    run_pass(settings, store)
    stories: dict[str, list[str]] = {}
    for art in store.latest_articles(limit=100):
        if art.story_id:
            stories.setdefault(art.story_id, []).append(art.url)
    assert len(stories) == 1
    [members] = stories.values()
    assert any("/2026/01/05/apel-kerja-perdana" in m for m in members)
    assert any("/berita/3311/" in m for m in members)
    assert len(members) == 2


def test_a_zero_based_pager_with_query_only_links_is_followed() -> None:
    # Drupal: /berita is ?page=0; its pager links are bare "?page=N" hrefs.
    pager = (
        '<nav class="pager"><a href="?page=0" aria-current="page">1</a>'
        '<a href="?page=1">2</a><a href="?page=1" rel="next">››</a></nav>'
    )
    doc = lxml.html.fromstring(f"<html><body>{pager}</body></html>")
    assert next_listing_page(doc, f"{H}/berita") == f"{H}/berita?page=1"
    second = lxml.html.fromstring(
        '<html><body><a href="?page=0">1</a><a href="?page=1">2</a><a href="?page=2">3</a></body></html>'
    )
    assert next_listing_page(second, f"{H}/berita") == f"{H}/berita?page=1"  # numbered, no rel
    assert next_listing_page(second, f"{H}/berita?page=1") == f"{H}/berita?page=2"


def test_a_one_based_pager_still_starts_at_two() -> None:
    doc = lxml.html.fromstring(
        '<html><body><a href="berita?page=1">1</a><a href="berita?page=2">2</a>'
        '<a href="berita?page=2">Berikutnya &raquo;</a></body></html>'
    )
    assert next_listing_page(doc, f"{H}/berita") == f"{H}/berita?page=2"


def test_a_gzipped_sitemap_is_read_and_a_gzip_bomb_refused() -> None:
    """sitemap.xml.gz is gzip inside the HTTP body; 200 MB of it decoded is past the protocol's
    50 MB, and is refused without being held (gzip.decompress made all 200 MB)."""
    doc = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>http://x.test/berita/banjir-di-bitung/</loc></url></urlset>"
    )
    assert [u.loc for u in parse_sitemap(gzip.compress(doc), "http://x.test/s.xml.gz").urls] == [
        "http://x.test/berita/banjir-di-bitung/"
    ]
    bomb = gzip.compress(doc[:-9] + b" " * (200 * 2**20) + b"</urlset>", 1)
    tracemalloc.start()
    try:
        with pytest.raises(SitemapError, match="over 52428800 bytes decoded"):
            parse_sitemap(bomb, "http://x.test/bomb.xml.gz")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * 2**20, f"peak {peak / 2**20:.0f} MB"  # about the 50 MB limit
    with pytest.raises(SitemapError, match="bad gzip"):
        parse_sitemap(b"\x1f\x8b" + b"not gzip at all", "http://x.test/broken.xml.gz")
