"""normalize/datelines.py: the dateline that opens an article is taken out of the text and kept."""

import lxml.html
import pytest

from syndicate.normalize.datelines import split_dateline, take_dateline


@pytest.mark.parametrize(
    ("text", "dateline", "rest"),
    [
        ("BITUNG – Pemerintah kota menggelar apel.", "BITUNG –", "Pemerintah kota menggelar apel."),
        (
            "DetailNews.id, Bitung — Wali kota meninjau pasar.",
            "DetailNews.id, Bitung —",
            "Wali kota meninjau pasar.",
        ),
        ("PALU, KABARSULAWESI.com - Hujan deras.", "PALU, KABARSULAWESI.com -", "Hujan deras."),
        ("Manokwari (NusaNews) – Warga antre.", "Manokwari (NusaNews) –", "Warga antre."),
        ("Bitung, DetailNews.id – Wali kota hadir.", "Bitung, DetailNews.id –", "Wali kota hadir."),
        ("Jakarta, CNN Indonesia -- Harga naik.", "Jakarta, CNN Indonesia --", "Harga naik."),
        ("JAKARTA, 8/1/2026 - Harga naik.", "JAKARTA, 8/1/2026 -", "Harga naik."),
        ("Bitung, 8 Januari 2026 — Harga naik.", "Bitung, 8 Januari 2026 —", "Harga naik."),
        ("BITUNG—Harga naik.", "BITUNG—", "Harga naik."),
    ],
)
def test_split_dateline(text, dateline, rest):
    assert split_dateline(text) == (dateline, rest)


@pytest.mark.parametrize(
    "text",
    [
        "Pemerintah Kota Bitung – bersama warga – menggelar apel.",  # a dash inside a sentence
        "Warga Bitung antre minyak tanah sejak pagi.",
        "Menurut Kepala Dinas, Budi Santoso - yang baru dilantik - harga turun.",
        "Ia, Budi - kata warga - datang pagi.",
    ],
)
def test_no_dateline(text):
    assert split_dateline(text) == (None, text)


def _box(inner: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(f"<div class='isi'>{inner}</div>")


def test_bold_dateline_is_taken_out_of_the_first_paragraph():
    box = _box("<p><strong>TONDANO</strong> – Banjir merendam tiga kelurahan.</p><p>Dua.</p>")
    assert take_dateline(box) == "TONDANO –"
    assert box.text_content() == "Banjir merendam tiga kelurahan.Dua."


def test_bold_dateline_ending_in_its_dash():
    box = _box("<p><b>MANADO -</b> Harga cabai naik.</p>")
    assert take_dateline(box) == "MANADO -"
    assert box.findtext("p") == "Harga cabai naik."


def test_caption_and_byline_before_the_first_paragraph_are_skipped():
    box = _box(
        "<figure><img src='/a.jpg'><figcaption>BITUNG – Foto suasana pasar</figcaption></figure>"
        "<p>Foto: Dok. Pemkot</p><p>Peliput : ical</p>"
        "<p>DetailNews.id, Bitung — Wali kota meninjau pasar.</p>"
    )
    assert take_dateline(box) == "DetailNews.id, Bitung —"
    assert "Wali kota meninjau pasar." in box.text_content()
    assert "BITUNG – Foto" in box.text_content()  # the caption is left as it was


def test_only_the_first_paragraph_can_hold_it():
    box = _box("<p>Warga antre sejak pagi.</p><p>BITUNG – Kalimat kedua.</p>")
    assert take_dateline(box) is None
    assert "BITUNG – Kalimat kedua." in box.text_content()
