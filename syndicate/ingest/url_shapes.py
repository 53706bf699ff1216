"""What a URL's shape says about the page behind it: an article, a listing, an asset.

Pure rules over the path and query (no fetching), shared by the HTML route, discovery and the
removal check (an article URL that now redirects to a section is a removal)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from syndicate.ingest.fetcher import host_key

# Path words of archive, taxonomy, account and utility pages: never an article.
NOT_ARTICLE_WORDS = {
    "tag", "tags", "category", "categories", "kategori", "topik", "topic", "label", "author",
    "authors", "penulis", "search", "cari", "pencarian", "page", "feed", "rss", "wp-admin",
    "wp-content", "wp-includes", "wp-json", "login", "register", "daftar", "masuk", "cdn-cgi",
    "comments", "komentar", "amp", "print", "cetak", "share", "assets", "images", "img", "css",
    "js", "static", "media", "uploads", "foto_berita", "video", "galeri", "gallery", "halaman",
    "p", "indeks", "index", "arsip", "archive", "archives", "redaksi", "kontak", "contact",
}  # fmt: skip
ASSET_EXT = re.compile(r"\.(jpe?g|png|gif|webp|svg|ico|css|js|pdf|zip|mp[34]|xml|json|txt)$", re.I)
PAGE_KEYS = ("page", "halaman", "hal", "paged", "pg", "pagenum", "start")
_SLUG_WORD = re.compile(r"[a-z0-9]+", re.I)


def segment_class(seg: str) -> str:
    """One path segment as a shape token: 9 (a number), S (a slug), or the literal word."""
    stem, dot, ext = (
        seg.rpartition(".") if re.search(r"\.(html?|php|aspx?)$", seg, re.I) else (seg, "", "")
    )
    stem = stem.lower()
    if stem.isdigit():
        return "9" + (dot + ext.lower())
    words = _SLUG_WORD.findall(stem)
    if (len(words) >= 4 and len(stem) >= 20) or (len(words) >= 3 and len(stem) >= 25):
        return "S" + (dot + ext.lower())
    return stem + (dot + ext.lower())


def shape(url: str) -> str:
    parts = urlsplit(url)
    segs = [s for s in parts.path.split("/") if s]
    toks = [segment_class(s) for s in segs]
    keys = sorted(k for k, _ in parse_qsl(parts.query))
    return "/" + "/".join(toks) + (("?" + "&".join(keys)) if keys else "")


def is_article_url(url: str, base_host: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or host_key(url) != base_host:
        return False
    if ASSET_EXT.search(parts.path):
        return False
    segs = [s for s in parts.path.split("/") if s]
    if not segs:
        return False
    toks = [segment_class(s) for s in segs]
    words = {t.split(".")[0] for t in toks if t[:1] not in ("9", "S")}
    if words & NOT_ARTICLE_WORDS and "S" not in {t[:1] for t in toks}:
        return False
    if {w.lower() for w in segs} & {
        "tag",
        "category",
        "kategori",
        "author",
        "label",
        "search",
        "feed",
        "page",
    }:
        return False
    has_slug = any(t.startswith("S") for t in toks)
    long_id = any(
        t.startswith("9") and len(s.split(".")[0]) >= 3 for t, s in zip(toks, segs, strict=True)
    )
    query = dict(parse_qsl(parts.query))
    if query.keys() & set(PAGE_KEYS) and not has_slug:
        return False
    if any(
        k in query and query[k].isdigit() and len(query[k]) >= 3
        for k in ("id", "p", "artikel", "berita")
    ):
        return True
    return has_slug or (long_id and len(segs) >= 2)
