"""The dateline that opens an article ("BITUNG –", "Outlet.id, Bitung —", "<b>PALU</b> -"):
found in the first real paragraph of the body, taken out of the text and kept as its own field."""

from __future__ import annotations

import re

from lxml import etree

from syndicate.normalize import authors as _authors
from syndicate.normalize.boilerplate import CAPTION, CREDITED_CAPTION, NOISE, RELATED
from syndicate.normalize.clean import _drop, fold_ws
from syndicate.normalize.dom import BLOCK_TAGS, HEADINGS, block_parent, text_of

_TITLE_PLACE = r"[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2}"
_TEXT_DATELINE = re.compile(
    r"^\s*(?:("
    # "BITUNG –", "MANADO, KOMPAS.com -", "BITUNG, Kamis (8/1/2026) -", "JAKARTA, 8/1/2026 -"
    r"(?:[A-Z][A-Z'.]+(?:\s+[A-Z][A-Z'.]+){0,3})(?:\s*,\s*[\w./]+(?:\s+[\w./]+){0,3})?"
    r"\s*(?:\([^)]{2,40}\))?\s*[–—-]{1,2}"
    r"|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s*\([A-Z][^)]{1,30}\)\s*[–—-]{1,2}"
    r"|[\w-]+\.(?:id|com|net|co\.id|news|org)\s*,\s*[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s*[–—-]{1,2}"
    # "Bitung, DetailNews.id –", "Jakarta, CNN Indonesia --": a place, then the outlet (a domain,
    # or a name written like one: "CNN", "DetailNews"; never a person's "Budi Santoso -")
    rf"|{_TITLE_PLACE}\s*,\s*(?:[\w-]+\.(?:id|com|net|co\.id|news|org)"
    r"|[A-Z][a-z]*[A-Z]\w*(?:\s+[A-Z]\w*){0,2})"
    r"\s*[–—-]{1,2}"
    # "Bitung, 8 Januari 2026 —", "Manado, Kamis (8/1/2026) -": a place, then the date
    rf"|{_TITLE_PLACE}\s*,\s*(?:[A-Z][a-z]+,?\s*)?\(?\d{{1,2}}(?:/\d{{1,2}}/\d{{2,4}}|\s+[A-Z][a-z]+\s+\d{{4}})\)?"
    r"\s*[–—-]{1,2}"
    r")\s+(?=\S)"
    r"|([A-Z][A-Z'.]+(?:\s+[A-Z][A-Z'.]+){0,3}\s*—)(?=[A-Z]))"  # "BITUNG—Harga": no spaces
)
_DASH_END = re.compile(r"[–—-]{1,2}\s*$")
# What a bold dateline before a dash looks like: "BITUNG", "Jakarta", "PALU, KABARSULAWESI.com",
# "Manokwari (NusaNews)": capitalised words, an optional outlet after a comma or in brackets.
_PLACE = re.compile(
    r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}"
    r"(?:\s*,\s*(?:[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,2}|[\w-]+\.[a-z]{2,6}(?:\.[a-z]{2})?))?"
    r"(?:\s*\([^)]{2,30}\))?"
)


def split_dateline(text: str) -> tuple[str | None, str]:
    """(dateline, the rest) of a plain-text paragraph; (None, text) when it has none."""
    m = _TEXT_DATELINE.match(text)
    if not m:
        return None, text
    return fold_ws(m.group(1) or m.group(2)), text[m.end() :]


def take_dateline(container: etree._Element) -> str | None:
    """Remove the dateline from the first paragraph, skipping captions, bylines, related links."""
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
            if CAPTION.match(s) and len(s) < 200:
                continue
            blk = block_parent(owner, container)
            if blk.tag in HEADINGS or _in_figure(owner, container):
                continue
            if blk not in seen_blocks:
                t = text_of(blk)
                seen_blocks[blk] = (
                    len(t) <= 240
                    and (CAPTION.match(t) or _authors.parse_byline(t) is not None)
                    or len(t) < 300
                    and bool(CREDITED_CAPTION.search(t))
                    or RELATED.match(t)
                    or NOISE.match(t)
                )
            if seen_blocks[blk]:
                continue
            # Bold dateline at the very start of the paragraph.
            if where == "text" and el.tag in ("b", "strong"):
                bold = fold_ws(el.text_content())
                tail = el.tail or ""
                if _at_para_start(el) and 2 <= len(bold) <= 60 and len(bold.split()) <= 6:
                    if _DASH_END.search(bold):
                        _drop_stripped(el)
                        return bold
                    m = re.match(r"^\s*([–—-]{1,2})\s+", tail)
                    if m and _PLACE.fullmatch(bold):
                        el.tail = tail[m.end() :]
                        _drop_stripped(el)
                        return f"{bold} {m.group(1)}"
            dateline, rest = split_dateline(s)
            if dateline is not None:
                setattr(el, where, rest)
                return dateline
            return None
    return None


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


def _drop_stripped(el: etree._Element) -> None:
    """Drop the bold dateline; the paragraph then starts at its (left-stripped) tail."""
    if el.tail:
        el.tail = el.tail.lstrip()
    _drop(el)
