"""Is an article page gone? 404/410, a redirect to the home page or a section, or a soft 404.

Pure functions over what a re-check fetched; the runner counts the answers (two in a row mark
the article removed) so one odd answer never deletes an article.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from syndicate.ingest.fetcher import FetchResponse, host_key
from syndicate.ingest.url_shapes import is_article_url

# Titles and headings of not-found pages (id/en), as CMSs and themes word them. STRONG says so
# outright; WEAK only counts in a short heading ("Tidak Ditemukan", "404"), since a headline
# like "Nelayan Hilang Tidak Ditemukan" is news, not an error page.
STRONG = re.compile(
    r"(?:halaman|laman|berita|artikel|konten|postingan|tulisan|page|post|article|content)\s+"
    r"(?:yang\s+(?:anda|kamu)\s+(?:cari|minta)\s+|yang\s+diminta\s+)?"
    r"(?:tidak|tak)\s+(?:dapat\s+|bisa\s+)?(?:ditemukan|tersedia)"
    r"|page\s+not\s+found|\b404\b.{0,12}not\s+found|error\s+404|\b404\s*[-:|]"
    r"|(?:page|post|article)\s+(?:does\s+not|doesn'?t)\s+exist|no\s+longer\s+available",
    re.I,
)
WEAK = re.compile(
    r"^\W*(?:404|not\s+found|nothing\s+(?:was\s+)?found|oops\W*|(?:maaf\W+)?"
    r"(?:tidak|tak)\s+(?:dapat\s+)?ditemukan|(?:telah|sudah)\s+dihapus)\W*$",
    re.I,
)


def not_found_text(text: str) -> bool:
    """A title or heading that says "not found" (site name after | or - ignored)."""
    text = " ".join(text.split())
    head = re.split(r"\s[|\u2013\u2014-]\s", text)[0]
    return bool(STRONG.search(head) or WEAK.match(head))


HOME_PATHS = {"", "/", "/index.php", "/index.html", "/home", "/beranda"}
# Path words of listings: a redirect there means the article is no longer served.
SECTION_WORDS = {
    "category", "categories", "kategori", "kanal", "rubrik", "section", "tag", "tags", "topik",
    "berita", "news", "artikel", "indeks", "index", "arsip", "archive", "blog", "posts", "search",
}  # fmt: skip
ARTICLE_TYPES = re.compile(r'"@type"\s*:\s*"(?:News|Blog|Report)?(?:Article|Posting)"', re.I)
SHORT_PAGE_WORDS = 120  # a page whose main text is shorter than this has no article left


def _segments(url: str) -> list[str]:
    return [s for s in urlsplit(url).path.split("/") if s]


def redirected_away(request_url: str, final_url: str) -> str | None:
    """'home page' / 'section listing' when an article URL now lands on one, else None.

    A redirect to another article (a new slug, /read/<id> -> the dated URL, http -> https,
    a trailing slash) is not a removal.
    """
    if not final_url or final_url.rstrip("/") == request_url.rstrip("/"):
        return None
    req, fin = urlsplit(request_url), urlsplit(final_url)
    if req.path.rstrip("/") == fin.path.rstrip("/") and req.query == fin.query:
        return None  # scheme, host spelling or slash only
    if fin.path in HOME_PATHS and not fin.query and req.path not in HOME_PATHS:
        return "home page"
    req_segs, fin_segs = _segments(request_url), _segments(final_url)
    if fin_segs and len(fin_segs) < len(req_segs) and req_segs[: len(fin_segs)] == fin_segs:
        return "section listing"  # /berita/slug -> /berita

    words = {s.lower() for s in fin_segs}
    if words & SECTION_WORDS and not is_article_url(final_url, host_key(final_url)):
        return "section listing"  # /kategori/politik, not /berita/12345/slug
    return None


def _text(el: etree._Element | None) -> str:
    return " ".join(el.text_content().split()) if el is not None else ""


def soft_404(html: str, title_known: str | None = None) -> bool:
    """An HTTP 200 page that says the article is not there: a not-found title or heading.

    With `title_known` (the stored article's title) a near-empty page with no article markup
    that no longer shows that title counts too; a page never seen before is left to the
    extractor (a short release without markup is still an article).
    """
    try:
        doc = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return False
    if not_found_text(_text(doc.find(".//title"))):
        return True
    if any(not_found_text(_text(h)) for h in list(doc.iter("h1", "h2"))[:3]):
        return True
    if title_known is None:
        return False
    if ARTICLE_TYPES.search(html) or doc.find(".//article") is not None:
        return False
    og = doc.xpath('//meta[@property="og:type"]/@content')
    if og and og[0].strip().lower() == "article":
        return False
    for el in doc.xpath("//script|//style|//nav|//header|//footer|//aside|//form|//noscript"):
        el.drop_tree()
    main = doc.find(".//main")
    text = _text(main if main is not None else doc.find(".//body"))
    if title_known and " ".join(title_known.split()).casefold() in text.casefold():
        return False
    return len(text.split()) < SHORT_PAGE_WORDS


def gone_reason(request_url: str, resp: FetchResponse, title: str | None = None) -> str | None:
    """Why a re-checked article page counts as gone (None: it is still there).

    `title` is the stored article's title when re-checking one (see soft_404).
    """
    if resp.gone:
        return f"HTTP {resp.status}"
    if not resp.ok:
        return None
    away = redirected_away(request_url, resp.url)
    if away:
        return f"redirects to the {away}"
    textual = "html" in resp.content_type or not resp.content_type
    if textual and soft_404(resp.text, title):
        return "not-found page (HTTP 200)"
    return None
