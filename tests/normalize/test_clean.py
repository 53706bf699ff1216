"""Each cleaning rule on small snippets copied from the corpus pages."""

from syndicate.normalize.clean import html_paragraphs, sanitize_html
from syndicate.normalize.extract import extract_article

BASE = "http://127.0.0.1:8000"
URL = BASE + "/2026/01/05/apel/"


def page(body: str, head: str = "") -> str:
    return (
        f"<html><head><title>Judul Berita Apel Kerja - Situs</title>{head}</head><body>"
        "<h1>Judul Berita Apel Kerja</h1>" + body + "</body></html>"
    )


PARAS = "".join(
    f"<p>Paragraf isi berita nomor {i}, berisi kalimat yang cukup panjang tentang Pemkot Bitung, ASN, dan disiplin.</p>"
    for i in range(4)
)


def test_bold_dateline_and_trailing_byline_detailnews():
    html = page(
        '<div class="td-post-content tagdiv-type"><p><strong>DetailNews.id, Bitung —</strong> Pemerintah Kota (Pemkot) '
        "Bitung menggelar apel kerja perdana Tahun 2026, Senin (5/1/2026).</p>"
        + PARAS
        + "<p>Peliput : ical</p></div>"
    )
    e = extract_article(html, URL)
    assert e.dateline == "DetailNews.id, Bitung —"
    assert e.content_text.startswith("Pemerintah Kota (Pemkot) Bitung")
    assert e.authors == ["ical"] and e.rules["authors"] == "byline"
    assert "Peliput" not in e.content_text and "Peliput" not in e.content_html


def test_baca_juga_inline_and_box():
    html = page(
        "<div class=isi>"
        + PARAS
        + '<p><strong>Baca Juga:</strong> <a href="/2026/01/02/x/">Perbaikan Jalan di Girian Weru</a></p>'
        '<div class="bacajuga"><font color=red><b>BACA JUGA :</b></font><ul><li><a href=/berita/3317/x.html>Panitia Pilkades</a></ul></div>'
        "<p>Baca juga: Harga cabai naik</p>" + PARAS + "</div>"
    )
    e = extract_article(html, URL)
    assert "baca juga" not in e.content_text.lower()
    assert "Pilkades" not in e.content_text and "Girian" not in e.content_text


def test_byline_and_editor_first_line_sulutaktual():
    html = page(
        '<div class="entry-content no-share"><div class="content-inner "><p><strong>Penulis: Nike Lumempouw | Editor: Ardi Sumual</strong></p>'
        "<p><strong>MANADO, SulutAktual.com –</strong> Dinas Kesehatan Provinsi Sulawesi Utara menggelar skrining TBC massal.</p>"
        + PARAS
        + '<div class="jeg_ad jeg_ad_article"><div class="ads-text">ADVERTISEMENT</div></div>'
        '<div class="jeg_pagelinks"><span>Halaman</span> <span class="current">1</span><a href="2/">2</a></div></div></div>'
    )
    e = extract_article(html, URL)
    assert e.authors == ["Nike Lumempouw"] and e.editor == "Ardi Sumual"
    assert e.dateline == "MANADO, SulutAktual.com –"
    assert "ADVERTISEMENT" not in e.content_text and "Halaman" not in e.content_text
    assert "Penulis" not in e.content_text


def test_caption_kept_in_html_not_text_kabarkito():
    html = page(
        '<div class=\'post-body entry-content\'><div class="separator"><a href="/img/b/X/AV/s1600/a.jpg">'
        '<img src="/img/b/X/AV/w640-h360/a.jpg" width="640" height="360" /></a></div>'
        '<div style="text-align: center;"><i><span style="font-size: x-small;">Foto: Dok. KabarKito</span></i></div>'
        '<div><br /></div><div style="text-align: justify;"><b>TOMOHON, KabarKito –</b> Warga Kelurahan Kinilow menanam pohon pisang.</div>'
        + PARAS
        + "</div>"
    )
    e = extract_article(html, URL)
    assert "Foto: Dok. KabarKito" not in e.content_text
    assert "<figcaption>Foto: Dok. KabarKito</figcaption>" in e.content_html
    assert e.dateline == "TOMOHON, KabarKito –"
    assert e.image == BASE + "/img/b/X/AV/s1600/a.jpg"  # Blogger original size


