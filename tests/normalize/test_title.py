"""normalize/title.py: the headline, without the site's decorations or a "..." cut."""

from syndicate.models import Entry
from syndicate.normalize.page import parse_page
from syndicate.normalize.title import pick_title


def _pick(head: str, body: str = "", **settings):
    page = parse_page(f"<html><head>{head}</head><body>{body}</body></html>", "https://x.id/a",
                      **settings)  # fmt: skip
    return page, pick_title(page)


def test_json_ld_headline_beats_og_title_and_the_title_tag():
    head = (
        '<title>Salah - DetailNews.id</title><meta property="og:title" content="Juga salah">'
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "WebPage"}, {"@type": "NewsArticle", "headline": "Nelayan Bitung melaut lagi"}'
        "]}</script>"
    )
    _page, (title, rule, _el) = _pick(head)
    assert (title, rule) == ("Nelayan Bitung melaut lagi", "json-ld")


def test_site_name_decoration_is_dropped():
    head = (
        '<meta property="og:site_name" content="DetailNews.id">'
        '<meta property="og:title" content="Nelayan Bitung melaut lagi - DetailNews.id">'
    )
    assert _pick(head)[1][:2] == ("Nelayan Bitung melaut lagi", "opengraph")


def test_the_pages_own_heading_undoes_an_unknown_decoration():
    page, (title, rule, el) = _pick(
        "<title>Nelayan Bitung melaut lagi | Portal Berita Sulut Terkini</title>",
        "<h1 class='entry-title'>Nelayan Bitung melaut lagi</h1>",
    )
    assert (title, rule) == ("Nelayan Bitung melaut lagi", "title-tag")
    assert el is page.title_el and el.tag == "h1"


def test_a_truncated_title_gives_way_to_the_full_heading():
    head = '<meta property="og:title" content="Pemerintah Kota Bitung menyiapkan 50 hektare...">'
    body = "<h1>Pemerintah Kota Bitung menyiapkan 50 hektare lahan untuk bawang merah</h1>"
    title = _pick(head, body)[1][0]
    assert title == "Pemerintah Kota Bitung menyiapkan 50 hektare lahan untuk bawang merah"


def test_entities_and_whitespace_are_folded():
    head = "<title>Harga\n  cabai &amp; bawang naik</title>"
    assert _pick(head)[1][0] == "Harga cabai & bawang naik"


def test_selector_then_feed_hint_then_first_heading():
    body = "<div class='judul'>Judul dari selector</div><h2>Judul dari heading</h2>"
    assert _pick("", body, selectors={"title": ".judul"})[1][:2] == (
        "Judul dari selector",
        "selector",
    )
    hint = Entry(url="https://x.id/a", title="Judul dari feed")
    assert _pick("", body, hints=hint)[1][:2] == ("Judul dari feed", "hint")
    page, (title, rule, el) = _pick("", body)
    assert (title, rule) == ("Judul dari heading", "heading") and el.tag == "h2"


def test_no_title_anywhere():
    page, (title, rule, el) = _pick("", "<p>teks saja</p>")
    assert (title, rule, el, page.title_el) == ("", "none", None, None)


def _titled(head: str, url: str) -> str:
    page = parse_page(f"<html><head>{head}</head><body><p>x</p></body></html>", url)
    return pick_title(page)[0]


def test_outlet_decoration_spelled_as_a_domain_or_the_host_is_dropped():
    og = '<meta property="og:title" content="Pasar Baru Diresmikan - KabarBitung.com">'
    assert _titled(og, "https://x.id/a") == "Pasar Baru Diresmikan"
    og = '<meta property="og:title" content="Kabar Bitung | Pasar Baru Diresmikan">'
    assert _titled(og, "https://www.kabarbitung.com/a") == "Pasar Baru Diresmikan"
    site = '<meta property="og:site_name" content="KABARBITUNG">'
    og = '<meta property="og:title" content="Pasar Baru Diresmikan » Kabar Bitung">'
    assert _titled(site + og, "https://x.id/a") == "Pasar Baru Diresmikan"


def test_a_dash_inside_the_headline_stays():
    og = '<meta property="og:title" content="Bitung - Manado Dihubungkan Jalan Tol Baru">'
    assert (
        _titled(og, "https://www.kabarbitung.com/a") == "Bitung - Manado Dihubungkan Jalan Tol Baru"
    )
    og = '<meta property="og:title" content="Harga Cabai Naik - Pedagang Mengeluh">'
    assert _titled(og, "https://x.id/a") == "Harga Cabai Naik - Pedagang Mengeluh"
