"""normalize/boilerplate.py, its public helpers: what is never article text, in the tree
(prune_page) and among the body's blocks (clean_blocks). Which container is the body is
test_body.py's."""

import lxml.html

from syndicate.normalize.body import Block
from syndicate.normalize.boilerplate import CAPTION, NOISE, RELATED, clean_blocks, prune_page

STORY = "Pemerintah Kota Bitung menyalurkan bantuan beras kepada nelayan di Kecamatan Lembeh. " * 3


def _p(text: str, kind: str = "p") -> Block:
    return Block(kind, f"<{kind}>{text}</{kind}>", text)


def _texts(blocks: list[Block]) -> list[str]:
    return [b.text for b in blocks]


def test_baca_juga_line_and_the_list_after_it_go():
    blocks = [
        _p(STORY),
        _p("Baca Juga:"),
        _p("Harga cabai naik di Pasar Girian", "ul"),
        _p("Baca Juga: Wali kota tinjau pelabuhan"),
        _p("Bantuan berikutnya disalurkan bulan depan, kata kepala dinas perikanan."),
    ]
    kept, _bylines = clean_blocks(blocks)
    assert _texts(kept) == [
        STORY,
        "Bantuan berikutnya disalurkan bulan depan, kata kepala dinas perikanan.",
    ]


def test_bylines_at_either_end_are_returned_not_kept():
    blocks = [
        _p("Peliput : ical"),
        _p(STORY),
        _p("Penyaluran diawasi aparat kelurahan setempat sejak pagi hari."),
        _p("Editor: Meity Wowor"),
    ]
    kept, bylines = clean_blocks(blocks)
    assert _texts(kept) == [STORY, "Penyaluran diawasi aparat kelurahan setempat sejak pagi hari."]
    assert [(b.authors, b.editor) for b in bylines] == [(["ical"], None), ([], "Meity Wowor")]


def test_a_byline_word_inside_the_story_stays():
    line = "Bantuan diserahkan oleh Wali Kota Bitung kepada ketua kelompok nelayan."
    kept, bylines = clean_blocks([_p(STORY), _p(line), _p(STORY)])
    assert line in _texts(kept) and bylines == []


def test_noise_credit_promo_and_the_repeated_title_go():
    blocks = [
        _p("Bantuan beras untuk nelayan Lembeh"),
        _p(STORY),
        _p("ADVERTISEMENT"),
        _p("Dibaca: 1.204 kali"),
        _p("Nelayan menyambut baik bantuan tersebut."),
        _p("(ical/sp)"),
        _p("Ikuti berita terkini DetailNews.id di Google News"),
    ]
    kept, _ = clean_blocks(blocks, title="Bantuan beras untuk nelayan Lembeh")
    assert _texts(kept) == [STORY, "Nelayan menyambut baik bantuan tersebut."]


def test_a_caption_moves_to_its_figure():
    fig = Block("figure", '<figure><img src="https://x.id/u/beras.jpg"></figure>', "")
    kept, _ = clean_blocks([fig, _p("Foto: Penyaluran beras di Lembeh (Dok. Pemkot)"), _p(STORY)])
    assert kept[0] is fig and fig.caption == "Foto: Penyaluran beras di Lembeh (Dok. Pemkot)"
    assert _texts(kept[1:]) == [STORY]


def test_patterns():
    assert RELATED.match("Baca juga : Harga cabai naik") and not RELATED.match("Bacaan doa")
    assert NOISE.match("Tags: bitung, nelayan") and NOISE.match("© 2026 DetailNews.id")
    assert not NOISE.match("Tagihan listrik naik")
    assert CAPTION.match("Foto: Dok. Pemkot Bitung") and not CAPTION.match("Fotografer lokal")


def test_prune_page_drops_share_bars_scripts_and_hidden_boxes_but_keeps_the_story():
    body = lxml.html.fromstring(
        "<body><div class='post'><p>" + STORY + "</p>"
        "<div class='share-buttons'><a href='https://wa.me/?t=x'>WhatsApp</a></div>"
        "<script>var iklan = 1;</script><div style='display:none'>tersembunyi</div>"
        "<div class='related-posts'><a href='/b'>Berita lain</a></div>"
        "<iframe src='https://www.youtube.com/embed/abc123'></iframe></div></body>"
    )
    prune_page(body, set())
    html = lxml.html.tostring(body, encoding="unicode")
    assert STORY.strip() in body.text_content()
    for gone in ("WhatsApp", "iklan", "tersembunyi", "Berita lain", "<iframe"):
        assert gone not in html
    assert body.xpath("//p[@data-embed='Video']")  # the video stays, as a marked link


