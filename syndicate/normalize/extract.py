"""One HTML article page -> a normalised `Entry`.

The page is parsed once with lxml. Fields come from, in this order (the rule used is recorded in
`Entry.rules`): the source's configured CSS selectors > JSON-LD (NewsArticle/Article/BlogPosting,
also inside @graph) > OpenGraph / article:* meta > microdata > feed/API hints > the page text
(labelled bylines, dates under the title) > trafilatura (body only, when no content block is
found). Labelled bylines ("Penulis:", "Peliput :") beat structured authors, because Indonesian
CMSs often publish under a shared account ("Redaksi", "Admin").

The body is the highest-scoring content block (paragraph text and commas, readability-style,
after boilerplate is pruned by class/id words), split into paragraphs; datelines, bylines,
"Baca Juga" boxes, captions, ads and share widgets are taken out of the text.
"""

from __future__ import annotations

import html as _html
import json
import re
from datetime import datetime
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from syndicate.models import Entry
from syndicate.normalize import authors as _authors
from syndicate.normalize.clean import (
    _drop,
    clean_fragment,
    fold_ws,
    is_video_embed,
    resolve_img,
    same_file,
    summarize,
    video_link,
)
from syndicate.normalize.dates import localize, not_future, parse_date_ex
from syndicate.normalize.encoding import decode_html
from syndicate.normalize.urls import canonicalize_url, page_number, strip_page_suffix

ARTICLE_TYPES = {
    "newsarticle", "article", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "livepostingblog", "liveblogposting", "backgroundnewsarticle",
    "reviewnewsarticle", "techarticle", "scholarlyarticle", "socialmediaposting", "posting",
}  # fmt: skip
BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "center", "td", "th", "tr", "tbody", "table",
    "li", "ul", "ol", "dl", "dd", "dt", "blockquote", "figure", "figcaption", "pre", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "header", "footer", "aside", "nav", "form", "body", "address",
}  # fmt: skip
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
DROP_TAGS = {
    "script", "style", "noscript", "template", "form", "nav", "aside", "ins", "button", "select",
    "textarea", "input", "svg", "canvas", "header", "footer", "object", "embed", "link", "meta",
    "map", "audio", "dialog", "label",
}  # fmt: skip
# Class/id words of boxes that are never article text (matched as whole words of the name).
BOILER_WORDS = {
    "share", "sharing", "sharer", "sharedaddy", "social", "socials", "related", "relatedposts",
    "terkait", "comment", "comments", "komentar", "respond", "disqus", "sidebar", "widget", "ad",
    "ads", "adsbygoogle", "advert", "advertisement", "adspot", "iklan", "banner", "sponsor",
    "sponsored", "promo", "cookie", "cookies", "gdpr", "consent", "newsletter", "subscribe",
    "langganan", "breadcrumb", "breadcrumbs", "crumb", "crumbs", "jalur", "pagination",
    "pagelinks", "pagenav", "pager", "nav", "navigation", "navbar", "menu", "popular", "populer",
    "terpopuler", "trending", "terkini", "bacajuga", "tags", "tag", "tagcloud", "rec", "meta",
    "header", "footer", "bagikan", "lainnya", "lain", "authorbox", "modal", "popup", "toolbar",
    "rating", "reaction", "reactions", "print", "next", "prev", "previous", "postnav", "byline",
}  # fmt: skip
HIDDEN_CLASSES = {"screen-reader-text", "sr-only", "visually-hidden", "hidden", "d-none", "hide"}

_CAPTION = re.compile(
    r"^\s*[(\[]?\s*(?:foto|photo|ilustrasi|illustration|sumber\s+foto|sumber\s+gambar|gambar|"
    r"dok\.?|dokumentasi|image|caption|keterangan(?:\s+foto)?)\b\s*[:/.\-–]",
    re.I,
)
_RELATED = re.compile(
    r"^\s*(?:baca\s+(?:juga|pula|selengkapnya)|simak\s+juga|lihat\s+juga|berita\s+terkait|"
    r"artikel\s+terkait|berita\s+lainnya|read\s+also|see\s+also|related|"
    r"(?:simak|tonton|saksikan)\s+(?:juga\s+)?video)\b\s*[:\-–]?",
    re.I,
)
_NOISE = re.compile(
    r"^\s*(?:-+\s*)?(?:advertisement|iklan|advertorial|scroll\s+to\s+continue(?:\s+with\s+content)?|"
    r"lanjutkan\s+membaca|halaman\s+(?:selanjutnya|berikutnya|sebelumnya)|halaman\s*[\d\s]+|"
    r"next\s+page|previous\s+page|bagikan|share(?:\s+this)?|komentar|tinggalkan\s+komentar|"
    r"dibaca\s*:?\s*[\d.]+\s*kali|tags?\s*:.*|topik\s*:.*|kata\s+kunci\s*:.*|label\s*:.*|"
    r"\[[\w\s]+:[^\]]*\]|(?:copyright|hak\s+cipta)\b.{0,80}|©.{0,80})"
    r"(?:\s*-+)?\s*:?\s*$",
    re.I | re.S,
)
# "(ical)", "(*/adv)", "(ant/jpnn)", "(Outlet.id/Nama Reporter)": initials or a credit in brackets.
_CREDIT = re.compile(
    r"^\s*[(\[]\s*[\w*/.,\s-]{1,24}\s*[)\]]\s*$|^\s*\([\w*.\s-]{1,30}/[\w*.,\s/-]{1,40}\)\s*$"
)
# Closing calls to follow the outlet elsewhere (Google News, WhatsApp, Telegram, the app).
_PROMO = re.compile(
    r"\b(?:google\s+news|whatsapp\s+channel|saluran\s+whatsapp|grup\s+telegram|channel\s+telegram|"
    r"ikuti\s+(?:kami|juga|berita|update|kabar)|follow\s+(?:us|kami)|dapatkan\s+(?:update|berita|informasi)|"
    r"simak\s+breaking\s+news|(?:download|unduh)\s+aplikasi|sign\s+up\s+for|subscribe\s+to)\b",
    re.I,
)
# A caption that ends in its photo credit: "Warga berkumpul ... (Foto: Dok. Panitia)".
_CREDITED_CAPTION = re.compile(
    r"\((?:foto|photo|dok|dokumentasi|ist|istimewa|sumber)\b[^()]{0,60}\)\s*$", re.I
)
_DASH_END = re.compile(r"[–—-]{1,2}\s*$")
_TEXT_DATELINE = re.compile(
    r"^\s*("
    r"(?:[A-Z][A-Z'.]+(?:\s+[A-Z][A-Z'.]+){0,3})(?:\s*,\s*[\w.]+(?:\s+[\w.]+){0,3})?"
    r"\s*(?:\([^)]{2,40}\))?\s*[–—-]{1,2}"
    r"|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s*\([A-Z][^)]{1,30}\)\s*[–—-]{1,2}"
    r"|[\w-]+\.(?:id|com|net|co\.id|news|org)\s*,\s*[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s*[–—-]{1,2}"
    r")\s+(?=\S)"
)
_DATE_HINT = re.compile(
    r"\b\d{1,2}\s*(?:jan|feb|peb|mar|apr|mei|may|jun|jul|agu|agt|ags|aug|sep|okt|oct|nov|nop|des|dec)"
    r"[a-z]*\.?,?\s+\d{4}\b|\b\d{1,2}/\d{1,2}/\d{4}\b|\b\d{4}-\d{2}-\d{2}\b",
    re.I,
)
_HAS_TIME = re.compile(r"\d{1,2}[:.]\d{2}(?!\d)")
_WORDSPLIT = re.compile(r"[\s_\-]+")
_BLOGGER_SIZE = re.compile(r"^(?P<pre>.*/)(?P<size>[swh]\d{2,4}(?:-[a-z0-9]+)*)(?P<post>/[^/]+)$")
_ICON = re.compile(
    r"(logo|icon|favicon|avatar|gravatar|sprite|loading|spinner|blank|spacer|pixel|"
    r"/fb\.|/tw\.|facebook|twitter|whatsapp|share|emoji|badge|button|banner|iklan|/ads?/)",
    re.I,
)


