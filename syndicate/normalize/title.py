"""The headline: configured selector > JSON-LD > OpenGraph > microdata > <title> > feed hint >
first heading; then site-name decorations and "..." truncation are undone."""

from __future__ import annotations

import html as _html
import re
from urllib.parse import urlsplit

from lxml import etree

from syndicate.normalize.clean import fold_ws
from syndicate.normalize.dom import HEADINGS, select, text_of
from syndicate.normalize.metadata import PageMeta, ld_str
from syndicate.normalize.page import Page


def pick_title(page: Page) -> tuple[str, str, etree._Element | None]:
    """(title, rule, the heading element that shows it: dates and images are looked for below it).

    The heading element is also kept in `page.title_el`."""
    doc, meta, ld, selectors, hints = page.doc, page.meta, page.ld, page.selectors, page.hints
    site_name = page.site_name
    title, rule = None, None
    for el in select(doc, selectors.get("title")):
        title, rule = text_of(el), "selector"
        break
    if not title and ld_str(ld.get("headline") or ld.get("name")):
        title, rule = ld_str(ld.get("headline") or ld.get("name")), "json-ld"
    if not title:
        got = meta.first("og:title", "twitter:title")
        if got:
            title, rule = got[0], "opengraph"
    if not title:
        for value, el in meta.micro.get("headline", []) + meta.micro.get("name", []):
            if value and el.tag in HEADINGS:
                title, rule = value, "microdata"
                break
    headings = [(el, text_of(el)) for el in doc.iter("h1", "h2", "h3")]
    if not title:
        t = doc.find(".//title")
        if t is not None and text_of(t):
            title, rule = text_of(t), "title-tag"
    if not title and hints and hints.title:
        title, rule = hints.title, "hint"
    if not title:
        for _el, text in headings:
            if text:
                title, rule = text, "heading"
                break
    heading_texts = [h for _e, h in headings]
    title = _strip_site(fold_ws(_html.unescape(title or "")), site_name, heading_texts)
    title = _strip_outlet(title, site_name, page.url)
    title = _untruncate(title, meta, heading_texts)
    title_el = None
    for el, text in headings:
        if text and (text == title or (len(text) > 15 and text in title)):
            title_el = el
            break
    page.title_el = title_el
    return title, rule or "none", title_el


def _untruncate(title: str, meta: PageMeta, headings: list[str]) -> str:
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


_SEPARATORS = (" - ", " | ", " – ", " — ", " :: ", " » ")
_TLD = re.compile(r"\.(?:co\.id|my\.id|web\.id|go\.id|com|id|net|org|news|info|tv|co)$", re.I)
_DOMAIN = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}$", re.I)


def _squash(text: str) -> str:
    return re.sub(r"\W|_", "", text.lower())


def _host_name(url: str) -> str:
    """ "https://www.kabarbitung.com/a" -> "kabarbitung"."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return _squash(re.sub(r"^www\.", "", host).split(".")[0])


def _strip_outlet(title: str, site_name: str | None, url: str) -> str:
    """Drop a " - KabarBitung.com" / "Kabar Bitung | " decoration the page's heading did not
    undo: the part beyond the separator is a domain name, or the site's name or the URL's host
    spelled another way."""
    names = {n for n in (_squash(site_name or ""), _host_name(url)) if len(n) >= 4}

    def outlet(part: str) -> bool:
        part = part.strip()
        return (
            bool(_TLD.search(part) and _DOMAIN.match(part)) or _squash(_TLD.sub("", part)) in names
        )

    for sep in _SEPARATORS:
        if sep not in title:
            continue
        head, _, tail = title.rpartition(sep)
        if len(head.strip()) >= 10 and outlet(tail):
            return head.strip()
        first, _, rest = title.partition(sep)
        if len(rest.strip()) >= 10 and outlet(first):
            return rest.strip()
    return title
