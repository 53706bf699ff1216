"""The lead image (selector > JSON-LD > OpenGraph > microdata > feed hint > first image of the
body) and which <img> count as content at all (not icons, avatars, share buttons or pixels)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree

from syndicate.normalize.clean import LAZY_SRCSET_ATTRS, join_url, resolve_img, same_file, url_path
from syndicate.normalize.dom import attached, select
from syndicate.normalize.metadata import ld_str
from syndicate.normalize.page import Page

_BLOGGER_SIZE = re.compile(r"^(?P<pre>.*/)(?P<size>[swh]\d{2,4}(?:-[a-z0-9]+)*)(?P<post>/[^/]+)$")
_ICON = re.compile(
    r"(logo|icon|favicon|avatar|gravatar|sprite|loading|spinner|blank|spacer|pixel|"
    r"/fb\.|/tw\.|facebook|twitter|whatsapp|share|emoji|badge|button|banner|iklan|/ads?/)",
    re.I,
)

Found = tuple[str | None, str | None, str]  # (src, alt, rule)
# WordPress and many CMSs name resized copies "<name>-780x470.jpg" beside the upload "<name>.jpg".
_SIZE_SUFFIX = re.compile(r"-(\d{2,4})x\d{2,4}(?=\.[a-z0-9]{3,4}$)", re.I)


def _stem(url: str) -> str:
    """The file name without a size suffix: the same picture at any size."""
    return _SIZE_SUFFIX.sub("", url_path(url).rsplit("/", 1)[-1])


def _declared_width(url: str, img: etree._Element | None = None) -> int:
    m = _SIZE_SUFFIX.search(url_path(url))
    if m:
        return int(m.group(1))
    w = (img.get("width") or "").strip().rstrip("px") if img is not None else ""
    return int(w) if w.isdigit() else 0


def srcset_candidates(img: etree._Element, base: str) -> list[tuple[str, int]]:
    """(absolute URL, width) of every srcset candidate, lazy-loading attributes included; a
    candidate without a width descriptor counts 0, placeholders (data:) are left out."""
    out = []
    for attr in ("srcset", *LAZY_SRCSET_ATTRS):
        for m in _SRCSET_CANDIDATE.finditer(img.get(attr) or ""):
            url, desc = m.group(1).rstrip(","), m.group(2).strip()
            if not url or url.startswith("data:"):
                continue
            width = int(desc[:-1]) if desc.endswith("w") and desc[:-1].isdigit() else 0
            out.append((join_url(base, url), width))
    return out


# As HTML parses srcset: a URL runs to the next whitespace (a data: placeholder's own comma
# included), then its descriptor runs to the next comma.
_SRCSET_CANDIDATE = re.compile(r"\s*([^\s,][^\s]*)\s*([^,]*),?")


def largest_variant(src: str, img: etree._Element, base: str) -> str:
    """The widest copy of this <img>'s picture its srcset offers (the upload, not a resize)."""
    best, best_w = src, _declared_width(src, img)
    for url, width in srcset_candidates(img, base):
        if width > best_w and _stem(url) == _stem(src):
            best, best_w = url, width
    return best


def _original_on_page(src: str, doc: etree._Element, base: str) -> str:
    """A declared image that is a resized copy (-780x470): the widest copy of the same picture
    that an <img> on the page offers in its srcset, else the declared one."""
    if not _SIZE_SUFFIX.search(url_path(src)):
        return src
    best, best_w = src, _declared_width(src)
    stem = _stem(src)
    for img in doc.iter("img"):
        for url, width in srcset_candidates(img, base):
            if width > best_w and _stem(url) == stem:
                best, best_w = url, width
    return best