# --------------------------------------------------------------------------- parsing helpers


def parse_html(html: str | bytes) -> etree._Element | None:
    """Parse a whole page with lxml (the XML declaration is dropped; lxml refuses it on str)."""
    if isinstance(html, bytes):
        html = decode_html(html, None)
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html, count=1)
    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _text(el: etree._Element) -> str:
    return fold_ws(el.text_content())


@lru_cache(maxsize=256)
def _css(selector: str):
    from lxml.cssselect import CSSSelector

    return CSSSelector(selector)


def _select(doc: etree._Element, selector: str | None) -> list[etree._Element]:
    if not selector:
        return []
    try:
        return _css(selector)(doc)
    except Exception:  # a bad selector in a source's config must not break extraction
        return []


def _words(el: etree._Element) -> set[str]:
    names = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    if not names.strip():
        return set()
    names = re.sub(r"\bno[-_]\w+", " ", names)  # "no-share" says the box has no share bar
    return set(_WORDSPLIT.split(names))


def _is_hidden(el: etree._Element) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style or el.get("hidden") is not None:
        return True
    cls = (el.get("class") or "").lower().split()
    return any(c in HIDDEN_CLASSES for c in cls)


def _attached(el: etree._Element, root: etree._Element) -> bool:
    while el is not None:
        if el is root:
            return True
        el = el.getparent()
    return False


# --------------------------------------------------------------------------- metadata


class _Meta:
    """Everything the page declares about itself, read once."""

    def __init__(self, doc: etree._Element) -> None:
        self.meta: dict[str, list[str]] = {}
        self.micro: dict[str, list[tuple[str, etree._Element]]] = {}
        self.links: dict[str, list[str]] = {}
        for el in doc.iter("meta"):
            content = el.get("content")
            if content is None:
                continue
            if el.get("itemprop"):
                for prop in el.get("itemprop").split():
                    self.micro.setdefault(prop, []).append((content.strip(), el))
                continue
            key = (el.get("property") or el.get("name") or "").strip().lower()
            if key:
                self.meta.setdefault(key, []).append(content.strip())
        for el in doc.iter("link"):
            href = el.get("href")
            if href:
                for rel in (el.get("rel") or "").lower().split():
                    self.links.setdefault(rel, []).append(href.strip())
        for el in doc.xpath("//body//*[@itemprop]"):
            if el.tag == "meta":
                continue
            for prop in el.get("itemprop").split():
                self.micro.setdefault(prop, []).append((_micro_value(el, prop), el))
        self.ld = _jsonld_article(doc)

    def first(self, *keys: str) -> tuple[str, str] | None:
        for key in keys:
            for value in self.meta.get(key, ()):
                if value:
                    return value, key
        return None

    def all(self, key: str) -> list[str]:
        return [v for v in self.meta.get(key, ()) if v]

    def micro_first(self, *props: str) -> str | None:
        for prop in props:
            for value, _el in self.micro.get(prop, ()):
                if value:
                    return value
        return None


def _micro_value(el: etree._Element, prop: str) -> str:
    if el.get("itemscope") is not None and el.tag not in ("img", "meta", "a", "link"):
        return _micro_object_value(el, prop)
    if el.tag == "time":
        return (el.get("datetime") or _text(el)).strip()
    if el.tag == "abbr" and el.get("title"):
        return el.get("title").strip()
    if el.tag == "img":
        return (el.get("src") or "").strip()
    if el.tag in ("a", "link") and prop not in ("name", "headline", "author"):
        return (el.get("href") or "").strip()
    if el.get("content"):
        return el.get("content").strip()
    if prop == "author":
        names = el.xpath(".//*[@itemprop='name']")
        if names:
            n = names[0]
            return (n.get("content") or _text(n)).strip()
    if prop in ("articleBody", "description"):
        return ""
    text = _text(el)
    return text if len(text) <= 300 else ""


def _micro_object_value(el: etree._Element, prop: str) -> str:
    """`<div itemprop="image" itemscope>` holds its URL in a nested url/contentUrl or <img>."""
    want = ("name",) if prop in ("author", "publisher", "creator") else ("url", "contentUrl")
    for sub in el.iter():
        if sub is el or not sub.get("itemprop"):
            continue
        if set(sub.get("itemprop").split()) & set(want):
            value = sub.get("content") or sub.get("href") or sub.get("src") or _text(sub)
            if value:
                return value.strip()
    if prop not in ("author", "publisher", "creator"):
        for img in el.iter("img"):
            return (img.get("src") or img.get("data-src") or "").strip()
    return ""


def _ld_nodes(data):
    if isinstance(data, list):
        for item in data:
            yield from _ld_nodes(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _ld_nodes(data["@graph"])


def _ld_types(node: dict) -> set[str]:
    t = node.get("@type") or ()
    if isinstance(t, str):
        t = (t,)
    return {str(x).lower().rsplit("/", 1)[-1] for x in t}


def _jsonld_article(doc: etree._Element) -> dict | None:
    """The article node of the page's JSON-LD, with `{"@id": ...}` references resolved."""
    nodes: list[dict] = []
    for script in doc.xpath("//script[@type='application/ld+json']"):
        raw = (script.text or "").strip()
        if not raw:
            continue
        raw = re.sub(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$", "", raw)
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            continue
        nodes.extend(_ld_nodes(data))
    article = next((n for n in nodes if _ld_types(n) & ARTICLE_TYPES), None)
    if article is None:
        return None
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str) and len(n) > 1}
    resolved = dict(article)
    for key in ("image", "author", "publisher", "mainEntityOfPage"):
        resolved[key] = _ld_resolve(article.get(key), by_id)
    if not resolved.get("image") and article.get("thumbnailUrl"):
        resolved["image"] = article["thumbnailUrl"]
    return resolved


def _ld_resolve(value, by_id: dict):
    """Replace bare references ({"@id": x}, nothing else) by the node they point to."""
    if isinstance(value, list):
        return [_ld_resolve(v, by_id) for v in value]
    if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in by_id:
        return by_id[value["@id"]]
    if isinstance(value, dict) and "name" not in value and "url" not in value:
        return by_id.get(value.get("@id"), value)
    return value


def _ld_str(value) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return _ld_str(value.get("url") or value.get("@id") or value.get("name"))
    if isinstance(value, list) and value:
        return _ld_str(value[0])
    return None