def test_prune_page_never_drops_a_protected_box():
    body = lxml.html.fromstring(
        "<body><div class='widget'><div class='isi'><p>" + STORY + "</p></div></div>"
        "<div class='widget'><a href='/x'>Populer</a></div></body>"
    )
    isi = body.find(".//div[@class='isi']")
    prune_page(body, {isi, *isi.iterancestors()})
    assert STORY.strip() in body.text_content() and "Populer" not in body.text_content()


def test_a_run_of_trailers_at_the_end_goes_in_any_language():
    # Copyright, subscribe/follow/support calls, photo credits, share and comment prompts,
    # category lines, contact lines and related headings close a page, not its article.
    last = "Die Feuerwehr war mit 40 Kräften vor Ort, verletzt wurde niemand."
    trailers = [
        "Titelbild: Geyres Christophe/ABACA/picture-alliance",
        "Siguenos en Telegram, Instagram, Facebook y Twitter para recibir todas las novedades",
        "Follow The Gleaner on Twitter and Instagram @JamaicaGleaner.",
        "Subscribe now to our eNATION edition for the full story.",
        "Möchten Sie den Artikel teilen?",
        "Keine Kommentare (Kommentare erscheinen erst nach unserer Freigabe)",
        "Kategorie: News, open3",
        "Felix Losada E-Mail: presse@example.org Telefon: +49 40 300 30",
        "Das Thema könnte dich auch interessieren:",
        "© 2022, Example News. This article is the copyrighted property of Example News.",
    ]
    kept, _ = clean_blocks([_p(STORY), _p(last), *(_p(t) for t in trailers)])
    assert _texts(kept) == [STORY, last]


def test_trailer_words_inside_the_body_or_in_long_text_stay():
    # Only the last few blocks are looked at: the same words earlier in the body, or in a
    # long closing paragraph, are the article's.
    mid = "Warga diminta mengikuti informasi resmi; subscribe tidak diperlukan untuk membaca."
    more = [
        f"Paragraf {i}: nelayan Lembeh menunggu bantuan berikutnya dari dinas." for i in range(4)
    ]
    long_end = "Kepala dinas mengatakan newsletter warga akan terbit tiap bulan. " * 6
    blocks = [_p(STORY), _p(mid), *(_p(t) for t in more), _p(long_end)]
    kept, _ = clean_blocks(blocks)
    assert _texts(kept) == [STORY, mid, *more, long_end]


def test_a_trailer_among_the_last_blocks_goes_even_between_others():
    # A share prompt above a rating line that is no trailer: the prompt still goes.
    last = "Die Feuerwehr war mit 40 Kräften vor Ort, verletzt wurde niemand."
    rating = "4,73 von 5 bei 95 Stimmen"
    blocks = [_p(STORY), _p(last), _p("Möchten Sie den Artikel teilen?"), _p(rating)]
    kept, _ = clean_blocks(blocks)
    assert _texts(kept) == [STORY, last, rating]


def test_datelines_and_disclosures_among_the_first_blocks_go():
    # The page's date shown again in the text box, a dated note and an affiliate disclosure
    # are the page's; a date inside a sentence is the article's.
    dated = "Pada 8 Januari 2026 warga Lembeh menerima bantuan beras dari pemerintah kota."
    blocks = [
        _p("Anzeige, enthält Affiliate Links"),
        _p("31.10.2023 14:08"),
        _p("Aktualisiert: 11.04.2020, 10:27"),
        _p(dated),
        _p(STORY),
        _p("Stand: 25.01.2022"),
    ]
    kept, _ = clean_blocks(blocks)
    assert _texts(kept) == [dated, STORY]


def test_closing_prose_with_trailer_like_verbs_stays():
    # "unterstütze" as a verb and "download the script" are prose, not a call to support the
    # outlet or to get its app.
    ends = [
        "Zwei Jahre zuvor hat er erklärt, dass er die Therapie bei Kindern unterstütze.",
        "You can clone or download the entire script over at the git repo.",
    ]
    kept, _ = clean_blocks([_p(STORY), *(_p(t) for t in ends)])
    assert _texts(kept) == [STORY, *ends]


