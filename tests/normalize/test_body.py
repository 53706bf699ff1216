"""normalize/body.py: which element holds the body, and the blocks made from it."""

from syndicate.normalize.extract import extract_article

PARA = (
    "Pemerintah kabupaten menyalurkan bantuan beras kepada warga terdampak banjir di tiga "
    "kecamatan, kata kepala dinas sosial, Senin, sambil meninjau posko pengungsian."
)


def _page(body: str) -> str:
    return (
        "<html><head><title>Banjir</title></head><body>"
        '<div class="site-header"><a href="/">Beranda</a> <a href="/daerah">Daerah</a></div>'
        f"{body}"
        '<div class="related"><h3>Berita lain</h3><ul><li><a href="/1">Satu judul lain yang '
        'panjang</a></li><li><a href="/2">Dua judul lain yang panjang</a></li></ul></div>'
        "</body></html>"
    )


def test_live_blog_entries_in_repeated_boxes_are_all_body():
    entries = "".join(
        f'<div class="live-entry" id="e{i}"><div class="entry-time">1{i}:00</div>'
        f'<div class="entry-content"><p>Pembaruan {i}. {PARA}</p><p>{PARA}</p></div></div>'
        for i in range(3)
    )
    entry = extract_article(_page(f'<div class="live-entries">{entries}</div>'), "https://x.id/a")
    for i in range(3):
        assert f"Pembaruan {i}." in entry.content_text
    assert "Berita lain" not in entry.content_text


def test_standfirst_above_the_text_column_is_kept_but_not_the_meta_row():
    body = (
        '<div class="article"><h1>Banjir di Tondano</h1>'
        '<div class="meta">Oleh Budi | 8 Januari 2026</div>'
        '<p class="lead">Ratusan rumah di Tondano terendam setelah hujan deras mengguyur '
        "sejak Minggu malam, dan warga mulai mengungsi.</p>"
        f'<div class="article-text"><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p></div></div>'
    )
    entry = extract_article(_page(body), "https://x.id/a")
    assert entry.content_text.startswith("Ratusan rumah di Tondano terendam")
    assert "Oleh Budi" not in entry.content_text


def test_text_box_cut_by_an_ad_box_joins_again():
    body = (
        f'<div class="post"><div class="post-text"><p>Bagian pertama. {PARA}</p><p>{PARA}</p>'
        '</div><div class="adsense-slot"></div>'
        f'<div class="post-text"><p>Bagian kedua. {PARA}</p><p>{PARA}</p></div></div>'
    )
    entry = extract_article(_page(body), "https://x.id/a")
    assert "Bagian pertama." in entry.content_text
    assert "Bagian kedua." in entry.content_text


def test_closing_update_note_is_not_body_text():
    body = (
        f'<div class="post-text"><p>{PARA}</p><p>{PARA}</p><hr><p><em>Catatan redaksi: Artikel '
        "ini diperbarui pada 9 Januari 2026 untuk memperbaiki data harga.</em></p></div>"
    )
    entry = extract_article(_page(body), "https://x.id/a")
    assert "Catatan redaksi" not in entry.content_text
    assert entry.content_text.endswith("posko pengungsian.")


def test_a_table_of_signatories_does_not_win_over_the_letter_around_it():
    names = "<br>".join(f"Name {i}, University {i}, writer" for i in range(60))
    body = (
        '<div class="letter"><p>Our cultural institutions are facing a moment of trial, and '
        "the free exchange of information is becoming more constricted every day.</p>"
        f"<p>{PARA}</p><p>{PARA}</p><table><tr><td>{names}</td></tr></table></div>"
    )
    entry = extract_article(_page(body), "https://x.id/a")
    assert entry.content_text.startswith("Our cultural institutions are facing")