def _ld_names(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return [name] if isinstance(name, str) else []
    if isinstance(value, list):
        return [n for v in value for n in _ld_names(v)]
    return []


def _split_tags(value) -> list[str]:
    if isinstance(value, list):
        return [t for v in value for t in _split_tags(v)]
    if isinstance(value, str):
        return [t for t in (fold_ws(x).lstrip("#") for x in value.split(",")) if t]
    return []


def normalize_tags(tags: list[str]) -> list[str]:
    """Trim, drop '#', fold whitespace, de-duplicate case-insensitively (first spelling wins)."""
    out: list[str] = []
    seen = set()
    for tag in tags:
        tag = fold_ws(tag).lstrip("#").strip(" ,;")
        if tag and len(tag) <= 60 and tag.lower() not in seen:
            seen.add(tag.lower())
            out.append(tag)
    return out


# --------------------------------------------------------------------------- images


def original_image(url: str) -> str:
    """Blogger serves resized variants (/w1200-h630-p-k-no-nu/, /s640/); /s1600/ is the upload."""
    parts = urlsplit(url)
    # Blogger's image paths (/img/a/, /img/b/) are the same on its CDN hosts and on proxies.
    if re.search(r"/img/[ab]/", parts.path) or re.search(
        r"(?:blogspot|googleusercontent)\.com$", parts.netloc
    ):
        m = _BLOGGER_SIZE.match(parts.path)
        if m and m.group("size") != "s1600":
            return url.replace(parts.path, m.group("pre") + "s1600" + m.group("post"), 1)
    return url


def _content_image(img: etree._Element, base: str) -> str | None:
    src = resolve_img(img, base)
    if not src or _ICON.search(src) or "avatar" in (img.get("class") or ""):
        return None
    for dim in ("width", "height"):
        v = (img.get(dim) or "").strip().rstrip("px")
        if v.isdigit() and int(v) < 100:
            return None
    return src


# --------------------------------------------------------------------------- body


def _p_len(el: etree._Element) -> int:
    return sum(len(p.text_content()) for p in el.iter("p"))


def _prune(el: etree._Element, total: int, protect: set, p_total: int = 0) -> None:
    """Drop boilerplate under `el`, never an element holding the body we are protecting."""
    for child in list(el):
        tag = child.tag
        if not isinstance(tag, str):
            _drop(child)
            continue
        if child in protect:
            _prune(child, total, protect, p_total)
            continue
        if tag == "iframe":
            src = child.get("src") or child.get("data-src") or ""
            if is_video_embed(src):
                _replace_with_embed(el, child, "Video", video_link(src))
            else:
                _drop(child)
            continue
        if tag == "blockquote" and _SOCIAL_EMBED.search(child.get("class") or ""):
            # The text of an embedded post is the platform's widget, not the article's.
            link = _embed_permalink(child)
            if link:
                kind = "Tweet" if "twitter" in (child.get("class") or "") else "Post"
                _replace_with_embed(el, child, kind, link)
            else:
                _drop(child)
            continue
        if tag in DROP_TAGS or _is_hidden(child):
            _drop(child)
            continue
        words = _words(child)
        if words & BOILER_WORDS or "bacajuga" in "".join(words):
            # Guard: a wrapper holding most of the page's text (Blogger's "widget Blog") stays.
            text = child.text_content()
            wrapper = len(text) >= 0.4 * total or (p_total > 0 and _p_len(child) >= 0.5 * p_total)
            if not wrapper or _link_density(child, len(text)) > 0.5:
                _drop(child)
                continue
        _prune(child, total, protect, p_total)


_SOCIAL_EMBED = re.compile(
    r"\b(?:instagram-media|twitter-tweet|twitter-video|tiktok-embed|fb-post|fb-video|threads-post)\b"
)


def _embed_permalink(el: etree._Element) -> str | None:
    link = el.get("data-instgrm-permalink") or el.get("cite") or el.get("data-href")
    if not link:
        hrefs = [a.get("href") for a in el.iter("a") if (a.get("href") or "").startswith("http")]
        link = hrefs[-1] if hrefs else None  # a tweet's permalink is its last link
    return link.split("?")[0] if link else None


def _replace_with_embed(
    parent: etree._Element, child: etree._Element, kind: str, link: str
) -> None:
    """An embed becomes a link paragraph marked as such: kept in the HTML, left out of the text."""
    p = lxml.html.Element("p", {"data-embed": kind})
    a = etree.SubElement(p, "a", href=link)
    a.text = f"{kind}: {link}"
    p.tail = child.tail
    parent.replace(child, p)


def _link_density(el: etree._Element, text_len: int) -> float:
    if text_len <= 0:
        return 0.0
    linked = sum(len(a.text_content()) for a in el.iter("a"))
    return linked / text_len


def _score_container(body: etree._Element) -> etree._Element | None:
    """Readability-style: each paragraph-like block scores its parent (and half its grandparent)."""
    own_len: dict = {}
    own_commas: dict = {}
    own_link: dict = {}

    def walk(el, blk, in_link):
        tag = el.tag
        if tag in BLOCK_TAGS:
            blk = el
        link = in_link or tag == "a"
        if el.text:
            t = el.text.strip()
            if t:
                own_len[blk] = own_len.get(blk, 0) + len(t)
                own_commas[blk] = own_commas.get(blk, 0) + t.count(",")
                if link:
                    own_link[blk] = own_link.get(blk, 0) + len(t)
        for child in el:
            if isinstance(child.tag, str):
                walk(child, blk, link)
            if child.tail:
                t = child.tail.strip()
                if t:
                    own_len[blk] = own_len.get(blk, 0) + len(t)
                    own_commas[blk] = own_commas.get(blk, 0) + t.count(",")
                    if in_link:
                        own_link[blk] = own_link.get(blk, 0) + len(t)

    walk(body, body, False)
    scores: dict = {}
    for blk, n in own_len.items():
        if n < 25 or own_link.get(blk, 0) > 0.5 * n:
            continue
        chunks = max(1, n // 300)
        s = chunks + own_commas.get(blk, 0) + min(n / 100, 3 * chunks)
        if blk.tag not in ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6"):
            scores[blk] = scores.get(blk, 0) + s  # text directly in a div (br-separated)
        parent = blk.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0) + s
            grand = parent.getparent()
            if grand is not None:
                scores[grand] = scores.get(grand, 0) + s / 2
    best, best_score = None, 0.0
    for el in body.iter():
        s = scores.get(el)
        if not s or el.tag in ("p", "li", "a", "span", "b", "strong", "i", "em", "font"):
            continue
        text_len = len(el.text_content())
        final = s * (1 - min(_link_density(el, text_len), 0.9))
        if final >= best_score:  # ">=": on a tie the deeper element wins
            best, best_score = el, final
    return best


class _Block:
    __slots__ = ("kind", "html", "text", "caption")

    def __init__(self, kind: str, html: str, text: str) -> None:
        self.kind = kind
        self.html = html
        self.text = text
        self.caption: str | None = None


def _inline_html(el: etree._Element) -> str:
    return etree.tostring(el, encoding="unicode", method="html", with_tail=False)


def _has_block(el: etree._Element) -> bool:
    for d in el.iter():
        if d is not el and isinstance(d.tag, str) and (d.tag in BLOCK_TAGS or d.tag == "br"):
            return True
    return False


def _absolutize_tree(container: etree._Element, base: str) -> None:
    for a in container.iter("a"):
        href = (a.get("href") or "").strip()
        if href and not href.startswith(("#", "javascript:")):
            a.set("href", urljoin(base, href))
    for img in list(container.iter("img")):
        if resolve_img(img, base) is None:
            _drop(img)


def _build_blocks(container: etree._Element, base: str) -> list[_Block]:
    blocks: list[_Block] = []
    parts: list[str] = []
    texts: list[str] = []
    imgs: list[str] = []
    pending_br = [False]

    def add_text(t: str | None) -> None:
        if t:
            if t.strip():
                pending_br[0] = False
            parts.append(_html.escape(t, quote=False))
            texts.append(t)

    def flush() -> None:
        pending_br[0] = False
        text = fold_ws("".join(texts))
        if text:
            blocks.append(_Block("p", "<p>" + "".join(parts).strip() + "</p>", text))
        elif imgs:
            for img_html in imgs:
                blocks.append(_Block("figure", f"<figure>{img_html}</figure>", ""))
        parts.clear()
        texts.clear()
        imgs.clear()

    def visit(el: etree._Element) -> None:
        add_text(el.text)
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                add_text(child.tail)
                continue
            if child.get("data-embed") is not None:
                flush()
                del child.attrib["data-embed"]
                blocks.append(_Block("embed", _inline_html(child), ""))
            elif tag == "br":
                if pending_br[0]:
                    while parts and not parts[-1].strip():
                        parts.pop()
                    if parts and parts[-1] == "<br>":
                        parts.pop()
                    flush()
                else:
                    parts.append("<br>")
                    pending_br[0] = True
            elif tag == "img":
                if _content_image(child, base):
                    img_html = _inline_html(child)
                    imgs.append(img_html)
                    parts.append(img_html)
            elif tag in HEADINGS:
                flush()
                text = _text(child)
                if text:
                    level = "h3" if tag in ("h1", "h2") else tag
                    blocks.append(_Block(level, f"<{level}>{_html.escape(text)}</{level}>", text))
            elif tag == "table" and _is_image_table(child, base):
                flush()
                caption = _text(child)
                for img in child.iter("img"):
                    src = _content_image(img, base)
                    if src:
                        b = _Block("figure", "", "")
                        b.html = f'<img src="{_html.escape(src)}" alt="{_html.escape(img.get("alt") or "")}">'
                        b.caption, caption = caption or None, ""
                        blocks.append(b)
            elif tag in ("ul", "ol", "table", "pre", "dl"):
                flush()
                text = _table_text(child) if tag == "table" else _text(child)
                if text:
                    blocks.append(_Block(tag, _inline_html(child), text))
            elif tag == "blockquote":
                flush()
                text = _text(child)
                if text:
                    blocks.append(_Block("blockquote", _inline_html(child), text))
            elif tag == "figure" and not any(_content_image(i, base) for i in child.iter("img")):
                # A figure around a table, quote or embed: its content is text, its caption is not.
                flush()
                cap = child.find(".//figcaption")
                caption = _text(cap) if cap is not None else ""
                if cap is not None:
                    _drop(cap)
                visit(child)
                flush()
                if caption:
                    blocks.append(_Block("caption", "", caption))
            elif tag in ("figure", "figcaption") or "caption" in (child.get("class") or "").lower():
                flush()
                cap = child.find(".//figcaption") if tag == "figure" else child
                caption = _text(cap) if cap is not None else ""
                for img in child.iter("img"):
                    src = _content_image(img, base)
                    if src:
                        b = _Block("figure", "", "")
                        b.html = f'<img src="{_html.escape(src)}" alt="{_html.escape(img.get("alt") or "")}">'
                        b.caption = caption or None
                        blocks.append(b)
                        caption = ""
                if caption:
                    b = _Block("caption", "", caption)
                    blocks.append(b)
            elif tag in BLOCK_TAGS or _has_block(child):
                flush()
                visit(child)
                flush()
            else:
                parts.append(_inline_html(child))
                texts.append(child.text_content())
                for img in child.iter("img"):
                    if _content_image(img, base):
                        imgs.append(_inline_html(img))
                pending_br[0] = False
            add_text(child.tail)

    visit(container)
    flush()
    return blocks


def _is_image_table(table: etree._Element, base: str) -> bool:
    """A layout table holding a photo and its caption (Blogger's tr-caption-container), not data."""
    has_img = any(_content_image(i, base) for i in table.iter("img"))
    return has_img and len(_text(table)) < 300 and len(table.findall(".//tr")) <= 3


def _table_text(table: etree._Element) -> str:
    """Cells separated by spaces ("Badau 6", not "Badau6")."""
    cells = [_text(c) for c in table.iter("th", "td")]
    return " ".join(c for c in cells if c) or _text(table)


def _block_parent(el: etree._Element, stop: etree._Element) -> etree._Element:
    while el is not stop and el.tag not in BLOCK_TAGS:
        el = el.getparent()
    return el


def _take_dateline(container: etree._Element) -> str | None:
    """Remove the dateline ("BITUNG –", "DetailNews.id, Bitung —") from the first paragraph."""
    seen_blocks: dict = {}
    for el in container.iter():
        if not isinstance(el.tag, str):
            continue
        for where in ("text", "tail"):
            s = getattr(el, where)
            if not s or not s.strip():
                continue
            owner = el if where == "text" else el.getparent()
            if owner is None:
                continue
            if _CAPTION.match(s) and len(s) < 200:
                continue
            blk = _block_parent(owner, container)
            if blk.tag in HEADINGS or _in_figure(owner, container):
                continue
            if blk not in seen_blocks:
                t = _text(blk)
                seen_blocks[blk] = (
                    len(t) <= 240
                    and (_CAPTION.match(t) or _authors.parse_byline(t) is not None)
                    or len(t) < 300
                    and bool(_CREDITED_CAPTION.search(t))
                    or _RELATED.match(t)
                    or _NOISE.match(t)
                )
            if seen_blocks[blk]:
                continue
            # Bold dateline at the very start of the paragraph.
            if where == "text" and el.tag in ("b", "strong"):
                bold = fold_ws(el.text_content())
                tail = el.tail or ""
                if _at_para_start(el) and 2 <= len(bold) <= 60 and len(bold.split()) <= 6:
                    if _DASH_END.search(bold):
                        _drop_keep_tail(el, strip=True)
                        return bold
                    m = re.match(r"^\s*([–—-]{1,2})\s+", tail)
                    if m and _PLACE.fullmatch(bold):
                        el.tail = tail[m.end() :]
                        _drop_keep_tail(el, strip=True)
                        return f"{bold} {m.group(1)}"
            m = _TEXT_DATELINE.match(s)
            if m:
                setattr(el, where, s[m.end() :])
                return fold_ws(m.group(1))
            return None
    return None


# What a bold dateline before a dash looks like: "BITUNG", "Jakarta", "PALU, KABARSULAWESI.com",
# "Manokwari (NusaNews)": capitalised words, an optional outlet after a comma or in brackets.
_PLACE = re.compile(
    r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}"
    r"(?:\s*,\s*(?:[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,2}|[\w-]+\.[a-z]{2,6}(?:\.[a-z]{2})?))?"
    r"(?:\s*\([^)]{2,30}\))?"
)


