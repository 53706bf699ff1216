"""normalize/language.py: the article's language (the text when the detector is sure)."""

from syndicate.normalize.language import pick_language
from syndicate.normalize.page import parse_page

ID_TEXT = (
    "Pemerintah Kota Bitung menggelar apel kerja perdana tahun 2026 di lapangan kantor wali kota. "
    "Wali kota meminta seluruh aparatur sipil negara meningkatkan pelayanan kepada masyarakat, "
    "terutama di kelurahan yang jauh dari pusat kota dan pulau-pulau kecil di Selat Lembeh."
)
EN_TEXT = (
    "The city government of Bitung held its first work assembly of 2026 at the mayor's office. "
    "The mayor asked every civil servant to improve public services, especially in the villages "
    "far from the city centre and on the small islands in the Lembeh Strait, officials said."
)


def _page(html_attrs: str = "", head: str = ""):
    return parse_page(
        f"<html {html_attrs}><head>{head}</head><body><p>x</p></body></html>", "https://x.id/a"
    )


def test_indonesian_text_is_id_even_when_the_theme_says_english():
    assert pick_language(_page('lang="en-US"'), ID_TEXT, None) == ("id", "detected")


def test_english_text_on_an_indonesian_source():
    assert pick_language(_page('lang="id-ID"'), EN_TEXT, "id") == ("en", "detected")


def test_short_text_falls_back_to_config_then_declared():
    assert pick_language(_page('lang="id-ID"'), "Singkat.", "en") == ("en", "config")
    assert pick_language(_page(), "Singkat.", None) == (None, "none")
    head = '<meta property="og:locale" content="id_ID">'
    assert pick_language(_page(head=head), "Singkat.", None) == ("id", "declared")
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "inLanguage": "ms-MY"}</script>'
    assert pick_language(_page(head=ld), "Singkat.", None) == ("ms", "declared")
