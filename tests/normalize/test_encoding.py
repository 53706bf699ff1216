"""normalize/encoding.py: lying charsets and double-encoded text."""

from syndicate.normalize.encoding import decode_html, repair_mojibake


def test_text_encoded_twice_over_is_repaired():
    # "‘Kopi’ enak" passed through UTF-8 -> cp1252 twice (a CMS import, then a theme).
    broken = "‘Kopi’ enak".encode().decode("cp1252").encode("utf-8").decode("cp1252")
    assert broken.startswith("Ã¢â‚¬Ëœ")
    assert repair_mojibake("Warga berkata " + broken) == "Warga berkata ‘Kopi’ enak"


def test_a_line_with_correct_accents_and_mojibake_is_repaired():
    line = "Café di Manado, kata pemilik: â€œramai sekaliâ€\x9d."
    assert repair_mojibake(line) == "Café di Manado, kata pemilik: “ramai sekali”."


def test_clean_text_is_left_alone():
    text = "Ekspor Rp 1,2 triliun — naik 5% (Ã  la carte bukan mojibake di sini)"
    assert repair_mojibake("Ekspor Rp 1,2 triliun — naik 5%") == "Ekspor Rp 1,2 triliun — naik 5%"
    assert isinstance(repair_mojibake(text), str)


def test_declared_utf8_but_cp1252_bytes():
    body = "<html><body><p>Caf\xe9 \x93Teluk\x94</p></body></html>".encode("latin-1")
    assert "Café “Teluk”" in decode_html(body, "utf-8")


def test_decode_variants():
    text = "<p>“Kami” – kata Welly, café</p>"
    assert decode_html(text.encode("cp1252"), "utf-8") == text  # windows-1252 declared UTF-8
    assert decode_html(text.encode("utf-8"), "iso-8859-1") == text  # UTF-8 declared latin-1
    assert decode_html(b"\xef\xbb\xbf" + text.encode("utf-8"), None) == text
    assert repair_mojibake("â€“ tanda") == "– tanda"


def test_meta_charset_when_the_header_says_nothing():
    body = '<html><head><meta charset="windows-1252"></head><body>Caf\xe9</body></html>'
    assert "Café" in decode_html(body.encode("cp1252"), None)


def test_each_marker_start_still_reaches_the_repair() -> None:
    # The quick look checks for "Ã", "â" and "Â" before the marker regex: each must get through.
    for good in ("Grüße aus Köln", "‘Kopi’ — enak", "« Bonjour »"):
        broken = good.encode().decode("cp1252")
        assert broken[0] in "ÃâÂ" or any(c in broken for c in "ÃâÂ")
        assert repair_mojibake("Warga: " + broken) == "Warga: " + good
    assert repair_mojibake("plain ascii line\n") == "plain ascii line\n"
    assert repair_mojibake("Élève à l'école, café") == "Élève à l'école, café"
    assert decode_html("<p>Grüße</p>".encode().decode("cp1252").encode()) == "<p>Grüße</p>"