def _in_figure(el: etree._Element, stop: etree._Element) -> bool:
    """Inside a figure or a caption box (a photo caption is never where the dateline is)."""
    while el is not None and el is not stop:
        if el.tag in ("figure", "figcaption") or "caption" in (el.get("class") or "").lower():
            return True
        el = el.getparent()
    return False


def _at_para_start(el: etree._Element) -> bool:
    """Nothing but markup between the previous block boundary (block element, <br>) and `el`."""
    while True:
        prev, parent = el.getprevious(), el.getparent()
        if prev is None:
            if parent is None or parent.tag in BLOCK_TAGS:
                return not (parent is not None and (parent.text or "").strip())
            if (parent.text or "").strip():
                return False
            el = parent
            continue
        if (prev.tail or "").strip():
            return False
        if prev.tag in BLOCK_TAGS or prev.tag == "br":
            return True
        if prev.tag == "img" or not prev.text_content().strip():
            el = prev  # an image or an empty anchor (<a name="more">) does not start a paragraph
            continue
        return False


def _drop_keep_tail(el: etree._Element, strip: bool = False) -> None:
    if strip and el.tail:
        el.tail = el.tail.lstrip()
    _drop(el)


def _clean_blocks(
    blocks: list[_Block], title: str = ""
) -> tuple[list[_Block], list[_authors.Byline]]:
    """Drop related/ads/pagination lines, captions out of the text, bylines out of the ends."""
    out: list[_Block] = []
    if title:
        blocks = [b for b in blocks if b.text != title]
    skip_next_list = False
    for b in blocks:
        if b.kind == "caption":
            if out and out[-1].kind == "figure" and not out[-1].caption:
                out[-1].caption = b.text
            continue
        if b.kind in ("figure", "embed"):
            out.append(b)
            continue
        t = b.text
        if skip_next_list and b.kind in ("ul", "ol"):
            skip_next_list = False
            continue
        skip_next_list = False
        if _RELATED.match(t):
            # "Baca Juga:" + link in one paragraph, or a label followed by a list of links.
            skip_next_list = len(t) < 30
            continue
        if _NOISE.match(t):
            continue
        if len(t) < 200 and _CAPTION.match(t) or len(t) < 300 and _CREDITED_CAPTION.search(t):
            if out and out[-1].kind == "figure" and not out[-1].caption:
                out[-1].caption = t
            continue
        out.append(b)
    while out and out[-1].text and len(out[-1].text) < 400 and _PROMO.search(out[-1].text):
        out.pop()
    bylines: list[_authors.Byline] = []
    text_idx = [i for i, b in enumerate(out) if b.text]
    ends = set(text_idx[:2] + text_idx[-3:])
    keep = []
    for i, b in enumerate(out):
        if i in ends and len(b.text) <= 160:
            by = _authors.parse_byline(b.text)
            if by and (by.strength == 2 or by.editor or len(b.text) <= 60):
                bylines.append(by)
                continue
            if i in text_idx[-3:] and (_CREDIT.match(b.text) or _PROMO.search(b.text)):
                continue
        keep.append(b)
    return keep, bylines


