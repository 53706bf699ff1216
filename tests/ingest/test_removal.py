"""Pure removal and re-check rules: redirects away, soft 404 pages, the decaying schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syndicate.ingest.lifecycle import RECHECK_AGES, is_recent, next_due
from syndicate.ingest.removal import not_found_text, redirected_away, soft_404

H = "http://x.test"
ARTICLE = f"{H}/berita/jembatan-penghubung-desa-di-bone-bolango-rampung-dibangun"


def page(title: str, body: str, head: str = "") -> str:
    return f"<html><head><title>{title}</title>{head}</head><body>{body}</body></html>"


def test_a_redirect_to_the_home_page_or_a_section_is_a_removal() -> None:
    assert redirected_away(ARTICLE, f"{H}/") == "home page"
    assert redirected_away(ARTICLE, f"{H}/index.php") == "home page"
    assert redirected_away(ARTICLE, f"{H}/berita") == "section listing"
    assert redirected_away(f"{H}/2026/01/05/apel-kerja-perdana/", f"{H}/2026/01/") == (
        "section listing"
    )
    assert redirected_away(f"{H}/read/2026/01/05/5540/a-b-c", f"{H}/kanal/daerah") == (
        "section listing"
    )


def test_a_redirect_to_the_article_itself_or_another_article_is_not() -> None:
    assert redirected_away(ARTICLE, ARTICLE) is None
    assert redirected_away(ARTICLE, ARTICLE + "/") is None
    assert redirected_away(ARTICLE, ARTICLE.replace("http:", "https:")) is None
    assert (
        redirected_away(f"{H}/read/5540", f"{H}/read/2026/01/08/5540/bolmong-utara-siapkan") is None
    )
    assert redirected_away(f"{H}/?p=2481", f"{H}/2026/01/05/apel-kerja-perdana-2026/") is None
    assert redirected_away(ARTICLE, f"{H}/berita/jembatan-desa-bone-bolango-rampung-2026") is None


def test_not_found_titles_and_headings_in_indonesian_and_english() -> None:
    for text in (
        "Halaman tidak ditemukan | Pemerintah Provinsi Gorontalo",
        "Halaman yang Anda cari tidak ditemukan",
        "Berita tidak tersedia - Portal",
        "Page not found – My News",
        "404 Not Found",
        "Error 404",
        "Oops!",
        "Tidak Ditemukan",
    ):
        assert not_found_text(text), text
    for text in (
        "Nelayan Hilang di Perairan Lembeh Tidak Ditemukan Setelah Tiga Hari",
        "404 Warga Terima Bantuan Beras",
        "Pemkot Bitung Gelar Apel Kerja Perdana",
    ):
        assert not not_found_text(text), text


def test_a_200_not_found_page_is_a_soft_404() -> None:
    html = page(
        "Halaman tidak ditemukan | Pemerintah Provinsi Gorontalo",
        "<nav>Beranda Profil Berita</nav><main><h1>Halaman tidak ditemukan</h1>"
        "<p>Halaman yang diminta tidak dapat ditemukan.</p></main>"
        "<aside><h2>Berita Terkini</h2><a href='/berita/x'>Harga Beras Stabil</a></aside>",
    )
    assert soft_404(html)
    assert soft_404(html, "Jembatan Penghubung Desa di Bone Bolango Rampung Dibangun")


def test_a_news_page_is_not_a_soft_404() -> None:
    body = " ".join(["Warga desa menyambut jembatan baru dengan gembira."] * 30)
    html = page(
        "Nelayan Hilang Tidak Ditemukan | Portal",
        f"<main><h1>Nelayan Hilang Tidak Ditemukan Setelah Tiga Hari Pencarian</h1><p>{body}</p></main>",
    )
    assert not soft_404(html)
    assert not soft_404(html, "Nelayan Hilang Tidak Ditemukan Setelah Tiga Hari Pencarian")


def test_a_near_empty_page_without_the_article_is_gone_only_for_a_known_article() -> None:
    html = page("Portal Berita", "<main><p>Selamat datang di portal kami.</p></main>")
    assert not soft_404(html)  # never seen: the extractor decides whether it is an article
    assert soft_404(html, "Jembatan Penghubung Desa Rampung")
    short = page(
        "Jembatan Penghubung Desa Rampung",
        "<main><h1>Jembatan Penghubung Desa Rampung</h1><p>Singkat saja.</p></main>",
    )
    assert not soft_404(short, "Jembatan Penghubung Desa Rampung")  # still shows its title
    marked = page("Portal", "<article><p>Singkat.</p></article>")
    assert not soft_404(marked, "Jembatan Penghubung Desa Rampung")


def test_the_recheck_schedule_decays_and_ends_after_seven_days() -> None:
    start = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    dues = []
    done, now = 0, start
    while (due := next_due(start, now, done)) is not None:
        dues.append(due - start)
        done, now = done + 1, due
    assert dues == list(RECHECK_AGES)
    assert dues[:4] == [timedelta(hours=h) for h in (1, 3, 9, 24)]
    assert dues[-1] == timedelta(days=7)
    # A check done early (a listing changed) still moves on one step; a late one skips ahead.
    assert next_due(start, start + timedelta(minutes=5), 1) == start + timedelta(hours=3)
    assert next_due(start, start + timedelta(hours=10), 1) == start + timedelta(hours=24)
    assert next_due(start, start + timedelta(days=8), 1) is None


def test_recent_is_measured_against_the_sources_newest_article() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    newest = datetime(2026, 1, 10, tzinfo=UTC)  # an archive (or a corpus) from January
    assert is_recent(datetime(2026, 1, 5, tzinfo=UTC), newest, now)
    assert not is_recent(datetime(2025, 12, 20, tzinfo=UTC), newest, now)
    assert is_recent(now - timedelta(days=2), None, now)
    assert not is_recent(now - timedelta(days=9), now, now)
    assert not is_recent(None, newest, now)
