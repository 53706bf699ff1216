"""normalize/authors.py: what one labelled byline line says, and clean author names."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.normalize.authors import (
    BYLINE_HINT,
    clean_name,
    has_byline_label,
    is_generic,
    normalize_authors,
    parse_byline,
    split_names,
)


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
        ("Pewarta: Budi Santoso Editor: Sari Dewi", ["Budi Santoso"], "Sari Dewi"),
        ("Kontributor Palu, Riko Pangemanan", ["Riko Pangemanan"], None),
        ("Laporan Wartawan DetailNews.id, Stevi Rumengan", ["Stevi Rumengan"], None),
        ("Penulis: Budi Santoso Tanggal: 08 Januari 2026", ["Budi Santoso"], None),
        ("Reporter: Andi Saputra - detikSulsel", ["Andi Saputra"], None),
    ],
)
def test_bylines(line, authors, editor):
    by = parse_byline(line)
    assert by.authors == authors and by.editor == editor


def test_not_bylines():
    assert parse_byline("Apel dipimpin oleh Wali Kota Bitung") is None
    assert parse_byline("Laporan Khusus: Nelayan Perbatasan") is None
    assert parse_byline("Laporan keuangan daerah dibahas DPRD") is None
    assert parse_byline("x" * 300) is None


def test_a_label_standing_alone_takes_the_next_elements_text():
    assert parse_byline("Diposting oleh ", "Stevi Rumengan").authors == ["Stevi Rumengan"]


@pytest.mark.parametrize(
    "line",
    [
        "Oleh: Nama8/1/2026 10:10",  # <span>Oleh: <a>Nama</a></span><span>8/1/2026 10:10</span>
        "Oleh: Nama, Kamis 8 Januari 2026",
        "Oleh: Nama kemarin 10.15",
        "Oleh: Nama · sejam yang lalu",
        "Oleh: Nama | 2 jam yang lalu",
        "Diposting oleh Nama di 19.40",
    ],
)
def test_a_byline_next_to_other_inline_text_gives_the_name_alone(line):
    assert parse_byline(line).authors == ["Nama"]


def test_the_outlet_is_not_a_person():
    assert parse_byline("Penulis: LintasMaluku.id") is None


def test_strength_tells_a_reporter_from_a_posting_account():
    assert parse_byline("Penulis: Andi Wijaya").strength == 2
    assert parse_byline("Oleh: Andi Wijaya").strength == 1
    by = parse_byline("Diposting oleh Admin | Penulis: Andi Wijaya")
    assert (by.authors, by.strength) == (["Andi Wijaya"], 2)


def test_clean_name_strips_titles_degrees_and_fixes_all_caps():
    assert clean_name("Drs. H. Maurits Mantiri, M.M.") == "Maurits Mantiri"
    assert clean_name("RENDY MAKALEW (rm)") == "Rendy Makalew"
    assert clean_name("ical") == "ical"  # a nickname stays as the outlet signs it
    assert clean_name("Andi Saputra – Manado") == "Andi Saputra"  # the place after a spaced dash
    assert clean_name("Siti Nur-Aini") == "Siti Nur-Aini"


def test_split_names():
    assert split_names("Faisal Mokoginta, Fernando Tulung & Rendy") == [
        "Faisal Mokoginta",
        "Fernando Tulung",
        "Rendy",
    ]
    assert split_names("Hengky Honandar, S.E. dan hengky honandar") == ["Hengky Honandar"]


def test_normalize_and_generic():
    assert normalize_authors(["Oleh: Redaksi", "redaksi"]) == ["Redaksi"]
    assert normalize_authors("A & B") == ["A", "B"]
    assert normalize_authors(None) == []
    assert is_generic("Admin SulutAktual") and is_generic("Redaksi")
    assert is_generic("DetailNews.id", "DetailNews.id") and not is_generic("ical")


def test_a_bracketed_byline_closing_the_text():
    assert parse_byline("(Reporter: Rendy Makalew)").authors == ["Rendy Makalew"]
    assert parse_byline("(ical/sp)") is None


@pytest.mark.parametrize(
    "text",
    [
        "Oleh: Budi",
        "PENULİS: Ali",  # Turkish capital dotted I: re.I matches it with "i"
        "penulıs: Ali",  # dotless i
        "Diedit oleh Sari",
        "Laporan: Rendy",
        "Penanggung Jawab: X",
        "Written BY Ann",
        "baby nearby",  # the word inside others: no label
        "Redaksi",
        "",
        "Bitung, 8 Januari 2026",
    ],
)
def test_has_byline_label_answers_as_the_hint_regex(text: str) -> None:
    assert has_byline_label(text) == bool(BYLINE_HINT.search(text))


_LABELISH = st.text(
    alphabet=st.sampled_from(list("byolehditrkapnsuwjcBYOLEHDITRKAPNSUWJ İıſK:-. \n")),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(_LABELISH)
def test_has_byline_label_never_disagrees_with_the_hint_regex(text: str) -> None:
    assert has_byline_label(text) == bool(BYLINE_HINT.search(text))