def _render(blocks: list[_Block]) -> tuple[str, list[str]]:
    html_parts, paras = [], []
    for b in blocks:
        if b.kind == "figure":
            cap = f"<figcaption>{_html.escape(b.caption)}</figcaption>" if b.caption else ""
            inner = b.html
            if inner.startswith("<figure>"):
                inner = inner[len("<figure>") : -len("</figure>")]
            html_parts.append(f"<figure>{inner}{cap}</figure>")
        else:
            html_parts.append(b.html)
            if b.text:
                paras.append(b.text)
    return "\n".join(html_parts), paras


# --------------------------------------------------------------------------- bylines in the page


def _page_bylines(doc: etree._Element) -> list[tuple[_authors.Byline, etree._Element]]:
    out = []
    body = doc.find("body")
    if body is None:
        return out
    seen = set()
    for el in body.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style"):
            continue
        for where in ("text", "tail"):
            s = getattr(el, where)
            if not s or len(s) > 400 or not _authors.BYLINE_HINT.search(s):
                continue
            owner = el if where == "text" else el.getparent()
            if owner is None:
                continue
            blk = _block_parent(owner, body)
            if blk in seen:
                continue
            line = _text(blk)
            following = None
            if where == "text":
                nxt = el[0] if len(el) else el.getnext()
            else:
                nxt = el.getnext()
            if nxt is not None and isinstance(nxt.tag, str):
                following = _text(nxt)
            if len(line) > 240:
                line = fold_ws(s)
            else:
                seen.add(blk)
            by = _authors.parse_byline(line, following)
            if by is None and following:
                by = _authors.parse_byline(fold_ws(s), following)
            if by:
                if by.strength == 1:
                    by.authors = [a for a in by.authors if a[:1].isupper()]
                    if not by.authors and not by.editor:
                        continue
                out.append((by, blk))
    return out


# --------------------------------------------------------------------------- the extractor


