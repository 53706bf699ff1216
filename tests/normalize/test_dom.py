"""normalize/dom.py: parsing a page once and the shared tree helpers."""

from syndicate.normalize.dom import class_words, in_sidebar, link_density, parse_html
from syndicate.normalize.extract import extract_article


def test_control_characters_in_a_page_do_not_break_extraction():
    # A CMS that pasted text from a word processor: a form feed and a NUL inside the body.
    html = (
        "<html><body><article><h1>Judul</h1><p>Kalimat pertama\x0c yang panjang, "
        "cukup panjang untuk sebuah isi berita.<br>Baris\x00 kedua.</p></article></body></html>"
    )
    entry = extract_article(html, "https://example.id/a/")
    assert "Kalimat pertama yang panjang" in entry.content_text
    assert "\x0c" not in entry.content_text


def test_xml_declaration_is_dropped():
    doc = parse_html('<?xml version="1.0" encoding="utf-8"?><html><body><p>x</p></body></html>')
    assert doc is not None and doc.find(".//p").text == "x"


def test_class_words_split_and_no_prefix():
    el = parse_html('<div class="post-share_bar no-comments" id="Main">x</div>').find(".//div")
    assert {"post", "share", "bar", "main"} <= class_words(el)
    assert "comments" not in class_words(el)


def test_sidebar_and_link_density():
    doc = parse_html(
        '<div class="widget Blog"><p id="a">post</p></div>'
        '<aside><p id="b"><a href="/x">tautan</a></p></aside>'
    )
    assert not in_sidebar(doc.get_element_by_id("a"))
    b = doc.get_element_by_id("b")
    assert in_sidebar(b)
    assert link_density(b, len(b.text_content())) == 1.0


def test_a_link_python_cannot_split_does_not_break_extraction():
    # A consent widget's "https://[ccpa-preferences]" link next to the tag box.
    html = (
        "<html><body><article><h1>Judul</h1><p>Kalimat pertama yang panjang, cukup panjang "
        'untuk sebuah isi berita yang dibaca orang.</p><a href="https://[ccpa-preferences]">x</a>'
        '<a rel="tag" href="/tag/banjir">Banjir</a></article></body></html>'
    )
    entry = extract_article(html, "https://example.id/a/")
    assert entry.tags == ["Banjir"]
