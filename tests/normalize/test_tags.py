"""normalize/tags.py: tags and, beside them, categories."""

from syndicate.normalize.extract import extract_article

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
