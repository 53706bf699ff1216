"""normalize/page_dates.py + dates.py: published and modified times from the page."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.models import Entry
from syndicate.normalize.extract import extract_article
from syndicate.normalize.page import parse_page
from syndicate.normalize.page_dates import (
    _DATE_HINT,
    _RELATIVE_HINT,
    _UPDATED_LABEL,
    _date_hint,
    _relative_hint,
    _updated_label,
    pick_dates,
)
from syndicate.normalize.title import pick_title

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


# A bolmongraya-shaped page: the article's own meta line says only how long ago it was posted,
# while the "Berita Terkini" widget and a "Terpopuler" list date other articles.
TERKINI = (
    '<div class="widget widget-terkini"><h3 class="widget-title">Berita Terkini</h3>'
    '<ul class="list-terkini"><li><a href="/read/2026/01/09/5544/jalan-trans-sulawesi">Jalan Trans'
    ' Sulawesi di Lolak Tertimbun Longsor</a><span class="waktu">10 jam yang lalu</span></li></ul>'
    "</div>"
)
TERPOPULER = (
    '<div class="terpopuler"><h3>Terpopuler</h3><ul><li><a href="/read/2026/01/05/5521/harga-kopra">'
    'Harga Kopra di Bolaang Mongondow Naik</a><span class="tgl">Senin, 05 Januari 2026 | 11:20 WITA'
    "</span></li></ul></div>"
)


def _bolmong(meta_line: str, before: str = "") -> str:
    return (
        f"<html><head></head><body>{before}<div class='detail'>"
        f"<h1 class='detail-title'>Pasar baru diresmikan</h1>"
        f"<div class='detail-info'>{meta_line}</div><div class='detail-content'>{PARA}{PARA}</div>"
        f"</div>{TERPOPULER}{TERKINI}</body></html>"
    )


REPORTER = (
    '<span class="reporter">Laporan: <a href="/penulis/rifaldi">Rifaldi Paputungan</a></span>'
)


def test_bare_relative_time_beside_the_byline_beats_the_headline_lists():
    page = _bolmong(f'{REPORTER} <span class="date">2 jam yang lalu</span>')
    entry = extract_article(page, "https://x.id/read/1", timezone="Asia/Makassar", now=NOW)
    assert entry.published.isoformat() == "2026-01-08T08:00:00+08:00"
    assert entry.rules["published"] == "relative"
    assert entry.authors == ["Rifaldi Paputungan"]


def test_kemarin_in_the_byline_box_in_the_sources_zone():
    page = _bolmong(f"{REPORTER}<span>kemarin 10.15</span>")
    entry = extract_article(page, "https://x.id/read/1", timezone="Asia/Jakarta", now=NOW)
    assert entry.published.isoformat() == "2026-01-07T10:15:00+07:00"
    # the two boxes read apart: the name alone, never "Rifaldi Paputungankemarin"
    assert entry.authors == ["Rifaldi Paputungan"]


def test_relative_time_after_a_pipe_in_one_meta_line():
    page = _bolmong("Penulis: Christian Lolong | 3 hari yang lalu")
    entry = extract_article(page, "https://x.id/read/1", timezone="Asia/Jayapura", now=NOW)
    assert entry.published.isoformat() == "2026-01-05T11:00:00+09:00"


def test_byline_and_relative_time_above_the_headline():
    page = (
        "<html><body><div class='post'><div class='meta'>Peliput : ical &middot; 5 jam yang lalu"
        f"</div><h1>Pasar baru diresmikan</h1><div class='isi'>{PARA}{PARA}</div></div>"
        f"{TERKINI}</body></html>"
    )
    entry = extract_article(page, "https://x.id/a", timezone="Asia/Makassar", now=NOW)
    assert entry.published.isoformat() == "2026-01-08T05:00:00+08:00"


def test_a_sidebar_of_relative_times_never_dates_the_article():
    page = _bolmong(REPORTER).replace(TERPOPULER, "")
    entry = extract_article(page, "https://x.id/read/1", timezone="Asia/Makassar", now=NOW)
    assert entry.published is None and entry.rules["published"] == "none"


def test_a_teaser_box_outside_any_sidebar_never_dates_the_article():
    teaser = (
        '<div class="kotak"><a href="/read/2">Warga Bitung Gotong Royong Bersihkan Pantai</a> '
        "<span>10 jam yang lalu</span></div>"
    )
    page = _bolmong(REPORTER).replace(TERPOPULER, "").replace(TERKINI, teaser)
    entry = extract_article(page, "https://x.id/read/1", now=NOW)
    assert entry.published is None


def test_a_relative_phrase_inside_the_story_is_not_its_date():
    story = (
        "<p>Kebakaran yang terjadi 2 hari yang lalu di pasar lama membuat pedagang pindah ke "
        "lokasi sementara yang disiapkan pemerintah kota, kata kepala dinas perdagangan kepada "
        "wartawan di kantornya pada Rabu pagi.</p>"
    )
    page = _bolmong(REPORTER + story).replace(TERPOPULER, "")
    entry = extract_article(page, "https://x.id/read/1", now=NOW)
    assert entry.published is None


def test_an_exact_date_right_after_the_relative_one_wins():
    line = f"{REPORTER}<span>2 jam yang lalu</span><span>Kamis, 8 Januari 2026 07:55 WITA</span>"
    entry = extract_article(_bolmong(line), "https://x.id/read/1", now=NOW)
    assert entry.published.isoformat() == "2026-01-08T07:55:00+08:00"


def _dates(html: str, **settings):
    page = parse_page(html, "https://x.id/a", now=NOW, **settings)
    pick_title(page)  # a printed date is looked for under the headline
    return page, pick_dates(page)


def test_pick_dates_printed_line_under_the_title_in_wit():
    page, (published, updated) = _dates(_page("", "Kamis, 8 Januari 2026 pukul 08.15 WIT"))
    assert published.isoformat() == "2026-01-08T08:15:00+09:00"
    assert updated == published and page.modified is None
    assert page.rules == {"published": "text", "updated": "published"}


def test_pick_dates_a_date_above_the_headline_is_not_the_articles():
    html = _page("", "").replace(
        "<article>", "<div class='ticker'>Senin, 5 Januari 2026 10:00</div><article>"
    )
    page, (published, _updated) = _dates(html)
    assert published is None and page.rules["published"] == "none"


def test_pick_dates_future_date_is_refused():
    head = '<meta property="article:published_time" content="2027-01-07T09:00:00+08:00">'
    _page_, (published, _updated) = _dates(_page(head, "Rabu, 7 Januari 2026 09:00 WITA"))
    assert published.isoformat() == "2026-01-07T09:00:00+08:00"


def test_pick_dates_feed_date_with_an_offset_beats_a_naive_page_date():
    head = '<meta property="article:published_time" content="2026-01-07T09:00:00">'
    hint = Entry(url="https://x.id/a", title="t", published=datetime(2026, 1, 7, 1, 5, tzinfo=UTC))
    page, (published, _updated) = _dates(_page(head, ""), hints=hint, timezone="Asia/Jakarta")
    assert published.isoformat() == "2026-01-07T08:05:00+07:00"
    assert page.rules["published"] == "hint"


def test_pick_dates_utc_declared_is_shown_in_the_sources_zone():
    head = '<meta property="article:published_time" content="2026-01-07T01:00:00Z">'
    _page_, (published, _updated) = _dates(_page(head, ""), timezone="Asia/Jayapura")
    assert published.isoformat() == "2026-01-07T10:00:00+09:00"


def test_meta_line_as_a_list_with_its_own_links():
    line = (
        '<ul class="post-meta"><li>Oleh: <a href="/author/budi">Budi</a></li>'
        '<li><a href="/kategori/daerah">Berita Daerah Sulawesi Utara</a></li>'
        '<li><a href="https://x.id/read/1" rel="bookmark"><time datetime="">2 jam yang lalu</time>'
        "</a></li></ul>"
    )
    entry = extract_article(_bolmong(line), "https://x.id/read/1", now=NOW)
    assert entry.published.isoformat() == "2026-01-08T08:00:00+08:00"


def test_a_list_of_short_teasers_never_dates_the_article():
    teasers = "<ul class='kotak'><li><a href='/read/9'>Longsor</a> 10 jam yang lalu</li></ul>"
    page = _bolmong(REPORTER).replace(TERPOPULER, "").replace(TERKINI, teasers)
    assert extract_article(page, "https://x.id/read/1", now=NOW).published is None


def test_blogger_hatom_published_abbr_keeps_the_full_time_in_its_title():
    line = (
        '<span class="post-author vcard">Diposting oleh <span class="fn">Stevi Rumengan</span>'
        '</span> <span class="post-timestamp">di <a class="timestamp-link" href="/2026/01/a.html">'
        '<abbr class="published" title="2026-01-08T08:15:00+08:00">08.15</abbr></a></span>'
    )
    entry = extract_article(_page("", line), "https://x.id/2026/01/a.html", now=NOW)
    assert entry.published.isoformat() == "2026-01-08T08:15:00+08:00"
    assert entry.rules["published"] == "time-element"


def test_baru_saja_beside_the_byline_is_the_fetch_time():
    entry = extract_article(_bolmong(f"{REPORTER} · Baru saja"), "https://x.id/read/1", now=NOW)
    assert entry.published.isoformat() == "2026-01-08T10:00:00+08:00"


def test_printed_dates_in_other_shapes_under_the_title():
    for line, want in (
        ("January 8, 2026 8:15 AM", "2026-01-08T08:15:00+08:00"),
        ("Kamis (8/1/2026) pkl 08.15 WIT", "2026-01-08T08:15:00+09:00"),
        ("08/01/26 08:15", "2026-01-08T08:15:00+08:00"),
    ):
        entry = extract_article(_page("", f"<span>{line}</span>"), "https://x.id/a", now=NOW)
        assert entry.published.isoformat() == want, line


def test_published_and_updated_on_one_line():
    line = "Oleh: Budi | Dipublikasikan 7 Januari 2026 09:00, diperbarui 7 Januari 2026 16:45"
    entry = extract_article(_page("", line), "https://x.id/a", now=NOW)
    assert entry.published.isoformat() == "2026-01-07T09:00:00+08:00"
    assert entry.modified.isoformat() == "2026-01-07T16:45:00+08:00"


def test_relative_published_and_updated_on_one_line():
    line = "Oleh: Budi · 5 jam yang lalu · Diperbarui 1 jam yang lalu"
    entry = extract_article(_page("", line), "https://x.id/a", now=NOW)
    assert entry.published.isoformat() == "2026-01-08T05:00:00+08:00"
    assert entry.modified.isoformat() == "2026-01-08T09:00:00+08:00"


_DATEISH = st.text(
    alphabet=st.sampled_from(list("diperbaruhmoftlgkynsjwUDAPKTİıſ0123456789:/.- \n")), max_size=40
)


@pytest.mark.parametrize(
    "text",
    ["Diperbarui: 9 Januari 2026", "DİPERBARUİ 11:20", "Last  Updated on", "2 jam yang LALU",
     "kemarın 10.15", "HARİ İNİ", "Jumat, 9/1/2026", "tanpa tanggal", ""],
)  # fmt: skip
def test_quick_looks_answer_as_the_full_patterns(text: str) -> None:
    _check_quick_looks(text)


@settings(max_examples=400, deadline=None)
@given(_DATEISH)
def test_quick_looks_never_disagree_with_the_full_patterns(text: str) -> None:
    _check_quick_looks(text)


def _check_quick_looks(text: str) -> None:
    quick, full = _updated_label(text), _UPDATED_LABEL.search(text)
    assert (quick and quick.span()) == (full and full.span())
    assert _relative_hint(text) == bool(_RELATIVE_HINT.search(text))
    assert _date_hint(text) == bool(_DATE_HINT.search(text))