def extract_article(
    html: str | bytes,
    url: str,
    *,
    timezone: str = "Asia/Makassar",
    language: str | None = None,
    selectors: dict[str, str] | None = None,
    hints: Entry | None = None,
    now: datetime | None = None,
) -> Entry:
    """Extract and normalise one article page. Pure: no network.

    `selectors` (title, date, author, body, image: CSS) come from the source's config and win.
    `hints` is what a feed/API said; it fills what the page lacks, and its date wins over a page
    date that carried no offset. `now` bounds dates (nothing beyond now + 1 h is accepted).
    """
    selectors = selectors or {}
    rules: dict[str, str] = {}
    doc = parse_html(html)
    if doc is None:
        entry = Entry(url=url, title=hints.title if hints else "")
        entry.rules = {"error": "empty page"}
        return entry
    for br in doc.iter("br"):  # "Pewarta: X<br>Editor: Y" must not read "XEditor: Y"
        br.tail = " " + (br.tail or "")
    meta = _Meta(doc)
    ld = meta.ld or {}
    base = url
    base_href = doc.find(".//base")
    if base_href is not None and base_href.get("href"):
        base = urljoin(url, base_href.get("href"))
    site_name = (meta.first("og:site_name", "application-name") or (None,))[0]

    # ---- title
    title, rule = None, None
    for el in _select(doc, selectors.get("title")):
        title, rule = _text(el), "selector"
        break
    if not title and _ld_str(ld.get("headline") or ld.get("name")):
        title, rule = _ld_str(ld.get("headline") or ld.get("name")), "json-ld"
    if not title:
        got = meta.first("og:title", "twitter:title")
        if got:
            title, rule = got[0], "opengraph"
    if not title:
        for value, el in meta.micro.get("headline", []) + meta.micro.get("name", []):
            if value and el.tag in HEADINGS:
                title, rule = value, "microdata"
                break
    headings = [(el, _text(el)) for el in doc.iter("h1", "h2", "h3")]
    if not title:
        t = doc.find(".//title")
        if t is not None and _text(t):
            title, rule = _text(t), "title-tag"
    if not title and hints and hints.title:
        title, rule = hints.title, "hint"
    if not title:
        for _el, text in headings:
            if text:
                title, rule = text, "heading"
                break
    title = _strip_site(fold_ws(_html.unescape(title or "")), site_name, [h for _e, h in headings])
    title = _untruncate(title, meta, [h for _e, h in headings])
    rules["title"] = rule or "none"
    title_el = None
    for el, text in headings:
        if text and (text == title or (len(text) > 15 and text in title)):
            title_el = el
            break

    # ---- canonical URL
    canonical, rule = _canonical(meta, ld, url)
    rules["canonical_url"] = rule

    # ---- tags (before pruning: tag boxes are boilerplate for the body)
    tags, rule = _tags(doc, meta, ld, hints, title_el)
    rules["tags"] = rule

    # ---- bylines anywhere on the page (meta line under the title, first/last paragraph)
    page_bylines = _page_bylines(doc)

    # ---- dates
    published, updated = _dates(doc, meta, ld, selectors, hints, timezone, now, title_el, rules)

    # ---- image
    image, image_alt, rule = _structured_image(doc, meta, ld, selectors, hints, base)

    # ---- body
    body_el = doc.find("body")
    container, body_rule = None, None
    for el in _select(doc, selectors.get("body")):
        container, body_rule = el, "selector"
        break
    if container is None:
        for _value, el in meta.micro.get("articleBody", []):
            if el.tag != "meta" and len(el.text_content()) > 200:
                container, body_rule = el, "microdata"
                break
    content_html, paras, dateline, body_bylines = "", [], None, []
    if body_el is not None:
        total = len(body_el.text_content())
        protect = set()
        if container is not None:
            protect = {container, *container.iterancestors()}
        _prune(body_el, total, protect, _p_len(body_el))
        if container is None or not _attached(container, doc):
            container, body_rule = _score_container(body_el), "dom"
        if container is not None:
            if image is None:
                image, image_alt, rule = _dom_image(doc, title_el, container, base)
            dateline = _take_dateline(container)
            _absolutize_tree(container, base)
            blocks, body_bylines = _clean_blocks(_build_blocks(container, base), title)
            content_html, paras = _render(blocks)
    if len(" ".join(paras)) < 150:
        fallback = _trafilatura_body(html, url)
        if fallback and len(fallback) > len(" ".join(paras)):
            blocks = [
                _Block("p", f"<p>{_html.escape(p)}</p>", p)
                for p in (fold_ws(x) for x in fallback.split("\n"))
                if p
            ]
            blocks, body_bylines = _clean_blocks(blocks, title)
            if blocks:
                m = _TEXT_DATELINE.match(blocks[0].text)
                if m:
                    dateline = fold_ws(m.group(1))
                    blocks[0].text = blocks[0].text[m.end() :]
                    blocks[0].html = f"<p>{_html.escape(blocks[0].text)}</p>"
            content_html, paras = _render(blocks)
            body_rule = "trafilatura"
    if not paras and hints and hints.content_html:
        from syndicate.normalize.clean import html_paragraphs, sanitize_html

        content_html = hints.content_html
        paras = html_paragraphs(sanitize_html(content_html, base))
        body_rule = "hint"
    rules["body"] = body_rule or "none"
    content_html = clean_fragment(content_html)
    text = "\n\n".join(paras)
    if dateline:
        rules["dateline"] = "text"
    rules["image"] = rule

    # ---- authors and editor
    authors, editor = _pick_authors(
        doc, meta, ld, selectors, hints, page_bylines, body_bylines, site_name, rules
    )

    # ---- language
    lang, rule = _language(doc, meta, ld, text, language)
    rules["language"] = rule

    summary = summarize(text) if text else (hints.summary if hints else "")
    rules["summary"] = "text" if text else ("hint" if summary else "none")

    return Entry(
        url=url,
        title=title,
        canonical_url=canonical,
        guid=hints.guid if hints else None,
        authors=authors,
        editor=editor,
        published=published,
        updated=updated,
        summary=summary,
        content_html=content_html,
        content_text=text,
        image=image,
        image_alt=image_alt,
        tags=tags,
        language=lang,
        dateline=dateline,
        rules=rules,
    )


def _untruncate(title: str, meta: _Meta, headings: list[str]) -> str:
    """A title cut with "..." gives way to the full one the page also shows (heading, og:title)."""
    stem = re.sub(r"\s*(?:\.{3}|…)\s*$", "", title)
    if stem == title or len(stem) < 20:
        return title
    others = headings + [v for k in ("og:title", "twitter:title") for v in meta.all(k)]
    for other in others:
        other = fold_ws(other)
        if len(other) > len(stem) and other.startswith(stem):
            return other
    return title


def _strip_site(title: str, site_name: str | None, headings: list[str]) -> str:
    """Drop " - Site Name" / "Site: " decorations, using the page's own heading when it matches."""
    for h in headings:
        if h and h != title and len(h) > 10 and (title.startswith(h) or title.endswith(h)):
            rest = title.replace(h, "", 1).strip()
            if rest and len(rest) < 80 and re.search(r"^[-|–—:»·]|[-|–—:»·]$", rest):
                return h
    if site_name:
        for sep in (" - ", " | ", " – ", " — ", " :: ", " » ", ": "):
            if title.endswith(sep + site_name):
                return title[: -len(sep + site_name)].strip()
            if title.startswith(site_name + sep):
                return title[len(site_name + sep) :].strip()
    return title


def _canonical(meta: _Meta, ld: dict, url: str) -> tuple[str, str]:
    declared = []
    for href in meta.links.get("canonical", []):
        declared.append((urljoin(url, href), "rel-canonical"))
    got = meta.first("og:url")
    if got:
        declared.append((urljoin(url, got[0]), "opengraph"))
    ld_url = _ld_str(ld.get("url")) or _ld_str(ld.get("mainEntityOfPage"))
    if ld_url and ld_url.startswith("http"):
        declared.append((ld_url.split("#")[0], "json-ld"))
    if not declared:
        return canonicalize_url(url), "url"
    chosen, rule = declared[0]
    if page_number(chosen) and page_number(chosen) > 1:
        # Page N of a multi-page article: key it on page 1 when the page itself names page 1.
        first = strip_page_suffix(chosen)
        names = {canonicalize_url(u) for u, _ in declared} | {
            canonicalize_url(urljoin(url, h)) for h in meta.links.get("prev", [])
        }
        if canonicalize_url(first) in names:
            chosen, rule = first, rule + "+page1"
    return canonicalize_url(chosen), rule


_TAG_PATH = re.compile(r"/(?:tags?|topik|topic|topics|hashtag)/", re.I)
_NOT_TAG_PATH = re.compile(r"/(?:category|kategori|kanal|rubrik|label|section)/", re.I)


def _tags(
    doc: etree._Element, meta: _Meta, ld: dict, hints: Entry | None, title_el=None
) -> tuple[list[str], str]:
    kw = ld.get("keywords")
    if kw:
        tags = normalize_tags(_split_tags(kw))
        if tags:
            return tags, "json-ld"
    tags = normalize_tags(meta.all("article:tag"))
    if tags:
        return tags, "opengraph"
    tags = normalize_tags(_split_tags(meta.micro_first("keywords") or ""))
    if tags:
        return tags, "microdata"
    tags = _tag_links(doc, title_el)
    if tags:
        return tags, "tag-links"
    # news_keywords is an SEO field, often wider than the article's own tags: after the tag box.
    tags = normalize_tags(_split_tags(meta.all("news_keywords")))
    if tags:
        return tags, "meta"
    for el in doc.iter("div", "p", "span", "li"):
        t = el.text or ""
        m = re.match(r"^\s*(?:tags?|topik|kata\s+kunci)\s*:\s*(.*)$", t, re.I | re.S)
        if m:
            rest = _text(el)
            rest = re.sub(r"^\s*(?:tags?|topik|kata\s+kunci)\s*:\s*", "", rest, flags=re.I)
            tags = normalize_tags(_split_tags(rest))
            if tags:
                return tags, "text"
    if hints and hints.tags:
        return normalize_tags(hints.tags), "hint"
    return [], "none"


