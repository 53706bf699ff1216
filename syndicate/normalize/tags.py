"""Article tags: JSON-LD keywords > article:tag > microdata > the tag box after the title >
news_keywords > a labelled tag box > a "Tags:" line > feed hint.

Categories (the section an article is filed under, kept beside the tags): JSON-LD articleSection >
article:section > category links after the title (category/kanal/rubrik archives, rel=category,
Blogger labels) > a labelled "Kategori" box > the last breadcrumb > feed hint."""

from __future__ import annotations

import re

from lxml import etree

from syndicate.normalize.clean import fold_ws, url_path
from syndicate.normalize.dom import class_words, in_sidebar, text_of
from syndicate.normalize.page import Page

_TAG_PATH = re.compile(r"/(?:tags?|topik|topic|topics|hashtag)/", re.I)
_NOT_TAG_PATH = re.compile(r"/(?:category|kategori|kanal|rubrik|label|section)/", re.I)
_CATEGORY_PATH = re.compile(
    r"/(?:category|categories|kategori|kanal|rubrik|section|sections|search/label)/", re.I
)
_TAG_LABEL = re.compile(r"^\s*(?:tags?|topik|kata\s+kunci)\s*:\s*", re.I)
# A label standing alone over a box of links (Drupal's field__label "Tag", "Topik:").
_BOX_LABEL = re.compile(r"^\s*(?:tags?|topik|topics?|kata\s+kunci|keywords?)\s*:?\s*$", re.I)
_CATEGORY_LABEL = re.compile(
    r"^\s*(?:kategori|categories|category|kanal|rubrik|section|posted\s+in)\s*:?\s*$", re.I
)


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
        return [t for t in (fold_ws(x).lstrip("#") for x in re.split(r"[,;]", value)) if t]
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
    tags = _labelled_links(doc, _BOX_LABEL)
    if tags:
        return tags, "tag-box"
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
        path = url_path(href)
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
    if title_el is not None and len(boxes) > 1 and _under(title_el, doc):
        title_at = _doc_position(title_el)
        later = [b for b in boxes if b is not None and _doc_position(b) > title_at]
        if later:
            boxes = later
    return normalize_tags(groups[boxes[0]])


def _labelled_links(doc: etree._Element, label: re.Pattern) -> list[str]:
    """Link texts of the first box whose label (an element of its own, or the box's leading text)
    matches `label`; boxes in sidebars and navigation are not the article's."""
    for el in doc.iter("div", "span", "strong", "b", "h2", "h3", "h4", "h5", "dt", "label", "p"):
        # The label is the element's own first text: reading every subtree would be quadratic.
        own = el.text
        if not own or len(own) > 30 or not label.match(own):
            continue
        box = el if len(el) and el[0].tag == "a" else el.getparent()
        while box is not None and len(box.findall(".//a")) == 0 and box.getparent() is not None:
            box = box.getparent()  # the label's box holds no links: its parent does
        if box is None or in_sidebar(box) or _in_nav(box):
            continue
        names = [text_of(a) for a in box.iter("a") if a is not el]
        tags = normalize_tags([n for n in names if n and not label.match(n)])
        if tags and len(tags) <= 30:
            return tags
    return []


def _in_nav(el: etree._Element | None) -> bool:
    """In the site's menus: <nav>, <footer>, or a <header> that is not an article's own."""
    header = False
    while el is not None:
        if el.tag in ("nav", "footer"):
            return True
        if el.tag == "header":
            header = True
        if el.tag == "article":
            return False
        el = el.getparent()
    return header


