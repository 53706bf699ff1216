"""Sanitising article HTML and deriving its plain text.

Everything here works on lxml trees or HTML strings and is pure (no network, no database).
"""

from __future__ import annotations

import html as _html
import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import lxml.html
import nh3
from lxml import etree

from syndicate.boundary import xml_safe

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "figcaption", "figure", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "q", "s", "small", "strong", "sub",
    "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "srcset", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
_BLOCKS = ("p", "li", "blockquote", "h2", "h3", "h4", "h5", "h6", "pre", "tr", "figcaption")

# Lazy-loading plugins keep the real URL in one of these; `src` then holds a placeholder.
LAZY_SRC_ATTRS = (
    "data-src",
    "data-lazy-src",
    "data-original",
    "data-lazy",
    "data-echo",
    "data-url",
)
LAZY_SRCSET_ATTRS = ("data-srcset", "data-lazy-srcset")
_PLACEHOLDER = re.compile(
    r"(^data:|loading|lazy|blank|spacer|placeholder|empty\.(png|gif)|1x1|pixel\.gif|transparent)",
    re.I,
)
# Hosts/paths that only count page views; such images are never content.
_TRACKER = re.compile(
    r"(facebook\.com/tr|google-analytics\.com|googletagmanager|doubleclick\.net|/pixel\b|"
    r"stats\.wp\.com|quantserve|scorecardresearch|/beacon|/track(ing)?\b)",
    re.I,
)
_VIDEO_HOSTS = re.compile(
    r"(youtube(-nocookie)?\.com|youtu\.be|vimeo\.com|dailymotion\.com|facebook\.com/plugins/video|"
    r"tiktok\.com|instagram\.com)",
    re.I,
)
_YT_EMBED = re.compile(r"youtube(?:-nocookie)?\.com/embed/([\w-]{6,})")


def fold_ws(text: str) -> str:
    """Collapse runs of whitespace (including NBSP) to single spaces."""
    return " ".join(text.split())  # str.split() splits on what \s matches, NBSP included


def is_placeholder(src: str | None) -> bool:
    return not src or bool(_PLACEHOLDER.search(src))


def absolutize_srcset(srcset: str, base_url: str) -> str:
    parts = []
    for candidate in srcset.split(","):
        bits = candidate.strip().split()
        if bits:
            parts.append(" ".join([join_url(base_url, bits[0]), *bits[1:]]))
    return ", ".join(parts)


def resolve_img(img: etree._Element, base_url: str | None = None) -> str | None:
    """The real URL of an <img>, looking through lazy-loading attributes; fixes the element in place.

    Returns None for tracking pixels and for images that only have a placeholder.
    """
    src = (img.get("src") or "").strip()
    if is_placeholder(src) or not src:
        for attr in LAZY_SRC_ATTRS:
            val = (img.get(attr) or "").strip()
            if val and not val.startswith("data:"):
                src = val
                break
        else:
            srcset = ""
            for attr in (*LAZY_SRCSET_ATTRS, "srcset"):
                srcset = (img.get(attr) or "").strip()
                if srcset:
                    break
            if srcset:
                src = srcset.split(",")[0].strip().split()[0]
    for attr in LAZY_SRCSET_ATTRS:
        if img.get(attr) and not img.get("srcset"):
            img.set("srcset", img.get(attr))
    if not src or is_placeholder(src):
        return None
    if _TRACKER.search(src) or (img.get("width") in ("1", "0") and img.get("height") in ("1", "0")):
        return None
    if base_url:
        src = join_url(base_url, src)
        if img.get("srcset"):
            img.set("srcset", absolutize_srcset(img.get("srcset"), base_url))
    img.set("src", src)
    return src


def video_link(src: str) -> str:
    """Embed URL -> the watch page a reader can open (YouTube), else the embed URL itself."""
    m = _YT_EMBED.search(src)
    if m:
        return f"https://www.youtube.com/watch?v={m.group(1)}"
    return src


def is_video_embed(src: str) -> bool:
    return bool(_VIDEO_HOSTS.search(src or ""))