def original_image(url: str) -> str:
    """Blogger serves resized variants (/w1200-h630-p-k-no-nu/, /s640/); /s1600/ is the upload."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    # Blogger's image paths (/img/a/, /img/b/) are the same on its CDN hosts and on proxies.
    if re.search(r"/img/[ab]/", parts.path) or re.search(
        r"(?:blogspot|googleusercontent)\.com$", parts.netloc
    ):
        m = _BLOGGER_SIZE.match(parts.path)
        if m and m.group("size") != "s1600":
            return url.replace(parts.path, m.group("pre") + "s1600" + m.group("post"), 1)
    return url


def content_image(img: etree._Element, base: str) -> str | None:
    """The absolute URL of an <img> that is part of the article, else None (fixes lazy src)."""
    src = resolve_img(img, base)
    if not src or _ICON.search(src) or "avatar" in (img.get("class") or ""):
        return None
    for dim in ("width", "height"):
        v = (img.get(dim) or "").strip().rstrip("px")
        if v.isdigit() and int(v) < 100:
            return None
    return src


def _widest_declared(value: object) -> str | None:
    """JSON-LD may list the image at several sizes (a 150x150 thumbnail first): the widest
    declared one, or the original of the same picture when the list also holds it."""
    if not isinstance(value, list):
        return ld_str(value)
    sized: list[tuple[int, str]] = []
    for item in value:
        url = ld_str(item)
        if not url:
            continue
        width = item.get("width") if isinstance(item, dict) else None
        w = (
            int(width)
            if isinstance(width, int) or (isinstance(width, str) and width.isdigit())
            else 0
        )
        sized.append((w or _declared_width(url), url))
    if not sized:
        return None
    best_w, best = max(sized, key=lambda c: c[0])  # the first of equals: max keeps it
    if best_w == 0:
        return sized[0][1]
    for _w, url in sized:
        if _stem(url) == _stem(best) and not _SIZE_SUFFIX.search(url_path(url)):
            return url
    return best


def structured_image(page: Page) -> Found:
    """The image the page (or feed) declares; the alt text comes from og:image:alt or the <img>."""
    doc, meta, ld, selectors, hints, base = (
        page.doc, page.meta, page.ld, page.selectors, page.hints, page.base
    )  # fmt: skip
    for el in select(doc, selectors.get("image")):
        src = resolve_img(el, base) if el.tag == "img" else el.get("content") or el.get("href")
        if src:
            return original_image(join_url(base, src)), el.get("alt"), "selector"
    cands: list[tuple[str, str]] = []
    if ld.get("image"):
        src = _widest_declared(ld.get("image"))
        if src:
            cands.append((src, "json-ld"))
    got = meta.first(
        "og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"
    )
    if got:
        cands.append((got[0], "opengraph"))
    mv = meta.micro_first("image", "image_url", "thumbnailUrl")
    if mv:
        cands.append((mv, "microdata"))
    if hints and hints.image:
        cands.append((hints.image, "hint"))
    for src, rule in cands:
        if src and not src.startswith("data:"):
            src = _original_on_page(original_image(join_url(base, src)), doc, base)
            alt = meta.value("og:image:alt", "twitter:image:alt")
            if alt is None:
                for img in doc.iter("img"):
                    s = img.get("src") or img.get("data-src") or ""
                    if s and same_file(s, src) and img.get("alt"):
                        alt = img.get("alt")
                        break
            return src, alt, rule
    return None, None, "none"


def dom_image(page: Page, container: etree._Element) -> Found:
    """First real image between the title and the end of the body (lazy URLs resolved)."""
    doc, title_el, base = page.doc, page.title_el, page.base
    started = title_el is None or not attached(title_el, doc)
    for el in doc.iter():
        if el is title_el:
            started = True
            continue
        if not started:
            continue
        if el.tag == "img":
            src = content_image(el, base)
            if src:
                return original_image(largest_variant(src, el, base)), el.get("alt") or None, "dom"
        if el is container:
            for img in container.iter("img"):
                src = content_image(img, base)
                if src:
                    src = largest_variant(src, img, base)
                    return original_image(src), img.get("alt") or None, "dom"
            break
    return None, None, "none"
