"""normalize/language.py: the article's language (the text when the detector is sure), detected
from a bounded prefix and the longer window only when the prefix leaves the detector unsure."""

import pytest

from syndicate.normalize import language
from syndicate.normalize.language import LONG, SHORT, detect, pick_language
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


# ---- a bounded prefix ----

ID = (
    "Pemerintah kabupaten menggelar rapat koordinasi bersama seluruh kepala dinas untuk membahas "
    "rencana pembangunan jalan desa yang rusak akibat banjir pekan lalu. Bupati meminta agar "
    "perbaikan segera dimulai sebelum musim hujan berikutnya tiba, sehingga warga dapat kembali "
    "membawa hasil panen ke pasar tanpa harus memutar jauh melewati kecamatan tetangga. "
)
EN = (
    "The district government held a coordination meeting with all heads of department to discuss "
    "plans to rebuild village roads damaged by last week's floods. The regent asked that repairs "
    "begin before the next rainy season arrives, so that residents can once again bring their "
    "harvest to the market without a long detour through the neighbouring district. "
)
# Titles and names only: the detector is unsure of these on their own.
NAMES = "Ir. H. Andi Sulaiman, S.T., M.Si., Drs. Rahmat Hidayat, M.M. " * 8


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Lengths of the texts the detector was given."""
    lengths: list[int] = []
    real = language._detect

    def spy(text: str) -> tuple[str | None, float]:
        lengths.append(len(text))
        return real(text)

    monkeypatch.setattr(language, "_detect", spy)
    return lengths


def test_a_long_body_is_detected_from_its_prefix(seen: list[int]) -> None:
    lang, prob = detect(ID * 60)  # ~20k characters
    assert lang == "id" and prob >= language.SURE
    assert seen and max(seen) <= SHORT


def test_an_unsure_prefix_reads_the_longer_window(seen: list[int]) -> None:
    lang, prob = detect(NAMES + ID * 10)
    assert lang == "id" and prob >= language.SURE
    assert seen[0] <= SHORT and seen[-1] == LONG


def test_short_text_is_not_detected(seen: list[int]) -> None:
    assert detect(EN[:150]) == (None, 0.0)
    assert seen == []