def _fix_tree(root: etree._Element, base_url: str | None) -> None:
    """Resolve lazy images, turn video iframes into links, drop pixels and scripts, absolutise."""
    for el in list(root.iter("iframe", "embed", "video", "object")):
        src = el.get("src") or el.get("data-src") or el.get("data") or ""
        parent = el.getparent()
        if parent is None:
            continue
        if src and is_video_embed(src):
            link = lxml.html.Element("a", href=join_url(base_url or "", video_link(src)))
            link.text = "Video: " + video_link(src)
            p = lxml.html.Element("p")
            p.append(link)
            p.tail = el.tail
            parent.replace(el, p)
        else:
            _drop(el)
    for el in list(root.iter("script", "style", "noscript", "template")):
        _drop(el)
    for img in list(root.iter("img")):
        if resolve_img(img, base_url) is None:
            _drop(img)
    if base_url:
        for a in root.iter("a"):
            href = (a.get("href") or "").strip()
            if href:
                a.set("href", join_url(base_url, href))


def _drop(el: etree._Element) -> None:
    """Remove an element but keep its tail text."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _fragment(html: str) -> etree._Element:
    # lxml refuses a string holding a control character or NUL (one \x08 in a feed item
    # failed the item on every pass): drop what XML cannot carry first.
    return lxml.html.fragment_fromstring(xml_safe(html), create_parent="div")


def _inner_html(root: etree._Element) -> str:
    out = [_html.escape(root.text, quote=False)] if root.text else []
    out.extend(etree.tostring(child, encoding="unicode", method="html") for child in root)
    return "".join(out)


def absolutize(html: str, base_url: str) -> str:
    """Make every link and image URL absolute (srcset too), resolving lazy images on the way."""
    if not html.strip():
        return ""
    root = _fragment(html)
    _fix_tree(root, base_url)
    return _inner_html(root)


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """Allow-list sanitising with nh3: no scripts, iframes, styles, event handlers or pixels survive.

    Video embeds become plain links; lazy images get their real `src`.
    """
    if not html.strip():
        return ""
    root = _fragment(html)
    _fix_tree(root, base_url)
    return clean_fragment(_inner_html(root))


def clean_fragment(html: str) -> str:
    """The nh3 allow-list step alone (for HTML already built from a cleaned tree)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    ).strip()


def html_paragraphs(html: str) -> list[str]:
    """The text of each block (paragraph, list item, heading) with whitespace folded.

    Figure captions are skipped: they belong to the HTML, not to the text.
    """
    if not html.strip():
        return []
    root = _fragment(html)
    for fig in list(root.iter("figcaption")):
        _drop(fig)
    out: list[str] = []
    blocks = [el for el in root.iter(*_BLOCKS)]
    if not blocks:
        text = fold_ws(root.text_content())
        return [text] if text else []
    for block in blocks:
        anc = block.getparent()
        nested = False
        while anc is not None:
            if anc.tag in _BLOCKS:
                nested = True
                break
            anc = anc.getparent()
        if nested:
            continue  # nested block: its parent already holds the text
        text = fold_ws(block.text_content())
        if text:
            out.append(text)
    return out


def html_to_text(html: str) -> str:
    """Plain text: one paragraph per block, separated by a blank line."""
    return "\n\n".join(html_paragraphs(html))


_LINE_WS = str.maketrans("", "", "\t\n\r")


def sanitized_text(html: str) -> str:
    """`html_to_text(sanitize_html(html))`, without parsing or nh3 when `html` is plain
    printable text (no tag, no entity, as most feed descriptions are): cleaning and re-parsing
    such a string only folds its whitespace."""
    if "<" not in html and "&" not in html and html.translate(_LINE_WS).isprintable():
        return fold_ws(html)
    return html_to_text(sanitize_html(html))


def summarize(text: str, limit: int = 300) -> str:
    """The first paragraph(s) up to about `limit` characters, cut at a word boundary."""
    out = ""
    for para in text.split("\n\n"):
        para = para.strip()
        if not para:
            continue
        candidate = f"{out} {para}".strip()
        if out and len(candidate) > limit:
            break
        out = candidate
        if len(out) >= limit // 2:
            break
    if len(out) > limit:
        out = out[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return out


def join_url(base: str, href: str) -> str:
    """urljoin for links found in pages: "" for one Python refuses ("https://[menu]/")."""
    try:
        return urljoin(base, href)
    except ValueError:
        return ""


# Pickers read the same links several times; urlsplit's own cache holds only 128 URLs.
@lru_cache(maxsize=4096)
def url_path(url: str) -> str:
    """The path of a URL from a page, "" for one Python refuses to split ("https://[menu]")."""
    try:
        return urlsplit(url).path
    except ValueError:
        return ""


def same_file(a: str, b: str) -> bool:
    """Two image URLs naming the same file (resized variants share the last path segment)."""
    return url_path(a).rsplit("/", 1)[-1] == url_path(b).rsplit("/", 1)[-1]
