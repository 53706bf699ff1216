"""normalize/images.py: the lead image is the declared one or the largest original, never a
placeholder, a listing thumbnail or a resized copy."""

from syndicate.normalize.extract import extract_article

GIF = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
PARA = (
    "<p>" + "Warga memanen bawang merah di lahan baru, kata kepala dinas pertanian. " * 4 + "</p>"
)


def _page(head: str, body: str) -> str:
    return (
        f"<html><head>{head}</head><body>"
        '<div class="latest"><img src="/uploads/2026/01/lain-360x203.jpg" width="360"></div>'
        f"<h1>Bawang merah Bolmut</h1>{body}<div class='text'>{PARA}{PARA}</div></body></html>"
    )


def test_lazy_placeholder_gif_gives_the_widest_srcset_candidate():
    img = (
        f'<div class="detail-image"><img src="{GIF}" '
        'data-src="/uploads/2026/01/bawang-780x470.jpg" '
        'data-lazy-srcset="/uploads/2026/01/bawang-360x203.jpg 360w, '
        '/uploads/2026/01/bawang-780x470.jpg 780w, /uploads/2026/01/bawang.jpg 1280w"></div>'
    )
    entry = extract_article(_page('<meta property="og:image" content="">', img), "https://x.id/a")
    assert entry.image == "https://x.id/uploads/2026/01/bawang.jpg"


def test_declared_resized_copy_becomes_the_original_the_page_offers():
    head = '<meta property="og:image" content="https://x.id/uploads/2026/01/bawang-780x470.jpg">'
    img = (
        '<figure><img src="/uploads/2026/01/bawang-780x470.jpg" srcset="/uploads/2026/01/'
        'bawang-780x470.jpg 780w, /uploads/2026/01/bawang.jpg 1600w"></figure>'
    )
    entry = extract_article(_page(head, img), "https://x.id/a")
    assert entry.image == "https://x.id/uploads/2026/01/bawang.jpg"


def test_declared_image_without_an_original_on_the_page_is_kept():
    head = '<meta property="og:image" content="https://x.id/uploads/2026/01/bawang-1200x675.jpg">'
    entry = extract_article(_page(head, ""), "https://x.id/a")
    assert entry.image == "https://x.id/uploads/2026/01/bawang-1200x675.jpg"


def test_listing_thumbnail_above_the_headline_is_not_the_lead_image():
    img = '<img src="/uploads/2026/01/bawang.jpg" width="800">'
    entry = extract_article(_page("", img), "https://x.id/a")
    assert entry.image == "https://x.id/uploads/2026/01/bawang.jpg"
