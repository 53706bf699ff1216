"""normalize/page.py: one Page object for every field picker."""

from syndicate.normalize.page import parse_page
from syndicate.normalize.title import pick_title

HTML = """<html><head><base href="https://cdn.example.id/berita/">
<meta property="og:site_name" content="Kabar Contoh">
<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Banjir di Tondano"}</script>
</head><body><h1>Banjir di Tondano</h1><p>Pewarta: Budi<br>Editor: Sari</p></body></html>"""


def test_page_reads_base_href_site_name_and_json_ld():
    page = parse_page(HTML, "https://example.id/2026/01/banjir/", timezone="Asia/Jakarta")
    assert page is not None
    assert page.base == "https://cdn.example.id/berita/"
    assert page.site_name == "Kabar Contoh"
    assert page.ld["headline"] == "Banjir di Tondano"
    assert page.timezone == "Asia/Jakarta"
    # <br> reads as a space, so a byline does not run into the next label
    assert "Budi Editor" in page.doc.find(".//p").text_content()


def test_pick_title_remembers_the_heading_on_the_page():
    page = parse_page(HTML, "https://example.id/a/")
    title, rule, _el = pick_title(page)
    assert (title, rule) == ("Banjir di Tondano", "json-ld")
    assert page.title_el is not None and page.title_el.tag == "h1"


def test_empty_page_is_none():
    assert parse_page("", "https://example.id/") is None
