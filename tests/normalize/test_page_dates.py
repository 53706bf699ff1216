"""normalize/page_dates.py + dates.py: published and modified times from the page."""

from datetime import UTC, datetime, timedelta

from syndicate.normalize.dates import parse_relative
from syndicate.normalize.extract import extract_article

PARA = "<p>" + "Pemerintah kota meresmikan pasar baru di pusat kota, kata wali kota. " * 3 + "</p>"
NOW = datetime(2026, 1, 8, 2, 0, tzinfo=UTC)  # 10:00 WITA


def _page(head: str, meta_line: str) -> str:
    return (
        f"<html><head>{head}</head><body><article><h1>Pasar baru diresmikan</h1>"
        f"<div class='meta'>{meta_line}</div><div class='isi'>{PARA}{PARA}</div>"
        "</article></body></html>"
    )


def test_article_modified_time_is_the_declared_modified_time():
    head = (
        '<meta property="article:published_time" content="2026-01-07T09:00:00+08:00">'
        '<meta property="article:modified_time" content="2026-01-07T15:30:00+08:00">'
    )
    entry = extract_article(_page(head, ""), "https://x.id/a", now=NOW)
    assert entry.modified == datetime(2026, 1, 7, 15, 30, tzinfo=entry.modified.tzinfo)
    assert entry.modified.utcoffset() == timedelta(hours=8)


def test_json_ld_date_modified():
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Pasar baru '
        'diresmikan", "datePublished": "2026-01-07T09:00:00+08:00", '
        '"dateModified": "2026-01-07T18:05:00+08:00"}</script>'
    )
    entry = extract_article(_page(head, ""), "https://x.id/a", now=NOW)
    assert entry.modified.isoformat() == "2026-01-07T18:05:00+08:00"


def test_diperbarui_line_is_the_modified_time_and_not_the_published_one():
    line = (
        "<span>Rabu, 7 Januari 2026 09:00 WITA</span>"
        "<span>Diperbarui: Rabu, 7 Januari 2026 16:45 WITA</span>"
    )
    entry = extract_article(_page("", line), "https://x.id/a", now=NOW)
    assert entry.published.isoformat() == "2026-01-07T09:00:00+08:00"
    assert entry.modified.isoformat() == "2026-01-07T16:45:00+08:00"


def test_no_declared_modified_time_is_none():
    head = '<meta property="article:published_time" content="2026-01-07T09:00:00+08:00">'
    entry = extract_article(_page(head, ""), "https://x.id/a", now=NOW)
    assert entry.modified is None
    assert entry.updated == entry.published


def test_relative_date_under_the_title_counts_back_from_the_fetch_time_in_the_source_zone():
    entry = extract_article(
        _page("", "<span>2 jam yang lalu</span>"),
        "https://x.id/a",
        timezone="Asia/Makassar",
        now=NOW,
    )
    assert entry.published.isoformat() == "2026-01-08T08:00:00+08:00"


def test_kemarin_with_a_time():
    got = parse_relative("kemarin, 19.30", NOW, "Asia/Jakarta")
    assert got.isoformat() == "2026-01-07T19:30:00+07:00"
    assert parse_relative("5 minutes ago", NOW, "Asia/Jayapura").isoformat() == (
        "2026-01-08T10:55:00+09:00"
    )
    assert parse_relative("Laporan dua jam", NOW, "Asia/Jakarta") is None