def test_a_more_on_this_heading_at_the_end_cuts_the_teaser_list():
    teasers = "".join(f'<li><a href="/t{i}">Ein anderer Artikel {i}</a></li>' for i in range(4))
    body = (
        f'<div class="post-text"><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p>'
        f"<h3>Mehr zum Thema</h3><ul>{teasers}</ul></div>"
    )
    entry = extract_article(_page(body), "https://x.id/a")
    assert "Mehr zum Thema" not in entry.content_text
    assert "Ein anderer Artikel" not in entry.content_text


def test_a_short_post_in_a_box_named_after_its_tag_is_not_dropped_as_a_tag_cloud():
    # post_class() adds "tag-<slug>" for each tag; "tag" is also a tag-cloud word. A short post
    # above three footer widgets with more text in all must keep its paragraphs.
    about = "<p>" + "Kabar Kota adalah media daring yang berdiri sejak 2015 di Manado. " * 5
    widgets = "".join(f'<div class="footer-widget">{about}</p></div>' for _ in range(3))
    body = f'<div class="post-7 post tag-banjir"><p>{PARA}</p><p>{PARA}</p></div>{widgets}'
    entry = extract_article(_page(body), "https://x.id/a")
    assert entry.content_text.startswith("Pemerintah kabupaten menyalurkan")


def test_the_standfirst_in_the_article_header_is_body_text_but_not_the_headline_block():
    # <header class="entry-header"> holds the headline, the meta row and the standfirst; it is
    # not a site header and its standfirst opens the body.
    lead = (
        "Ratusan rumah di Tondano terendam setelah hujan deras mengguyur sejak Minggu malam, "
        "dan warga mulai mengungsi ke balai desa."
    )
    body = (
        '<article class="post"><header class="entry-header"><h1>Banjir di Tondano</h1>'
        '<div class="entry-meta">Oleh Budi | 8 Januari 2026</div>'
        f'<p class="standfirst">{lead}</p></header>'
        f'<div class="entry-content"><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p></div></article>'
    )
    entry = extract_article(_page(body), "https://x.id/a")
    assert entry.content_text.startswith("Ratusan rumah di Tondano terendam")
    assert "Oleh Budi" not in entry.content_text
    assert "Banjir di Tondano" not in entry.content_text


def test_lines_and_lists_that_are_all_links_inside_the_text_box_are_not_body_text():
    body = (
        f'<div class="post-text"><p>{PARA} Data dari <a href="/bpbd">BPBD</a> mencatat 300 '
        f"rumah terdampak.</p><p>{PARA}</p>"
        '<ul><li><a href="/a">Banjir bandang di Bolaang Mongondow</a></li>'
        '<li><a href="/b">Jembatan putus di Minahasa Selatan</a></li></ul>'
        f'<p>{PARA}</p><p><a href="/info">Weitere Informationen</a></p></div>'
    )
    entry = extract_article(_page(body), "https://x.id/a")
    assert "Data dari BPBD mencatat 300 rumah terdampak." in entry.content_text
    assert "Banjir bandang" not in entry.content_text
    assert "Weitere Informationen" not in entry.content_text


def test_text_modules_nested_deep_in_a_page_builder_grid_are_all_body():
    def module(text: str) -> str:
        return (
            '<div class="row"><div class="col"><div class="frame"><div class="inner">'
            f'<div class="text">{text}</div></div></div></div></div>'
        )

    body = (
        '<div class="content">'
        + module(f"<p>Bagian pertama. {PARA}</p>")
        + module(f"<p>{PARA}</p><p>{PARA}</p><p>{PARA}</p>")
        + module(f"<p>Bagian ketiga. {PARA}</p><p>{PARA}</p>")
        + "</div>"
    )
    entry = extract_article(_page(body), "https://x.id/a")
    assert "Bagian pertama." in entry.content_text
    assert "Bagian ketiga." in entry.content_text