def test_pointer_label_and_credit_lines_anywhere_in_the_body_go():
    # "Lesen Sie auch", "PUEDES VER: ...", a bare "Anzeige", "Weitere Informationen" and a
    # credit or source line are the page's, wherever they stand.
    blocks = [
        _p(STORY),
        _p("PUEDES VER: ¿Qué es la Sunedu y para qué sirve?"),
        _p("- Anzeige-"),
        _p("(Bild: Dieter Stork)"),
        _p("Lesen Sie auch"),
        _p("Weitere Informationen"),
        _p("Quelle: dpa-AFX"),
        _p(STORY + " Bantuan kedua menyusul."),
        _p("Penyaluran diawasi aparat kelurahan setempat sejak pagi hari."),
        _p("Para nelayan menyambut baik bantuan tersebut, kata ketua kelompok nelayan."),
        _p("Bantuan berikutnya disalurkan bulan depan, kata kepala dinas perikanan."),
    ]
    kept, _ = clean_blocks(blocks)
    assert _texts(kept) == [STORY, *_texts(blocks[7:])]


def test_post_meta_citation_and_app_lines_at_the_end_go():
    # The blog engine's line under a post (even a long one), a suggested citation, a call to
    # subscribe in Polish and an app-store pointer close the page, not the article.
    last = "Die Feuerwehr war mit 40 Kräften vor Ort, verletzt wurde niemand."
    meta = (
        "Der Beitrag wurde am Mittwoch, den 27. November 2019 um 15:21 Uhr veröffentlicht und "
        "wurde unter Allgemein, Termine abgelegt. Du kannst die Kommentare zu diesem Eintrag "
        "durch den RSS-Feed verfolgen. Du kannst einen Kommentar schreiben, oder einen Trackback "
        "auf deiner Seite einrichten. Kommentare und Pings sind derzeit geschlossen."
    )
    trailers = [
        "SUGGESTED CITATION Sauer, Heiko: Expert*innen in der Krise, VerfBlog, 2020/4/09.",
        "Zapraszamy też do subskrypcji tygodnika w Sieci Przyjaciół.",
        "Lesen Sie das Magazin digital in der App (iTunes und Google Play).",
        meta,
    ]
    kept, _ = clean_blocks([_p(STORY), _p(last), *(_p(t) for t in trailers)])
    assert _texts(kept) == [STORY, last]


def test_short_signup_calls_and_photographer_credits_go_anywhere():
    blocks = [
        _p(STORY),
        _p("Never miss the latest news by signing up to our newsletter today!"),
        _p("Photograph by Ed Marshall, Redonda Restoration Programme"),
        _p("Penyaluran diawasi aparat kelurahan setempat sejak pagi hari."),
        _p("Para nelayan menyambut baik bantuan tersebut, kata ketua kelompok nelayan."),
        _p("Bantuan berikutnya disalurkan bulan depan, kata kepala dinas perikanan."),
        _p("Dinas mencatat 120 keluarga nelayan menerima bantuan tahap pertama ini."),
    ]
    kept, _ = clean_blocks(blocks)
    assert _texts(kept) == [STORY, *_texts(blocks[3:])]


def test_rights_credits_consent_placeholders_and_file_sizes_go():
    # A picture's "© Agency" line, an embed's consent placeholder and a download's file size
    # are the page's wherever they stand; an author/contact label closing the body goes too.
    blocks = [
        _p(STORY),
        _p("Marco Odermatt, Ski-Star aus der Schweiz. © AFP / MARCO BERTORELLO"),
        _p("Klicken Sie auf den unteren Button, um den Inhalt von www.example.de zu laden."),
        _p("Informationsschreiben vom 14. Oktober 2021 PDF | 38 KB | Datei ist nicht barrierefrei"),
        _p("Penyaluran diawasi aparat kelurahan setempat sejak pagi hari."),
        _p("Para nelayan menyambut baik bantuan tersebut, kata ketua kelompok nelayan."),
        _p("Bantuan berikutnya disalurkan bulan depan, kata kepala dinas perikanan."),
        _p("Dinas mencatat 120 keluarga nelayan menerima bantuan tahap pertama ini."),
        _p("Über den Autor"),
    ]
    kept, _ = clean_blocks(blocks)
    assert _texts(kept) == [STORY, *_texts(blocks[4:8])]


def test_figure_labels_and_zoom_prompts_are_captions():
    # "Abbildung 8: ...", "Figure 2: ..." and a zoom button's "Vergrößern" before a caption
    # describe a picture, not the text.
    blocks = [
        _p(STORY),
        _p("Abbildung 8: Vorgehensweise für grosse Ereignisse"),
        _p("Vergrößern Eine kleine runde Aussparung für die Kamera im Display."),
        _p("Figure 2: Monthly rainfall in the district"),
        _p("Penyaluran diawasi aparat kelurahan setempat sejak pagi hari."),
    ]
    kept, _ = clean_blocks(blocks)
    assert _texts(kept) == [STORY, "Penyaluran diawasi aparat kelurahan setempat sejak pagi hari."]
