"""Pinned LSH bands and fingerprints: databases store them (story_bands, articles.fingerprint),
so a change of the MinHash/SimHash code must not move them. The expected values were computed
with the datasketch-based implementation (datasketch 2.0.0, scheme affine32, seed 1) before it
was replaced by our own numpy MinHash."""

import pytest

from syndicate.normalize.dedupe import BANDS, TextSignature, bands, fingerprint, signature

TEXTS = {
    "indonesian": "Pemerintah Kota Bitung menggelar apel kerja perdana tahun 2026 di lapangan kantor "
    "wali kota, dihadiri seluruh aparatur sipil negara.",
    "unicode": "Ça va? Žluťoučký kůň — «Jakarta» 北京 ٣ أرقام: café naïve Ünïcödé, straße İstanbul.",
    "two_words": "Dua kata",
    "long": "\n\n".join(
        " ".join(f"kata{(p * 61 + i) * 7919 % 1009}" for i in range(60)) for p in range(5)
    ),
}

EXPECTED = {
    "indonesian": (
        -928099063499077112,
        [
            -3702924085686295139,
            -3253636256048877644,
            -1946349013645501888,
            -6148939372155969822,
            -4000179944773922472,
            -4268020045613182667,
            -5740013087341022042,
            6793693892839075363,
            5632015159072172102,
            -5517041872287841028,
            3032356104765165660,
            4283609885402950410,
            4766329095274682359,
            -5388875782986562846,
            -5014961540406472278,
            -6112388867323997956,
            -3950095495529445416,
            -5232583058056833404,
            -1816207261167248726,
            -8690477581759197490,
        ],
    ),
    "unicode": (
        -6884314739231342416,
        [
            -6884254623861150493,
            -342759188005182306,
            5751091627333383715,
            -2042152993657157786,
            -712455142355032347,
            -730102994703087991,
            1368632324781234434,
            -3506631952468267327,
            -2546370359370693458,
            -6135322928803996217,
            -3020366852127901818,
            1698041429063186720,
            1385019606719616361,
            2023468257017032667,
            7191852073691625891,
            -5729697213912651079,
            29732124163021902,
            -2789110283996350496,
            -2304442976042368947,
            8089443844349494359,
        ],
    ),
    "two_words": (
        4729413175512597420,
        [
            6271124485955021935,
            -6309199949478287800,
            -6858254250161929028,
            -937357850527390007,
            2365019290576120661,
            -303385406502688577,
            3670380961310087075,
            2665673421556483350,
            1210874022116392501,
            -2485240401276982346,
            257609952674140779,
            -865522313296127296,
            5960391836550863354,
            -6175121675776645372,
            -5096149075807915772,
            4854286270363103580,
            1775402648676175382,
            3544638102036678033,
            -1669255021346876874,
            3220631472627728530,
        ],
    ),
    "long": (
        7267490874891354660,
        [
            8721539335748762569,
            -1904949112090863823,
            -7802658488952790601,
            6718907730254851937,
            -5453174588719944472,
            1283866022113411303,
            -6953061211859706414,
            -2234858760200863125,
            5355695354426627326,
            8416872277859799261,
            3107718763371633047,
            6805067211370466357,
            1638442003991730813,
            6641454997507700723,
            -6800125239891436481,
            6552381858634806784,
            3795155146434592733,
            2806601374468093089,
            -5089084456844824054,
            -9031612073121329607,
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_bands_and_fingerprint_are_pinned(name: str) -> None:
    fp, expected = EXPECTED[name]
    assert bands(TEXTS[name]) == expected
    assert len(expected) == BANDS
    assert fingerprint(TEXTS[name]) == fp


def test_empty_text_has_no_bands() -> None:
    assert bands("") == []
    assert fingerprint("") == 0


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_signature_is_the_fingerprint_and_the_bands(name: str) -> None:
    fp, expected = EXPECTED[name]
    assert signature(TEXTS[name]) == (fp, expected)
    lazy = TextSignature(TEXTS[name])
    assert not lazy.made
    assert (lazy.fingerprint(), lazy.bands()) == (fp, expected) and lazy.made