def pick_categories(page: Page) -> tuple[list[str], str]:
    """(categories, rule). Run before pruning, like pick_tags."""
    section = page.ld.get("articleSection")
    cats = normalize_tags(_split_tags(section) if isinstance(section, list) else [section or ""])
    if cats:
        return cats, "json-ld"
    cats = normalize_tags(page.meta.all("article:section"))
    if cats:
        return cats, "opengraph"
    cats = _category_links(page.doc, page.title_el)
    if cats:
        return cats, "category-links"
    cats = _labelled_links(page.doc, _CATEGORY_LABEL)
    if cats:
        return cats, "category-box"
    title = text_of(page.title_el) if page.title_el is not None else ""
    cats = _breadcrumb_section(page.doc, title)
    if cats:
        return cats, "breadcrumb"
    if page.hints and page.hints.categories:
        return normalize_tags(page.hints.categories), "hint"
    return [], "none"


def _category_links(doc: etree._Element, title_el: etree._Element | None) -> list[str]:
    """Links to category archives in the article's own area: the first box of them after the
    title (the kicker above a headline counts when nothing follows), never menus or sidebars."""
    groups: dict = {}
    order: list = []
    for a in doc.iter("a"):
        rel = (a.get("rel") or "").lower().split()
        path = url_path(a.get("href") or "")
        if not ("category" in rel or _CATEGORY_PATH.search(path)):
            continue
        box = a.getparent()
        while box is not None and box.tag in ("li", "span", "ul", "strong", "b"):
            box = box.getparent()
        if box is None or in_sidebar(box) or _in_nav(a) or _is_crumbs(box):
            continue
        if box not in groups:
            order.append(box)
        groups.setdefault(box, []).append(text_of(a))
    groups = {b: names for b, names in groups.items() if len(names) <= 3}  # more is a menu
    order = [b for b in order if b in groups]
    if not groups:
        return []
    if title_el is not None:
        title_at = _doc_position(title_el) if _under(title_el, doc) else None
        seen = sorted(
            (at, n)
            for n, at in enumerate(_doc_position(b) for b in order)
            if title_at is not None and at > title_at
        )
        if seen:
            return normalize_tags(groups[order[seen[0][1]]])
        near = [b for b in order if title_el in b.iter() or title_el.getparent() is b]
        if near:
            return normalize_tags(groups[near[0]])
    return normalize_tags(groups[order[0]]) if len(order) == 1 else []


_CRUMB_WORDS = {"breadcrumb", "breadcrumbs", "crumbs", "crumb", "jalur"}
# Compiled once; testing @class/@id before contains() reads them only where they are set.
_CRUMB_XPATH = etree.XPath(
    "//*[@class and (contains(@class, 'crumb') or contains(@class, 'jalur'))"
    " or @id and (contains(@id, 'crumb') or contains(@id, 'jalur'))]"
)


def _doc_position(el: etree._Element) -> tuple[int, ...]:
    """Where `el` stands in document order, comparable between elements: its child indexes from
    the root (an element's descendants and everything after it compare greater). Cheaper than
    walking the whole tree to see which boxes come after the title."""
    path = []
    parent = el.getparent()
    while parent is not None:
        path.append(parent.index(el))
        el, parent = parent, parent.getparent()
    return tuple(reversed(path))


def _under(el: etree._Element, doc: etree._Element) -> bool:
    return el is doc or any(a is doc for a in el.iterancestors())


def _is_crumbs(el: etree._Element | None) -> bool:
    while el is not None:
        if class_words(el) & _CRUMB_WORDS:
            return True
        el = el.getparent()
    return False


def _breadcrumb_section(doc: etree._Element, title: str) -> list[str]:
    """The section a breadcrumb trail names last ("Beranda / Daerah" -> Daerah; the article's own
    title as the last crumb is skipped, a first "Home" crumb never counts)."""
    for el in _CRUMB_XPATH(doc):
        if class_words(el) & _CRUMB_WORDS:
            items = [text_of(li) for li in el.iter("li")] or [text_of(a) for a in el.iter("a")]
            items = [i for i in items if i and fold_ws(i) != fold_ws(title)]
            if len(items) >= 2:
                return normalize_tags(items[-1:])
    return []
