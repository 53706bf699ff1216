"""normalize/tags.py: tags and, beside them, categories."""

from syndicate.models import Entry
from syndicate.normalize.extract import extract_article
from syndicate.normalize.page import parse_page
from syndicate.normalize.tags import normalize_tags, pick_categories, pick_tags
from syndicate.normalize.title import pick_title

PARA = (
    "<p>" + "Dinas kesehatan menggelar imunisasi kejar di desa terpencil, kata kepala dinas. " * 3
)
PARA += "</p>"


def _page(head: str, inside: str, before: str = "") -> str:
    return (
        f"<html><head>{head}</head><body>"
        '<nav><a href="/kategori/politik">Politik</a> <a href="/kategori/ekonomi">Ekonomi</a></nav>'
        f"{before}<article><header><h1>Imunisasi kejar di 15 desa</h1>{inside}</header>"
        f"<div class='isi'>{PARA}{PARA}</div></article></body></html>"
    )


def test_drupal_tag_field_with_a_label_over_linked_items():
    box = (
        '<div class="field field--name-field-tags"><div class="field__label">Tag</div>'
        '<div class="field__items"><div class="field__item"><a href="/taxonomy/term/50">Imunisasi'
        '</a></div><div class="field__item"><a href="/taxonomy/term/55">Kesehatan Anak</a></div>'
        "</div></div>"
    )
    entry = extract_article(_page("", box), "https://x.id/a")
    assert entry.tags == ["Imunisasi", "Kesehatan Anak"]


def test_category_link_in_the_article_header_not_the_menu():
    kicker = '<span class="kategori"><a href="/berita/kategori/kesehatan">Kesehatan</a></span>'
    entry = extract_article(_page("", kicker), "https://x.id/a")
    assert entry.categories == ["Kesehatan"]


def test_declared_section_wins():
    head = '<meta property="article:section" content="Kesehatan">'
    entry = extract_article(_page(head, ""), "https://x.id/a")
    assert entry.categories == ["Kesehatan"]


def test_breadcrumb_last_section_not_the_article_title():
    crumbs = (
        '<ol class="breadcrumb"><li><a href="/">Beranda</a></li><li><a href="/berita">Berita</a>'
        "</li><li>Kesehatan</li><li>Imunisasi kejar di 15 desa</li></ol>"
    )
    entry = extract_article(_page("", "", before=crumbs), "https://x.id/a")
    assert entry.categories == ["Kesehatan"]


def test_a_menu_of_categories_is_not_the_articles_category():
    menu = "".join(f'<a href="/kategori/k{i}">K{i}</a> | ' for i in range(6))
    entry = extract_article(
        _page("", "", before=f"<div class='top'>{menu}</div>"), "https://x.id/a"
    )
    assert entry.categories == []


def _parsed(head: str, inside: str, before: str = "", hints: Entry | None = None):
    page = parse_page(_page(head, inside, before), "https://x.id/a", hints=hints)
    pick_title(page)  # the tag box is looked for after the headline
    return page


def test_normalize_tags():
    assert normalize_tags([" #Bitung", "bitung", "Pasar  Girian", "", "x" * 61, "Pasar;"]) == [
        "Bitung",
        "Pasar Girian",
        "Pasar",
    ]


def test_json_ld_keywords_string_and_list():
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "keywords": "Pasar, Bitung"}</script>'
    assert pick_tags(_parsed(ld, "")) == (["Pasar", "Bitung"], "json-ld")
    ld = ld.replace('"Pasar, Bitung"', '["Pasar", "#Bitung", "pasar"]')
    assert pick_tags(_parsed(ld, "")) == (["Pasar", "Bitung"], "json-ld")


def test_tag_box_after_the_title_not_the_trending_bar_above_it():
    trending = '<div class="trending"><a href="/tag/banjir" rel="tag">Banjir</a></div>'
    box = (
        '<div class="post-tags"><a href="/tag/imunisasi" rel="tag">Imunisasi</a>'
        '<a href="/tag/kesehatan" rel="tag">Kesehatan</a>'
        '<a href="/category/daerah" rel="category tag">Daerah</a></div>'
    )
    assert pick_tags(_parsed("", box, before=trending)) == (
        ["Imunisasi", "Kesehatan"],
        "tag-links",
    )


def test_news_keywords_after_the_tag_box_then_a_tags_line_then_the_feed():
    head = '<meta name="news_keywords" content="imunisasi, desa">'
    assert pick_tags(_parsed(head, "")) == (["imunisasi", "desa"], "meta")
    line = "<p>Tags: Imunisasi, Kesehatan Anak</p>"
    assert pick_tags(_parsed("", line)) == (["Imunisasi", "Kesehatan Anak"], "text")
    hint = Entry(url="https://x.id/a", title="t", tags=["Dinkes"])
    assert pick_tags(_parsed("", "", hints=hint)) == (["Dinkes"], "hint")
    assert pick_tags(_parsed("", "")) == ([], "none")


def test_a_sidebar_tag_cloud_is_not_the_articles():
    cloud = '<aside class="sidebar"><a href="/tag/viral" rel="tag">Viral</a></aside>'
    assert pick_tags(_parsed("", "", before=cloud)) == ([], "none")


def test_pick_categories_direct():
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "articleSection": ["Daerah", "Kesehatan"]}</script>'
    assert pick_categories(_parsed(ld, "")) == (["Daerah", "Kesehatan"], "json-ld")
    box = '<div class="cat"><span>Kategori</span> <a href="/topik/x">Kesehatan</a></div>'
    assert pick_categories(_parsed("", box)) == (["Kesehatan"], "category-box")
    hint = Entry(url="https://x.id/a", title="t", categories=["Berita"])
    assert pick_categories(_parsed("", "", hints=hint)) == (["Berita"], "hint")


def test_keywords_split_on_semicolons_too():
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "keywords": "pasar; bitung,ekonomi"}</script>'
    assert pick_tags(_parsed(ld, ""))[0] == ["pasar", "bitung", "ekonomi"]


def test_category_box_after_the_title_is_the_first_in_document_order():
    # The outer box starts before the inner one although the inner one's link comes first.
    above = '<div class="kicker"><a href="/kategori/daerah">Daerah</a></div>'
    boxes = (
        '<div class="meta"><p class="sub"><a href="/kategori/kesehatan">Kesehatan</a></p>'
        '<a href="/kategori/berita">Berita</a></div>'
    )
    assert pick_categories(_parsed("", boxes, before=above)) == (["Berita"], "category-links")


def test_tag_boxes_inside_and_after_the_headline_count_as_after_it():
    above = '<div class="trending"><a href="/tag/banjir" rel="tag">Banjir</a></div>'
    page = parse_page(
        f"<html><body>{above}<article><h1>Imunisasi kejar <em class='tags'>"
        '<a href="/tag/imunisasi" rel="tag">Imunisasi</a></em></h1>'
        f"{PARA}</article></body></html>",
        "https://x.id/a",
    )
    assert page is not None
    pick_title(page)
    assert pick_tags(page) == (["Imunisasi"], "tag-links")
