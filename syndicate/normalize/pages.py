"""Articles split over several pages, and their AMP versions: finding the next page or the AMP
link, and joining the pages' entries into one."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from syndicate.models import Entry
from syndicate.normalize.clean import join_url
from syndicate.normalize.dom import parse_html, text_of
from syndicate.normalize.tags import normalize_tags
from syndicate.normalize.urls import page_number, strip_page_suffix


def _rel_links(doc: etree._Element, rel: str, url: str) -> Iterator[str]:
    """Absolute hrefs of the page's <link rel=...> elements, in order."""
    for el in doc.iter("link"):
        if rel in (el.get("rel") or "").lower().split() and el.get("href"):
            yield join_url(url, el.get("href"))


def next_page_url(html: str | bytes, url: str) -> str | None:
    """The next page of a multi-page article (rel=next, or a "Halaman selanjutnya" link)."""
    doc = parse_html(html)
    if doc is None:
        return None
    for nxt in _rel_links(doc, "next", url):
        if page_number(nxt):
            return nxt
    here = page_number(url) or 1
    for a in doc.iter("a"):
        href = a.get("href")
        if not href:
            continue
        text = text_of(a).lower()
        rel = (a.get("rel") or "").lower()
        if "next" in rel or re.search(
            r"halaman\s+(selanjutnya|berikutnya)|selanjutnya|next\s+page", text
        ):
            nxt = join_url(url, href)
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
    return next(_rel_links(doc, "amphtml", url), None)


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
        categories=normalize_tags([c for e in entries for c in e.categories]),
        language=first.language,
        dateline=first.dateline,
        rules=rules,
        modified=max((e.modified for e in entries if e.modified), default=None),
    )