def test_a_header_repeating_the_declared_description_adds_no_standfirst():
    # Ghost prints the post's custom excerpt (also its meta description) under the headline.
    excerpt = (
        "Di Kakaskasen, puluhan anak belajar membaca dan berhitung sambil merawat kebun sayur."
    )
    html = _page(
        f'<article><header class="gh-article-header"><h1>Sekolah Alam</h1><p>{excerpt}</p>'
        f"<p>Diterbitkan oleh redaksi pada Selasa malam dengan foto dari warga, guru, orang tua dan "
        "relawan "
        f'sekolah.</p></header><section class="gh-content"><p>{PARA}</p><p>{PARA}</p></section>'
        "</article>"
    ).replace("<head>", f'<head><meta name="description" content="{excerpt}">')
    entry = extract_article(html, "https://x.id/a")
    assert "Di Kakaskasen" not in entry.content_text
    assert entry.content_text.startswith("Diterbitkan oleh redaksi")


def test_a_consent_banner_longer_than_a_short_post_is_not_the_body():
    legal = (
        "<p>Wir verwenden Cookies und ähnliche Technologien, um Inhalte zu personalisieren, "
        "Funktionen für soziale Medien anzubieten und die Zugriffe auf unsere Website zu "
        "analysieren, und geben Informationen an Partner weiter, die sie mit weiteren Daten "
        "zusammenführen können, die Sie ihnen bereitgestellt haben.</p>"
    )
    html = _page(
        f'<div class="post"><p>{PARA}</p><p>{PARA}</p></div>'
        f'<div class="cookie-consent-wrap"><h3>Datenschutz</h3>{legal * 3}</div>'
    )
    entry = extract_article(html, "https://x.id/a")
    assert "Cookies" not in entry.content_text
    assert entry.content_text.startswith("Pemerintah kabupaten menyalurkan")


def test_a_short_pick_on_a_page_with_more_text_falls_back_to_trafilatura():
    # An ASP.NET page wraps its content in one <form>; forms are pruned, so our own pick is
    # the short box outside it, under 300 characters: trafilatura reads the page instead.
    lines = "".join(f"<p>Bagian {i}. {PARA}</p>" for i in range(4))
    html = _page(
        '<div class="notice"><p>Kantor pelayanan tutup pada hari libur nasional, dan layanan '
        "daring tetap dibuka seperti biasa untuk semua warga, kata petugas di kantor kecamatan "
        "pada Senin pagi, sambil membagikan selebaran jadwal baru.</p></div>"
        f'<form id="aspnetForm" method="post"><div class="isi">{lines}</div></form>'
    )
    entry = extract_article(html, "https://x.id/a")
    assert "Bagian 3." in entry.content_text


def test_a_pick_holding_under_half_the_pages_paragraphs_falls_back_to_trafilatura():
    # A page built from many one-paragraph modules: the scored box is only the densest one.
    line = (
        "Warga desa menanam kembali bakau di sepanjang pantai utara yang tergerus abrasi "
        "sejak awal tahun dan berharap garis pantai berhenti mundur dalam lima tahun ke depan."
    )
    modules = "".join(f'<div class="module-{i}"><p>Modul {i}. {line}</p></div>' for i in range(6))
    html = _page(
        f'<div class="modules">{modules}</div>'
        f'<div class="teaser"><div class="box"><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p></div></div>'
    )
    entry = extract_article(html, "https://x.id/a")
    assert "Modul 0." in entry.content_text
    assert "Modul 5." in entry.content_text


def test_a_heading_left_over_nothing_at_the_end_is_not_body_text():
    # "Weitere Informationen" over a list of links: the list goes, so must its heading.
    body = (
        f'<div class="post-text"><p>{PARA}</p><p>{PARA}</p><h4>Weitere Informationen</h4>'
        '<ul><li><a href="/a">Pressemitteilung als PDF</a></li>'
        '<li><a href="/b">Bundesprogramm Blaues Band</a></li></ul></div>'
    )
    entry = extract_article(_page(body), "https://x.id/a")
    assert "Weitere Informationen" not in entry.content_text
    assert entry.content_text.endswith("posko pengungsian.")
