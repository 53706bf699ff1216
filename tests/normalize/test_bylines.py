"""normalize/bylines.py + authors.py: who wrote it, from real-looking byline markup."""

from syndicate.normalize.authors import parse_byline
from syndicate.normalize.extract import extract_article

PARA = "<p>" + "Warga Tondano membersihkan saluran air setelah banjir, kata lurah setempat. " * 3
PARA += "</p>"


def _page(meta_line: str) -> str:
    return (
        '<html><head><meta name="author" content="Redaksi"></head><body><article>'
        f"<h1>Warga bersihkan saluran</h1><div class='meta'>{meta_line}</div>"
        f"<div class='isi'>{PARA}{PARA}</div></article></body></html>"
    )


def test_byline_beside_a_date_in_the_next_inline_box_gives_the_name_alone():
    line = '<span>Oleh: <a href="/penulis/nama">Nama</a></span><span>8/1/2026 10:10</span>'
    entry = extract_article(_page(line), "https://x.id/a")
    assert entry.authors == ["Nama"]


def test_byline_then_weekday_and_date():
    assert parse_byline("Oleh: Budi Santoso, Kamis 8 Januari 2026").authors == ["Budi Santoso"]


def test_laporan_label_names_the_reporter_over_a_shared_account():
    line = '<div class="post-author">Laporan: <a href="/penulis/r">Rifaldi Paputungan</a></div>'
    entry = extract_article(_page(line), "https://x.id/a")
    assert entry.authors == ["Rifaldi Paputungan"]


def test_laporan_as_an_ordinary_word_is_not_a_byline():
    assert parse_byline("Laporan keuangan daerah dibahas DPRD") is None


def test_writer_and_editor_on_one_line():
    by = parse_byline("Penulis: Andi Wijaya | Editor: Sari")
    assert (by.authors, by.editor, by.strength) == (["Andi Wijaya"], "Sari", 2)
