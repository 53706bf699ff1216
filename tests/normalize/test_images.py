"""normalize/images.py: the lead image is the declared one or the largest original, never a
placeholder, a listing thumbnail or a resized copy."""

import lxml.html

from syndicate.normalize.extract import extract_article
from syndicate.normalize.images import (
    content_image,
    dom_image,
    largest_variant,
    original_image,
    srcset_candidates,
    structured_image,
)
from syndicate.normalize.page import parse_page
from syndicate.normalize.title import pick_title

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


def _img(attrs: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(f"<img {attrs}>")


def test_srcset_candidates_include_lazy_attributes_and_skip_placeholders():
    img = _img(
        f'srcset="{GIF} 1w" data-lazy-srcset="/u/bawang-360x203.jpg 360w, /u/bawang.jpg 1280w"'
    )
    assert srcset_candidates(img, "https://x.id/a") == [
        ("https://x.id/u/bawang-360x203.jpg", 360),
        ("https://x.id/u/bawang.jpg", 1280),
    ]


def test_largest_variant_is_the_same_picture_only():
    img = _img('srcset="/u/bawang-780x470.jpg 780w, /u/bawang.jpg 1280w, /u/lain.jpg 2000w"')
    src = "https://x.id/u/bawang-780x470.jpg"
    assert largest_variant(src, img, "https://x.id/a") == "https://x.id/u/bawang.jpg"


def test_blogger_resized_variant_gives_the_upload():
    url = "https://blogger.googleusercontent.com/img/b/R29v/AVvX/w640-h360/pasar.jpg"
    assert original_image(url).endswith("/AVvX/s1600/pasar.jpg")
    assert original_image("https://x.id/u/pasar.jpg") == "https://x.id/u/pasar.jpg"


def test_content_image_refuses_icons_avatars_and_pixels():
    base = "https://x.id/a"
    assert content_image(_img('src="/u/pasar.jpg"'), base) == "https://x.id/u/pasar.jpg"
    assert content_image(_img('src="/theme/logo.png"'), base) is None
    assert content_image(_img('src="/u/budi.jpg" class="avatar"'), base) is None
    assert content_image(_img('src="/u/px.gif" width="1" height="1"'), base) is None


def test_structured_image_json_ld_then_og_with_its_alt():
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "image": '
        '{"@type": "ImageObject", "url": "https://x.id/u/bawang.jpg"}}</script>'
        '<meta property="og:image" content="https://x.id/u/lain.jpg">'
    )
    page = parse_page(_page(head, '<img src="/u/bawang.jpg" alt="Panen bawang">'), "https://x.id/a")
    assert structured_image(page) == ("https://x.id/u/bawang.jpg", "Panen bawang", "json-ld")
    page = parse_page(_page(f'<meta property="og:image" content="{GIF}">', ""), "https://x.id/a")
    assert structured_image(page) == (None, None, "none")


def test_dom_image_is_the_first_content_image_below_the_title():
    page = parse_page(_page("", '<img src="/u/bawang.jpg" alt="Panen">'), "https://x.id/a")
    pick_title(page)
    container = page.doc.find(".//div[@class='text']")
    assert dom_image(page, container) == ("https://x.id/u/bawang.jpg", "Panen", "dom")


def test_json_ld_image_list_gives_the_widest_or_the_original_not_the_first_thumbnail():
    ld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "image": ['
        '"https://x.id/u/bawang-150x150.jpg", "https://x.id/u/bawang-780x470.jpg", '
        '"https://x.id/u/bawang.jpg"]}</script>'
    )
    page = parse_page(_page(ld, ""), "https://x.id/a")
    assert structured_image(page)[0] == "https://x.id/u/bawang.jpg"
    sized = ld.replace(
        '"https://x.id/u/bawang.jpg"', '{"url": "https://x.id/u/lain.jpg", "width": 1600}'
    )
    page = parse_page(_page(sized, ""), "https://x.id/a")
    assert structured_image(page)[0] == "https://x.id/u/lain.jpg"
