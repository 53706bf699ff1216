"""normalize/language.py: the article's language (the text when the detector is sure), detected
from a bounded prefix and the longer window only when the prefix leaves the detector unsure."""

import pytest

from syndicate.normalize import language
from syndicate.normalize.language import LONG, detect, pick_language
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


# ---- the detector: bounded input, mixed texts, bad input ----

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


def test_a_long_body_is_detected_from_its_first_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = language.pycld2.detect

    def spy(data: bytes, **kw: object) -> object:
        seen.append(len(data))
        return real(data, **kw)

    monkeypatch.setattr(language.pycld2, "detect", spy)
    lang, share = detect(ID * 60)  # ~20k characters
    assert lang == "id" and share >= language.SURE
    assert seen and max(seen) <= LONG


def test_a_text_in_two_languages_is_not_sure() -> None:
    lang, share = detect(EN * 2 + ID * 2)
    assert lang in ("en", "id") and share < language.SURE
    # ... so the source's language decides, then the page's declared one
    assert pick_language(_page('lang="en"'), EN * 2 + ID * 2, "id") == ("id", "config")
    assert pick_language(_page('lang="en"'), EN * 2 + ID * 2, None) == ("en", "declared")


MS = (
    "Kerajaan negeri akan membina jalan baharu di kawasan luar bandar bagi memudahkan penduduk "
    "kampung menjual hasil tanaman mereka. Menteri Besar berkata projek itu dijangka siap dalam "
    "tempoh dua tahun dan melibatkan peruntukan sebanyak lima puluh juta ringgit. "
)
JV = (
    "Aku arep lunga menyang pasar karo ibu, amarga ing omah ora ana panganan. Bapak lagi nyambut "
    "gawe ing sawah wiwit esuk. "
)


def test_codes_are_iso_639_1_and_malay_counts_as_indonesian() -> None:
    assert detect(MS * 2)[0] == "id"
    assert detect(JV * 4)[0] == "jv"  # CLD2 says "jw"
    assert pick_language(_page(), ID * 3, "en") == ("id", "detected")


def test_control_characters_and_surrogates_are_no_failure() -> None:
    text = ID * 3
    assert detect("\x00\x01" + text + "\ud800")[0] == "id"
    assert detect("\x00 \ud800 " * 100) == (None, 0.0)


def test_short_text_is_not_detected() -> None:
    assert detect(EN[:150]) == (None, 0.0)