def _tag_links(doc: etree._Element, title_el) -> list[str]:
    """Links to tag archives, grouped by their box. The article's box is the first one after the
    title (a "trending" bar above it and sidebar clouds are not); category archives are not tags,
    even when WordPress marks them rel="tag".
    """
    groups: dict = {}
    for a in doc.iter("a"):
        href = a.get("href") or ""
        rel = (a.get("rel") or "").lower().split()
        path = urlsplit(href).path
        if _NOT_TAG_PATH.search(path) or "category" in rel:
            continue
        if "tag" in rel or _TAG_PATH.search(path):
            parent = a.getparent()
            while parent is not None and parent.tag in ("li", "span", "ul"):
                parent = parent.getparent()
            if parent is not None and _in_sidebar(parent):
                continue
            groups.setdefault(parent, []).append(_text(a))
    if not groups:
        return []
    boxes = list(groups)
    if title_el is not None and len(boxes) > 1:
        after = False
        order = {}
        for el in doc.iter():
            if el is title_el:
                after = True
            elif after and el in groups:
                order[el] = len(order)
        later = [b for b in boxes if b in order]
        if later:
            boxes = later
    return normalize_tags(groups[boxes[0]])


_SIDE_WORDS = {"sidebar", "widgets", "side", "secondary"}
_MAIN_WORDS = {"blog", "main", "post", "content", "article"}


def _in_sidebar(el: etree._Element) -> bool:
    """Inside a sidebar or widget area (their tag clouds and lists are the site's, not the article's).
    Blogger wraps the post itself in "widget Blog": a widget named as main content is not a side.
    """
    while el is not None:
        words = _words(el)
        if el.tag == "aside" or words & _SIDE_WORDS:
            return True
        if "widget" in words and not words & _MAIN_WORDS:
            return True
        el = el.getparent()
    return False


def _dates(doc, meta, ld, selectors, hints, tz, now, title_el, rules):
    cands: list[tuple[str, str]] = []
    for el in _select(doc, selectors.get("date")):
        cands.append(
            (el.get("datetime") or el.get("content") or el.get("title") or _text(el), "selector")
        )
    if ld.get("datePublished"):
        cands.append((str(ld["datePublished"]), "json-ld"))
    for key in (
        "article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
        "publish-date", "date", "dc.date", "dc.date.issued", "dcterms.created", "sailthru.date",
        "parsely-pub-date",
    ):  # fmt: skip
        for value in meta.all(key):
            cands.append((value, "opengraph" if key.startswith(("article:", "og:")) else "meta"))
    mv = meta.micro_first("datePublished")
    if mv:
        cands.append((mv, "microdata"))
    published, pub_explicit, rule = _first_date(cands, tz, now)
    if published is None:
        published, pub_explicit, rule = _text_date(doc, title_el, tz, now)
    if hints and hints.published and hints.published.tzinfo is not None:
        if published is None or not pub_explicit:
            published, rule = hints.published, "hint"
    elif published is None and hints and hints.published:
        published, rule = localize(hints.published, tz), "hint"
    rules["published"] = rule or "none"
    if published is not None:
        published = localize(published, tz)

    cands = []
    if ld.get("dateModified"):
        cands.append((str(ld["dateModified"]), "json-ld"))
    for key in (
        "article:modified_time",
        "og:updated_time",
        "datemodified",
        "last-modified",
        "dcterms.modified",
    ):
        for value in meta.all(key):
            cands.append((value, "opengraph" if key.startswith(("article:", "og:")) else "meta"))
    mv = meta.micro_first("dateModified")
    if mv:
        cands.append((mv, "microdata"))
    updated, _explicit, rule = _first_date(cands, tz, now)
    if updated is None and hints and hints.updated:
        updated, rule = hints.updated, "hint"
    if updated is not None:
        updated = localize(updated, tz)
    if updated is None or (published is not None and updated < published):
        updated, rule = published, "published"
    rules["updated"] = rule or "none"
    return published, updated


def _first_date(cands, tz, now):
    for value, rule in cands:
        got = parse_date_ex(value, tz)
        if got and not_future(got[0], now):
            return got[0], got[1], rule
    return None, False, None


def _text_date(doc, title_el, tz, now):
    """A date printed under the title ("Senin, 05 Januari 2026 - 09:30 WITA"); with a time first."""
    started = title_el is None
    seen = 0
    date_only = None
    before_title = None  # the last <time datetime> above the headline
    for el in doc.iter():
        if el is title_el:
            started = True
            continue
        if not started:
            if el.tag == "time" and el.get("datetime") and not _in_sidebar(el):
                got = parse_date_ex(el.get("datetime"), tz)
                if got and not_future(got[0], now):
                    before_title = got
            continue
        if not isinstance(el.tag, str):
            continue
        if el.tag == "time" and el.get("datetime"):
            got = parse_date_ex(el.get("datetime"), tz)
            if got and not got[1]:
                # datetime="2026-01-02T16:45" with "16:45 WIB" shown: the zone the page prints wins.
                shown = parse_date_ex(_text(el), tz)
                if (
                    shown
                    and shown[1]
                    and shown[0].replace(tzinfo=None) == got[0].replace(tzinfo=None)
                ):
                    got = shown
            if got and not_future(got[0], now):
                return got[0], got[1], "time-element"
        for s in (el.text, el.tail):
            if not s or not s.strip():
                continue
            seen += 1
            if _DATE_HINT.search(s):
                got = parse_date_ex(s, tz)
                if got and not_future(got[0], now):
                    if _HAS_TIME.search(s):
                        return got[0], got[1], "text"
                    date_only = date_only or got
        if seen > 80:
            break
    if before_title:
        return before_title[0], before_title[1], "time-element"
    if date_only:
        return date_only[0], date_only[1], "text"
    return None, False, None


def _structured_image(doc, meta, ld, selectors, hints, base):
    for el in _select(doc, selectors.get("image")):
        src = resolve_img(el, base) if el.tag == "img" else el.get("content") or el.get("href")
        if src:
            return original_image(urljoin(base, src)), el.get("alt"), "selector"
    cands: list[tuple[str, str]] = []
    if ld.get("image"):
        src = _ld_str(ld.get("image"))
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
            src = original_image(urljoin(base, src))
            alt = (meta.first("og:image:alt", "twitter:image:alt") or (None,))[0]
            if alt is None:
                for img in doc.iter("img"):
                    s = img.get("src") or img.get("data-src") or ""
                    if s and same_file(s, src) and img.get("alt"):
                        alt = img.get("alt")
                        break
            return src, alt, rule
    return None, None, "none"


def _dom_image(doc, title_el, container, base):
    """First real image between the title and the end of the body (lazy URLs resolved)."""
    started = title_el is None or not _attached(title_el, doc)
    for el in doc.iter():
        if el is title_el:
            started = True
            continue
        if not started:
            continue
        if el.tag == "img":
            src = _content_image(el, base)
            if src:
                return original_image(src), el.get("alt") or None, "dom"
        if el is container:
            for img in container.iter("img"):
                src = _content_image(img, base)
                if src:
                    return original_image(src), img.get("alt") or None, "dom"
            break
    return None, None, "none"


