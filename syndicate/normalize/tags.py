"""Article tags: JSON-LD keywords > article:tag > microdata > the tag box after the title >
news_keywords > a "Tags:" line > feed hint."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree

from syndicate.normalize.clean import fold_ws
from syndicate.normalize.dom import in_sidebar, text_of
from syndicate.normalize.page import Page

_TAG_PATH = re.compile(r"/(?:tags?|topik|topic|topics|hashtag)/", re.I)
_NOT_TAG_PATH = re.compile(r"/(?:category|kategori|kanal|rubrik|label|section)/", re.I)
_TAG_LABEL = re.compile(r"^\s*(?:tags?|topik|kata\s+kunci)\s*:\s*", re.I)


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


def _split_tags(value) -> list[str]:
    if isinstance(value, list):
        return [t for v in value for t in _split_tags(v)]
    if isinstance(value, str):
        return [t for t in (fold_ws(x).lstrip("#") for x in value.split(",")) if t]
    return []


def pick_tags(page: Page) -> tuple[list[str], str]:
    """(tags, rule). Run before pruning: tag boxes are boilerplate for the body."""
    doc, meta, ld, hints, title_el = page.doc, page.meta, page.ld, page.hints, page.title_el
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
        if _TAG_LABEL.match(el.text or ""):
            tags = normalize_tags(_split_tags(_TAG_LABEL.sub("", text_of(el), count=1)))
            if tags:
                return tags, "text"
    if hints and hints.tags:
        return normalize_tags(hints.tags), "hint"
    return [], "none"


def _tag_links(doc: etree._Element, title_el: etree._Element | None) -> list[str]:
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
            if parent is not None and in_sidebar(parent):
                continue
            groups.setdefault(parent, []).append(text_of(a))
    if not groups:
        return []
    boxes = list(groups)
    if title_el is not None and len(boxes) > 1:
        after = False
        order: dict[object, int] = {}
        for el in doc.iter():
            if el is title_el:
                after = True
            elif after and el in groups:
                order[el] = len(order)
        later = [b for b in boxes if b in order]
        if later:
            boxes = later
    return normalize_tags(groups[boxes[0]])