def test_lazy_images_relative_urls_bitungkota():
    html = page(
        '<div class="detail-berita"><div class="meta-berita"><i class="fa fa-calendar"></i> Senin, 05 Januari 2026 - 09:30 WITA '
        '&nbsp;|&nbsp; <i class="fa fa-user"></i> Penulis : Diskominfo Bitung &nbsp;|&nbsp; Dibaca 352 kali</div>'
        '<div class="foto-utama"><img class="lazy" src="../../../assets/img/loading.gif" data-src="../../../assets/upload/a.jpg" alt="Armada"></div>'
        '<div class="isi-berita">'
        + PARAS
        + '<p><img src="../../../assets/img/loading.gif" data-src="../../../assets/upload/b.jpg" width="600"></p></div>'
        '<div class="bagikan">Bagikan: <a href="https://www.facebook.com/sharer/sharer.php?u=x">Facebook</a></div></div>'
    )
    e = extract_article(html, BASE + "/berita/baca/1042/slug")
    assert e.image == BASE + "/assets/upload/a.jpg" and e.image_alt == "Armada"
    assert e.published.isoformat() == "2026-01-05T09:30:00+08:00"
    assert e.authors == ["Diskominfo Bitung"]
    assert BASE + "/assets/upload/b.jpg" in e.content_html and "loading.gif" not in e.content_html
    assert "Bagikan" not in e.content_text


def test_scripts_iframes_pixels_and_video():
    html = page(
        "<div class=isi>"
        + PARAS
        + '<script>document.write("x")</script><p onclick="evil()">Teks dengan <a href="/rel">tautan relatif</a> '
        'dan gambar <img src="/p.jpg" srcset="/p-300.jpg 300w, /p-600.jpg 600w" onerror="x()"> yang panjang sekali, ya.</p>'
        '<img src="https://www.facebook.com/tr?id=1" width="1" height="1">'
        '<iframe src="https://www.youtube.com/embed/abcdefghijk"></iframe><iframe src="https://ads.example/x"></iframe>'
        + PARAS
        + "</div>"
    )
    e = extract_article(html, URL)
    h = e.content_html
    assert "<script" not in h and "onclick" not in h and "onerror" not in h and "<iframe" not in h
    assert "facebook.com/tr" not in h
    assert 'href="https://www.youtube.com/watch?v=abcdefghijk"' in h
    assert 'href="http://127.0.0.1:8000/rel"' in h
    assert "http://127.0.0.1:8000/p-300.jpg 300w, http://127.0.0.1:8000/p-600.jpg 600w" in h


def test_br_separated_legacy_paragraphs_nusautara():
    html = page(
        '<div class=isi><img src=/foto.jpg width=640 border=0 alt=""><br><font size=1 color=gray><i>Foto: NusaUtaraNews</i></font><br>'
        "<p><b>BITUNG, NusaUtaraNews –</b> Pemerintah Kota (Pemkot) Bitung menggelar apel kerja perdana."
        "<p>Kalimat kedua yang cukup panjang untuk sebuah paragraf berita, dengan koma.<br><br>"
        "Kalimat ketiga setelah dua baris kosong, juga cukup panjang untuk dihitung.<br><br>"
        '<!-- iklan --><div align=center><script type="text/javascript">google_ad_client = "pub-1";</script></div>'
        + PARAS
        + "</div><div class=tag>Tag: Pemkot Bitung, ASN</div>"
    )
    e = extract_article(html, BASE + "/berita/3311/x.html")
    assert e.dateline == "BITUNG, NusaUtaraNews –"
    assert e.content_text.split("\n\n")[:3] == [
        "Pemerintah Kota (Pemkot) Bitung menggelar apel kerja perdana.",
        "Kalimat kedua yang cukup panjang untuk sebuah paragraf berita, dengan koma.",
        "Kalimat ketiga setelah dua baris kosong, juga cukup panjang untuk dihitung.",
    ]
    assert "google_ad_client" not in e.content_text and "Foto:" not in e.content_text
    assert e.tags == ["Pemkot Bitung", "ASN"]


def test_sanitize_html_keeps_signature():
    out = sanitize_html(
        '<p style="x">a <img data-src="/i.jpg" src="data:image/gif;base64,R0l"></p><script>x</script>',
        BASE + "/a/",
    )
    assert out == f'<p>a <img src="{BASE}/i.jpg"></p>'
    assert html_paragraphs(
        "<p>a</p><figure><img src=x><figcaption>Foto: x</figcaption></figure><p>b</p>"
    ) == ["a", "b"]
