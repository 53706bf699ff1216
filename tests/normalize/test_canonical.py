"""normalize/canonical.py: the canonical URL an article page declares (page 1 for page N)."""

from syndicate.normalize.canonical import pick_canonical
from syndicate.normalize.page import parse_page


def _canonical(head: str, url: str = "https://x.id/2026/01/pasar-girian/?utm_source=fb"):
    page = parse_page(f"<html><head>{head}</head><body></body></html>", url)
    return pick_canonical(page)


def test_rel_canonical_beats_og_url_and_is_made_absolute():
    head = '<link rel="canonical" href="/berita/pasar-girian/"><meta property="og:url" content="https://x.id/og">'
    assert _canonical(head) == ("https://x.id/berita/pasar-girian/", "rel-canonical")


def test_no_declared_canonical_is_the_url_without_tracking():
    assert _canonical("") == ("https://x.id/2026/01/pasar-girian/", "url")


def test_page_two_keys_on_page_one():
    head = (
        '<link rel="canonical" href="https://x.id/pasar-girian/2/">'
        '<link rel="prev" href="https://x.id/pasar-girian/">'
    )
    url, rule = _canonical(head, "https://x.id/pasar-girian/2/")
    assert (url, rule) == ("https://x.id/pasar-girian/", "rel-canonical+page1")
