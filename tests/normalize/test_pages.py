"""normalize/pages.py: multi-page articles (the next page, joining the pages) and AMP links."""

import pytest

from syndicate.models import Entry
from syndicate.normalize.pages import amp_url, merge_pages, next_page_url


def test_next_page_from_links():
    html = (
        '<html><head></head><body><div class="jeg_pagelinks"><span class="current">1</span>'
        '<a href="/slug/2/">2</a></div><a href="/slug/2/">Halaman selanjutnya</a></body></html>'
    )
    assert next_page_url(html, "http://h/slug/") == "http://h/slug/2/"
    assert next_page_url("<html><body><p>x</p></body></html>", "http://h/slug/") is None


def test_next_page_from_rel_next():
    html = (
        '<html><head><link rel="next" href="/berita/banjir-bitung/2/"></head><body></body></html>'
    )
    assert next_page_url(html, "https://x.id/berita/banjir-bitung/") == (
        "https://x.id/berita/banjir-bitung/2/"
    )


def test_a_selanjutnya_link_to_another_article_is_not_the_next_page():
    html = (
        "<html><body><p>teks</p><a href='/berita/lain/2/'>Berita selanjutnya</a>"
        "<a href='/berita/banjir/3/'>Selanjutnya</a></body></html>"
    )
    # page 1 -> 2 only, and only of the same article
    assert next_page_url(html, "https://x.id/berita/banjir/") is None


def test_amp_link():
    html = '<html><head><link rel="amphtml" href="/amp/berita/banjir"></head><body></body></html>'
    assert amp_url(html, "https://x.id/berita/banjir") == "https://x.id/amp/berita/banjir"
    assert amp_url("<html><body></body></html>", "https://x.id/a") is None


def test_merge_pages_keeps_page_one_metadata():
    a = Entry(
        url="http://h/s/",
        title="T",
        content_text="one",
        content_html="<p>one</p>",
        tags=["A"],
        authors=["X"],
    )
    b = Entry(
        url="http://h/s/2/",
        title="T - Halaman 2",
        content_text="two",
        content_html="<p>two</p>",
        tags=["a", "B"],
        editor="Meity Wowor",
    )
    m = merge_pages([a, b])
    assert (
        m.title == "T"
        and m.content_text == "one\n\ntwo"
        and m.tags == ["A", "B"]
        and m.authors == ["X"]
        and m.editor == "Meity Wowor"
        and m.rules["pages"] == "2"
    )


def test_merge_pages_needs_a_page():
    with pytest.raises(ValueError):
        merge_pages([])
    one = Entry(url="http://h/s/", title="T")
    assert merge_pages([one]) is one
