"""Parsing a page once, and the small tree helpers every extraction step shares."""

from __future__ import annotations

import re
from functools import lru_cache

import lxml.html
from lxml import etree

from syndicate.normalize.clean import fold_ws
from syndicate.normalize.encoding import decode_html

BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "center", "td", "th", "tr", "tbody", "table",
    "li", "ul", "ol", "dl", "dd", "dt", "blockquote", "figure", "figcaption", "pre", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "header", "footer", "aside", "nav", "form", "body", "address",
}  # fmt: skip
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
HIDDEN_CLASSES = {"screen-reader-text", "sr-only", "visually-hidden", "hidden", "d-none", "hide"}

# lxml.html's parser picks each element's Python class with a Python callback (form, input,
# label... classes nothing here uses); a C-level default lookup gives every element the same
# HtmlElement for a fifth less time over a whole extraction.
_PARSER = etree.HTMLParser()
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WORDSPLIT = re.compile(r"[\s_\-]+")
_SIDE_WORDS = {"sidebar", "widgets", "side", "secondary"}
_MAIN_WORDS = {"blog", "main", "post", "content", "article"}


def parse_html(html: str | bytes) -> etree._Element | None:
    """Parse a whole page with lxml (the XML declaration is dropped; lxml refuses it on str)."""
    if isinstance(html, bytes):
        html = decode_html(html, None)
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html, count=1)
    # libxml2 parses C0 controls into text that lxml then refuses to set or copy again.
    html = _CONTROL.sub("", html)
    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None


def text_of(el: etree._Element) -> str:
    return fold_ws(el.text_content())


@lru_cache(maxsize=256)
def _css(selector: str):
    from lxml.cssselect import CSSSelector

    return CSSSelector(selector)


def select(doc: etree._Element, selector: str | None) -> list[etree._Element]:
    """Elements matching a source's configured CSS selector ([] when unset or invalid)."""
    if not selector:
        return []
    try:
        return _css(selector)(doc)
    except Exception:  # a bad selector in a source's config must not break extraction
        return []


def class_words(el: etree._Element) -> set[str]:
    """The words of an element's class and id ("post-share_bar" -> post, share, bar)."""
    names = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    if not names.strip():
        return set()
    names = re.sub(r"\bno[-_]\w+", " ", names)  # "no-share" says the box has no share bar
    return set(_WORDSPLIT.split(names))


def is_hidden(el: etree._Element) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style or el.get("hidden") is not None:
        return True
    cls = (el.get("class") or "").lower().split()
    return any(c in HIDDEN_CLASSES for c in cls)


def attached(el: etree._Element, root: etree._Element) -> bool:
    """Still inside `root` (pruning may have removed it)."""
    while el is not None:
        if el is root:
            return True
        el = el.getparent()
    return False


def block_parent(el: etree._Element, stop: etree._Element) -> etree._Element:
    while el is not stop and el.tag not in BLOCK_TAGS:
        el = el.getparent()
    return el


def link_density(el: etree._Element, text_len: int) -> float:
    if text_len <= 0:
        return 0.0
    linked = sum(len(a.text_content()) for a in el.iter("a"))
    return linked / text_len


def in_sidebar(el: etree._Element) -> bool:
    """Inside a sidebar or widget area (their tag clouds and lists are the site's, not the article's).
    Blogger wraps the post itself in "widget Blog": a widget named as main content is not a side.
    """
    while el is not None:
        words = class_words(el)
        if el.tag == "aside" or words & _SIDE_WORDS:
            return True
        if "widget" in words and not words & _MAIN_WORDS:
            return True
        el = el.getparent()
    return False
