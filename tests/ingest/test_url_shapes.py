"""URL shapes: which links are articles, which are listings, taxonomy pages or assets."""

from __future__ import annotations

from syndicate.ingest.url_shapes import is_article_url, segment_class, shape

H = "http://x.test"


def test_article_urls_by_shape() -> None:
    assert is_article_url(f"{H}/berita/baca/1048/bkpsdm-bitung-gelar-orientasi-bagi-pppk", H)
    assert is_article_url(f"{H}/2026/01/05/apel-kerja-perdana-2026-wali-kota-hengky/", H)
    assert is_article_url(f"{H}/berita/3311/wali-kota-hengky-honandar-pimpin-apel.html", H)
    assert is_article_url(f"{H}/read.php?id=5540", H)  # an id in the query names one article
    for url in (
        f"{H}/tag/banjir-rendam-permukiman-di-ternate/",
        f"{H}/halaman/visi-misi",
        f"{H}/kategori/politik",
        f"{H}/page/2/",
        f"{H}/",
        f"{H}/wp-content/uploads/2026/01/wali-kota-hengky-pimpin-apel-kerja.jpg",
        f"{H}/berita?page=2",
        "http://other.test/2026/01/a-b-c-d-e-f/",
    ):
        assert not is_article_url(url, H), url


def test_segments_and_shapes() -> None:
    assert segment_class("2026") == "9"
    assert segment_class("3311.html") == "9.html"
    assert segment_class("wali-kota-hengky-honandar-pimpin-apel.html") == "S.html"
    assert segment_class("Berita") == "berita"
    # Two articles of one template share a shape; a listing page has another.
    a = shape(f"{H}/berita/3311/wali-kota-hengky-honandar-pimpin-apel.html")
    b = shape(f"{H}/berita/3317/panitia-pilkades-serentak-talaud-dimulai.html")
    assert a == b == "/berita/9/S.html"
    assert shape(f"{H}/index.php?halaman=2&kat=1") == "/index.php?halaman&kat"
