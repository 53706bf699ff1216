"""Authors, encodings and multi-page helpers."""

import pytest

from syndicate.models import Entry
from syndicate.normalize.authors import is_generic, normalize_authors, parse_byline
from syndicate.normalize.encoding import decode_html, repair_mojibake
from syndicate.normalize.extract import merge_pages, next_page_url


@pytest.mark.parametrize(
    ("line", "authors", "editor"),
    [
        ("Peliput : ical", ["ical"], None),
        ("Penulis: Christian Lolong | Editor: Meity Wowor", ["Christian Lolong"], "Meity Wowor"),
        (
            "Rabu, 07 Januari 2026 - 16:45 WITA \xa0|\xa0 Penulis : Diskominfo Bitung \xa0|\xa0 Dibaca 352 kali",
            ["Diskominfo Bitung"],
            None,
        ),
        ("Oleh: Dr. Hengky Honandar, S.E., M.Si", ["Hengky Honandar"], None),
        (
            "Reporter: Faisal Mokoginta (ical), Fernando Tulung dan RENDY MAKALEW",
            ["Faisal Mokoginta", "Fernando Tulung", "Rendy Makalew"],
            None,
        ),
    ],
)
def test_bylines(line, authors, editor):
    by = parse_byline(line)
    assert by.authors == authors and by.editor == editor


def test_not_bylines():
    assert parse_byline("Apel dipimpin oleh Wali Kota Bitung") is None
    assert parse_byline("Laporan Khusus: Nelayan Perbatasan") is None
    assert parse_byline("Diposting oleh ", "Stevi Rumengan").authors == ["Stevi Rumengan"]


def test_normalize_and_generic():
    assert normalize_authors(["Oleh: Redaksi", "redaksi"]) == ["Redaksi"]
    assert normalize_authors("A & B") == ["A", "B"]
    assert is_generic("Admin SulutAktual") and is_generic("Redaksi")
    assert is_generic("DetailNews.id", "DetailNews.id") and not is_generic("ical")


def test_decode_variants():
    text = "<p>“Kami” – kata Welly, café</p>"
    assert decode_html(text.encode("cp1252"), "utf-8") == text  # windows-1252 declared UTF-8
    assert decode_html(text.encode("utf-8"), "iso-8859-1") == text  # UTF-8 declared latin-1
    assert decode_html(b"\xef\xbb\xbf" + text.encode("utf-8"), None) == text
    assert repair_mojibake(text.encode("utf-8").decode("cp1252", errors="ignore")) != ""
    assert repair_mojibake("â€“ tanda") == "– tanda"


def test_next_page_from_links():
    html = (
        '<html><head></head><body><div class="jeg_pagelinks"><span class="current">1</span>'
        '<a href="/slug/2/">2</a></div><a href="/slug/2/">Halaman selanjutnya</a></body></html>'
    )
    assert next_page_url(html, "http://h/slug/") == "http://h/slug/2/"
    assert next_page_url("<html><body><p>x</p></body></html>", "http://h/slug/") is None


def test_merge_pages_keeps_page_one_metadata():
    a = Entry(
        url="http://h/s/",
        title="T",
        content_text="one",
        content_html="<p>one</p>",
        tags=["A"],
        authors=["X"],
    )
    b = Entry(
        url="http://h/s/2/",
        title="T - Halaman 2",
        content_text="two",
        content_html="<p>two</p>",
        tags=["a", "B"],
    )
    m = merge_pages([a, b])
    assert (
        m.title == "T"
        and m.content_text == "one\n\ntwo"
        and m.tags == ["A", "B"]
        and m.authors == ["X"]
    )