def _pick_authors(doc, meta, ld, selectors, hints, page_bylines, body_bylines, site_name, rules):
    editor = None
    for by in body_bylines:
        if by.editor:
            editor = by.editor
            break
    if editor is None:
        for by, _el in page_bylines:
            if by.editor:
                editor = by.editor
                break
    rules["editor"] = "byline" if editor else "none"
    for el in _select(doc, selectors.get("author")):
        names = _authors.normalize_authors(_text(el))
        if names:
            rules["authors"] = "selector"
            return names, editor
    strong = [b for b in body_bylines if b.strength == 2 and b.authors]
    strong += [b for b, _el in page_bylines if b.strength == 2 and b.authors]
    if strong:
        rules["authors"] = "byline"
        return strong[0].authors, editor
    structured: list[tuple[list[str], str]] = [
        (_authors.normalize_authors(_ld_names(ld.get("author"))), "json-ld"),
        (_authors.normalize_authors(meta.micro_first("author")), "microdata"),
        (
            _authors.normalize_authors(
                [
                    v
                    for v in meta.all("author") + meta.all("article:author")
                    if not v.startswith("http")
                ]
            ),
            "meta",
        ),
    ]
    weak = [b for b in body_bylines if b.authors] + [b for b, _el in page_bylines if b.authors]
    structured += [(b.authors, "byline") for b in weak]
    structured.append((_author_links(doc), "author-link"))
    if hints and hints.authors:
        structured.append((_authors.normalize_authors(hints.authors), "hint"))
    for names, rule in structured:
        real = [n for n in names if not _authors.is_generic(n, site_name)]
        if real:
            rules["authors"] = rule
            return real, editor
    for names, rule in structured:
        if names:
            rules["authors"] = rule
            return names, editor
    rules["authors"] = "none"
    return [], editor


_AUTHOR_PATH = re.compile(
    r"/(?:author|authors|penulis|reporter|wartawan|kontributor|profile)/[^/]+", re.I
)
_AUTHOR_WORDS = {"author", "author-name", "post-author", "entry-author", "byline-author", "penulis"}
_COMMENT_WORDS = {"comment", "comments", "komentar", "respond", "reply", "replies", "discussion"}


def _author_links(doc: etree._Element) -> list[str]:
    """An unlabelled author the theme prints (WordPress block themes, Ghost, Blogger profiles):
    a rel="author" link, a link to an author archive, or a box classed as the author's name.
    Comment authors and sidebar widgets are skipped.
    """
    body = doc.find("body")
    if body is None:
        return []
    for el in body.iter("a", "span", "div", "h4", "p"):
        href = (el.get("href") or "") if el.tag == "a" else ""
        rel = (el.get("rel") or "").lower().split()
        words = _words(el)
        if not (
            "author" in rel
            or (href and _AUTHOR_PATH.search(urlsplit(href).path))
            or words & _AUTHOR_WORDS
        ):
            continue
        name = _text(el)
        if not name or len(name) > 50 or re.search(r"\d", name) or len(name.split()) > 5:
            continue
        if _in_comments(el) or _in_sidebar(el):
            continue
        names = _authors.normalize_authors(name)
        if names:
            return names
    return []


def _in_comments(el: etree._Element) -> bool:
    while el is not None:
        if _words(el) & _COMMENT_WORDS:
            return True
        el = el.getparent()
    return False


def _language(doc, meta, ld, text, configured):
    declared = None
    lang_attr = (
        doc.get("lang") or (meta.first("og:locale", "language", "content-language") or (None,))[0]
    )
    if isinstance(ld.get("inLanguage"), str):
        lang_attr = lang_attr or ld.get("inLanguage")
    if lang_attr:
        declared = lang_attr.replace("_", "-").split("-")[0].lower() or None
    detected, prob = _detect(text[:2000]) if len(text) >= 200 else (None, 0.0)
    # A source that mixes languages: trust the text when the detector is sure.
    if detected and prob >= 0.9:
        return detected, "detected"
    if configured:
        return configured, "config"
    if declared:
        return declared, "declared"
    if detected:
        return detected, "detected"
    return None, "none"


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _detect(text: str) -> tuple[str | None, float]:
    try:
        ranked = _identifier().rank(text)[:3]
    except Exception:
        return None, 0.0
    if not ranked:
        return None, 0.0
    # langid splits Indonesian text between "id" and "ms"; for this service both are Indonesian.
    probs: dict[str, float] = {}
    for lang, prob in ranked:
        lang = "id" if lang == "ms" else lang
        probs[lang] = probs.get(lang, 0.0) + float(prob)
    lang = max(probs, key=probs.__getitem__)
    return lang, probs[lang]


def _trafilatura_body(html: str | bytes, url: str) -> str | None:
    import trafilatura

    try:
        return trafilatura.extract(
            html, url=url, include_comments=False, include_tables=False, favor_precision=True
        )
    except Exception:
        return None


# --------------------------------------------------------------------------- multi-page & AMP


def next_page_url(html: str | bytes, url: str) -> str | None:
    """The next page of a multi-page article (rel=next, or a "Halaman selanjutnya" link)."""
    doc = parse_html(html)
    if doc is None:
        return None
    for el in doc.iter("link"):
        if "next" in (el.get("rel") or "").lower().split() and el.get("href"):
            nxt = urljoin(url, el.get("href"))
            if page_number(nxt):
                return nxt
    here = page_number(url) or 1
    for a in doc.iter("a"):
        href = a.get("href")
        if not href:
            continue
        text = _text(a).lower()
        rel = (a.get("rel") or "").lower()
        if "next" in rel or re.search(
            r"halaman\s+(selanjutnya|berikutnya)|selanjutnya|next\s+page", text
        ):
            nxt = urljoin(url, href)
            n = page_number(nxt)
            if (
                n
                and n == here + 1
                and strip_page_suffix(nxt).rstrip("/") == strip_page_suffix(url).rstrip("/")
            ):
                return nxt
    return None


def amp_url(html: str | bytes, url: str) -> str | None:
    """The AMP version declared by the page (<link rel="amphtml">), a cleaner fallback source."""
    doc = parse_html(html)
    if doc is None:
        return None
    for el in doc.iter("link"):
        if "amphtml" in (el.get("rel") or "").lower().split() and el.get("href"):
            return urljoin(url, el.get("href"))
    return None


def merge_pages(entries: list[Entry]) -> Entry:
    """Join the pages of one article (in order): page 1's metadata, every page's body."""
    if not entries:
        raise ValueError("no pages")
    first = entries[0]
    if len(entries) == 1:
        return first
    texts = [e.content_text for e in entries if e.content_text]
    htmls = [e.content_html for e in entries if e.content_html]
    tags = normalize_tags([t for e in entries for t in e.tags])
    rules = dict(first.rules)
    rules["pages"] = str(len(entries))
    return Entry(
        url=first.url,
        title=first.title,
        canonical_url=first.canonical_url,
        guid=first.guid,
        authors=first.authors or next((e.authors for e in entries if e.authors), []),
        editor=first.editor or next((e.editor for e in entries if e.editor), None),
        published=first.published,
        updated=max((e.updated for e in entries if e.updated), default=first.updated),
        summary=first.summary,
        content_html="\n".join(htmls),
        content_text="\n\n".join(texts),
        image=first.image or next((e.image for e in entries if e.image), None),
        image_alt=first.image_alt,
        tags=tags,
        language=first.language,
        dateline=first.dateline,
        rules=rules,
    )
