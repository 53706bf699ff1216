"""normalize/bylines.py: who wrote it, from real-looking byline markup (page_bylines finds the
labelled lines on the page, pick_authors chooses between them and what the page declares)."""

from syndicate.models import Entry
from syndicate.normalize.authors import Byline
from syndicate.normalize.bylines import page_bylines, pick_authors
from syndicate.normalize.extract import extract_article
from syndicate.normalize.page import parse_page

PARA = "<p>" + "Warga Tondano membersihkan saluran air setelah banjir, kata lurah setempat. " * 3
PARA += "</p>"


def _page(meta_line: str, head: str = '<meta name="author" content="Redaksi">') -> str:
    return (
        f"<html><head>{head}</head><body><article>"
        f"<h1>Warga bersihkan saluran</h1><div class='meta'>{meta_line}</div>"
        f"<div class='isi'>{PARA}{PARA}</div></article></body></html>"
    )


def test_byline_beside_a_date_in_the_next_inline_box_gives_the_name_alone():
    line = '<span>Oleh: <a href="/penulis/nama">Nama</a></span><span>8/1/2026 10:10</span>'
    entry = extract_article(_page(line), "https://x.id/a")
    assert entry.authors == ["Nama"]


def test_laporan_label_names_the_reporter_over_a_shared_account():
    line = '<div class="post-author">Laporan: <a href="/penulis/r">Rifaldi Paputungan</a></div>'
    entry = extract_article(_page(line), "https://x.id/a")
    assert entry.authors == ["Rifaldi Paputungan"]


def test_page_bylines_reads_inline_boxes_apart():
    line = "<span>Oleh: Stevi Rumengan</span><span>kemarin 10.15</span>"
    lines = page_bylines(parse_page(_page(line), "https://x.id/a").doc)
    assert [(by.authors, blk.get("class")) for by, blk in lines] == [(["Stevi Rumengan"], "meta")]


def test_page_bylines_label_then_link():
    line = 'Diposting oleh <a href="/profile/1">Stevi Rumengan</a> di 19.40'
    (by, _blk), *_ = page_bylines(parse_page(_page(line), "https://x.id/a").doc)
    assert (by.authors, by.strength) == (["Stevi Rumengan"], 1)


def test_page_bylines_skips_lowercase_words_after_a_weak_label():
    line = "Kegiatan ini dihadiri oleh warga dan perangkat desa"
    assert page_bylines(parse_page(_page(line), "https://x.id/a").doc) == []


def test_pick_authors_strong_byline_beats_the_json_ld_account():
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "author": {"@type": '
        '"Person", "name": "Admin DetailNews"}}</script>'
    )
    page = parse_page(_page("Peliput : ical | Editor: Meity Wowor", head), "https://x.id/a")
    authors, editor = pick_authors(page, page_bylines(page.doc), [])
    assert (authors, editor) == (["ical"], "Meity Wowor")
    assert page.rules["authors"] == "byline" and page.rules["editor"] == "byline"


def test_pick_authors_body_byline_comes_first():
    page = parse_page(_page(""), "https://x.id/a")
    body = [Byline(authors=["Christian Lolong"], strength=2)]
    assert pick_authors(page, page_bylines(page.doc), body) == (["Christian Lolong"], None)


def test_pick_authors_generic_account_loses_to_a_feed_hint():
    page = parse_page(
        _page(""), "https://x.id/a", hints=Entry(url="u", title="t", authors=["Fernando"])
    )
    assert pick_authors(page, [], [])[0] == ["Fernando"]
    assert page.rules["authors"] == "hint"


def test_pick_authors_configured_selector_wins():
    page = parse_page(
        _page("Peliput : ical", '<meta name="author" content="Budi">'),
        "https://x.id/a",
        selectors={"author": "h1"},
    )
    assert pick_authors(page, page_bylines(page.doc), [])[0] == ["Warga bersihkan saluran"]
    assert page.rules["authors"] == "selector"


def test_author_link_outside_comments_and_sidebars():
    body = (
        '<div class="entry-meta"><a class="url fn n" href="/author/andi-wijaya/">Andi Wijaya</a>'
        '</div><div class="comments"><a href="/author/budi/">Budi</a></div>'
    )
    page = parse_page(_page(body, head=""), "https://x.id/a")
    assert pick_authors(page, [], []) == (["Andi Wijaya"], None)
    assert page.rules["authors"] == "author-link"


def test_only_the_shared_account_is_still_an_author():
    page = parse_page(_page(""), "https://x.id/a")
    assert pick_authors(page, [], [])[0] == ["Redaksi"]


def test_a_labelled_shared_account_gives_way_to_the_declared_person():
    page = parse_page(
        _page("Penulis: Tim Redaksi", '<meta name="author" content="Budi Santoso">'),
        "https://x.id/a",
    )
    assert pick_authors(page, page_bylines(page.doc), [])[0] == ["Budi Santoso"]


def test_yoast_written_by_card():
    head = (
        '<meta name="twitter:label1" content="Ditulis oleh">'
        '<meta name="twitter:data1" content="Budi Santoso">'
        '<meta name="twitter:label2" content="Estimasi waktu membaca">'
        '<meta name="twitter:data2" content="2 menit">'
    )
    page = parse_page(_page("", head), "https://x.id/a")
    assert pick_authors(page, [], []) == (["Budi Santoso"], None)
    assert page.rules["authors"] == "meta"


def test_a_bracketed_reporter_line_closing_the_story_is_the_author_not_text():
    html = _page("").replace("</div></article>", "<p>(Reporter: Rendy Makalew)</p></div></article>")
    entry = extract_article(html, "https://x.id/a")
    assert entry.authors == ["Rendy Makalew"]
    assert "Reporter" not in entry.content_text
