"""When an article was published and updated: selector > JSON-LD > OpenGraph/meta > microdata >
a date printed under the title; a feed's date with an offset beats a page date without one."""

from __future__ import annotations

import re
from datetime import datetime

from lxml import etree

from syndicate.normalize import authors as _authors
from syndicate.normalize.dates import localize, not_future, parse_date_ex, parse_relative
from syndicate.normalize.dom import (
    BLOCK_TAGS,
    block_parent,
    class_words,
    in_sidebar,
    select,
    text_of,
)
from syndicate.normalize.metadata import PageMeta
from syndicate.normalize.page import Page

_PUBLISHED_KEYS = (
    "article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
    "publish-date", "date", "dc.date", "dc.date.issued", "dcterms.created", "sailthru.date",
    "parsely-pub-date",
)  # fmt: skip
_UPDATED_KEYS = (
    "article:modified_time", "og:updated_time", "datemodified", "last-modified", "dcterms.modified",
)  # fmt: skip
_MONTH_WORD = r"(?:jan|feb|peb|mar|apr|mei|may|jun|jul|agu|agt|ags|aug|sep|okt|oct|nov|nop|des|dec)"
_DATE_HINT = re.compile(
    rf"\b\d{{1,2}}\s*{_MONTH_WORD}[a-z]*\.?,?\s+\d{{4}}\b"  # 8 Januari 2026
    rf"|\b{_MONTH_WORD}[a-z]*\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"  # January 8, 2026
    r"|\b\d{1,2}/\d{1,2}/\d{4}\b|\b\d{4}-\d{2}-\d{2}\b"
    r"|\b\d{1,2}/\d{1,2}/\d{2}\s+\d{1,2}[:.]\d{2}\b",  # 08/01/26 08:15
    re.I,
)
_HAS_TIME = re.compile(r"\d{1,2}[:.]\d{2}(?!\d)")
_RELATIVE_HINT = re.compile(r"lalu|ago\b|kemarin|yesterday|hari ini|today|baru saja|just now", re.I)
# "Diperbarui: Jumat, 9 Januari 2026 11:20 WITA", "Updated 9 Jan 2026": a modified time, never
# the published one.
_UPDATED_LABEL = re.compile(
    r"\b(?:diperbarui|diperbaharui|pembaruan|terakhir\s+diubah|diupdate|update|updated|"
    r"last\s+updated|modified)\b\s*(?:pada|on|at)?\s*:?",
    re.I,
)

# Quick first looks (most texts of a page hold no date): every match of _UPDATED_LABEL and
# _RELATIVE_HINT holds one of these words, every match of _DATE_HINT a digit.
_UPDATED_WORD = _authors.casefold_words(
    ("diperbarui", "diperbaharui", "pembaruan", "diubah", "update", "modified")
)
_RELATIVE_WORD = _authors.casefold_words(
    ("lalu", "ago", "kemarin", "yesterday", "hari ini", "today", "baru saja", "just now")
)
_DIGIT = re.compile(r"\d")


def _updated_label(s: str) -> re.Match[str] | None:
    return _UPDATED_LABEL.search(s) if _UPDATED_WORD.search(s.casefold()) else None


def _relative_hint(s: str) -> bool:
    return bool(_RELATIVE_WORD.search(s.casefold()) and _RELATIVE_HINT.search(s))


def _date_hint(s: str) -> bool:
    return bool(_DIGIT.search(s) and _DATE_HINT.search(s))


# (datetime, whether the text carried an explicit offset, rule)
Found = tuple[datetime | None, bool, str | None]


def pick_dates(page: Page) -> tuple[datetime | None, datetime | None]:
    """(published, updated): UTC shown in the source's zone, other offsets kept; the rules go
    into `page.rules`. Run after pick_title: a printed date is looked for under the title."""
    doc, meta, ld, selectors, hints = page.doc, page.meta, page.ld, page.selectors, page.hints
    tz, now, title_el, rules = page.timezone, page.now, page.title_el, page.rules
    cands: list[tuple[str, str]] = []
    for el in select(doc, selectors.get("date")):
        cands.append(
            (el.get("datetime") or el.get("content") or el.get("title") or text_of(el), "selector")
        )
    cands += _declared_dates(meta, ld, "datePublished", _PUBLISHED_KEYS)
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

    cands = _declared_dates(meta, ld, "dateModified", _UPDATED_KEYS)
    updated, _explicit, rule = _first_date(cands, tz, now)
    if updated is None:
        updated, _explicit, rule = _updated_line(page)
    if updated is not None:
        # What the page itself declares: ingest dates a correction with it when a feed has none.
        page.modified = localize(updated, tz)
    if updated is None and hints and hints.updated:
        updated, rule = hints.updated, "hint"
    if updated is not None:
        updated = localize(updated, tz)
    if updated is None or (published is not None and updated < published):
        updated, rule = published, "published"
    rules["updated"] = rule or "none"
    return published, updated


def _declared_dates(
    meta: PageMeta, ld: dict, prop: str, keys: tuple[str, ...]
) -> list[tuple[str, str]]:
    """(value, rule) candidates: JSON-LD `prop`, then <meta> in key order, then microdata `prop`."""
    cands = [(str(ld[prop]), "json-ld")] if ld.get(prop) else []
    cands += [
        (value, "opengraph" if key.startswith(("article:", "og:")) else "meta")
        for key in keys
        for value in meta.all(key)
    ]
    mv = meta.micro_first(prop)
    if mv:
        cands.append((mv, "microdata"))
    return cands


def _first_date(cands: list[tuple[str, str]], tz: str, now: datetime | None) -> Found:
    for value, rule in cands:
        got = parse_date_ex(value, tz)
        if got and not_future(got[0], now):
            return got[0], got[1], rule
    return None, False, None


def _text_date(
    doc: etree._Element, title_el: etree._Element | None, tz: str, now: datetime | None
) -> Found:
    """A date printed under the title ("Senin, 05 Januari 2026 - 09:30 WITA"); with a time first.

    A relative time ("2 jam yang lalu", "kemarin 10.15") counts when it is the article's own: in
    the first lines under the title or in the byline's block, never in a sidebar or a list of
    links to other articles. Found first, it wins over dates printed further down (an event date
    in the text, a headline list), unless an exact date follows within the same few lines."""
    started = title_el is None
    seen = 0
    date_only = None
    relative = None  # (datetime, the text count where it was found)
    before_title = None  # the last <time datetime> above the headline
    for el in doc.iter():
        if el is title_el:
            started = True
            continue
        if not isinstance(el.tag, str):
            continue
        if not started:
            machine = _machine_date(el)
            if machine and not in_sidebar(el):
                got = parse_date_ex(machine, tz)
                if got and not_future(got[0], now):
                    before_title = got
            if relative is None:
                # A meta line above the headline: only beside a byline.
                got_rel = _own_relative(el, None, tz, now, needs_byline=True)
                relative = (got_rel, 0) if got_rel else None
            continue
        if relative is not None and seen > relative[1] + _RELATIVE_WINDOW:
            break
        machine = _machine_date(el)
        if machine:
            got = parse_date_ex(machine, tz)
            if got and not got[1]:
                # datetime="2026-01-02T16:45" with "16:45 WIB" shown: the zone the page prints wins.
                shown = parse_date_ex(text_of(el), tz)
                if (
                    shown
                    and shown[1]
                    and shown[0].replace(tzinfo=None) == got[0].replace(tzinfo=None)
                ):
                    got = shown
            if got and not_future(got[0], now):
                return got[0], got[1], "time-element"
        for where in ("text", "tail"):
            s = getattr(el, where)
            if not s or not s.strip():
                continue
            seen += 1
            upd = _updated_label(s)
            if upd:  # "Terbit 8 Januari 08:00, diperbarui 11:00": only what comes before counts
                s = s[: upd.start()]
                if not s.strip():
                    continue
            if _date_hint(s):
                got = parse_date_ex(s, tz)
                owner = el if where == "text" else el.getparent()
                if relative is not None and (owner is None or _in_link_list(owner)):
                    continue  # after the article's own relative time: a teaser's date
                if got and not_future(got[0], now):
                    if _HAS_TIME.search(s):
                        return got[0], got[1], "text"
                    date_only = date_only or got
                    continue
            if relative is None:
                owner = el if where == "text" else el.getparent()
                near = seen <= _RELATIVE_NEAR
                got_rel = _own_relative(owner, s, tz, now, needs_byline=not near)
                if got_rel is not None:
                    relative = (got_rel, seen)
        if seen > 80:
            break
    if before_title:
        return before_title[0], before_title[1], "time-element"
    if relative is not None and (date_only is None or date_only[0].date() == relative[0].date()):
        return relative[0], False, "relative"
    if date_only:
        return date_only[0], date_only[1], "text"
    return None, False, None


def _machine_date(el: etree._Element) -> str | None:
    """A machine-readable date: <time datetime>, or hAtom's <abbr class="published" title>
    (Blogger themes print "08.15" and keep the full time in the title)."""
    if el.tag == "time":
        return el.get("datetime") or None
    if el.tag == "abbr" and "published" in class_words(el):
        return el.get("title") or None
    return None


# The article's own meta line sits in the first lines under the headline; an exact date printed
# right after a relative one ("2 jam yang lalu | Kamis, 8 Januari 2026 10:00") is preferred.
_RELATIVE_NEAR = 12
_RELATIVE_WINDOW = 4


def _own_relative(
    el: etree._Element | None, s: str | None, tz: str, now: datetime | None, *, needs_byline: bool
) -> datetime | None:
    """The relative time in `s` (el's own text when None) when it dates the article itself."""
    if el is None or el.tag in ("script", "style"):
        return None
    if s is None:
        s = el.text
    if not s or not _relative_hint(s) or _updated_label(s):
        return None
    got = parse_relative(s, now, tz)
    if got is None or not not_future(got, now) or _in_link_list(el) or in_sidebar(el):
        return None
    line = text_of(block_parent(el, el.getroottree().getroot()))
    if len(line) > 200:
        return None  # a paragraph of the story ("terjadi 2 hari yang lalu"), not a meta line
    if needs_byline and not (_authors.has_byline_label(line) and _authors.parse_byline(line)):
        return None
    return got


def _in_link_list(el: etree._Element) -> bool:
    """In a menu or footer, or in a box or list holding a headline link (a teaser of another
    article: "Berita Terkini", "Terpopuler"). The meta line's own links (the author, the
    section, the permalink showing "2 jam yang lalu") are not headlines."""
    box = None
    node: etree._Element | None = el
    while node is not None:
        if node.tag in ("nav", "footer"):
            return True
        if box is None and node.tag in BLOCK_TAGS:
            box = node
        node = node.getparent()
    if box is None:
        return False
    words = 4
    if box.tag in ("li", "dt", "dd") and box.getparent() is not None:
        # A list of links: any item's link that is not the meta line's own is a teaser.
        box, words = box.getparent(), 1
    return any(_headline_link(a, words) for a in box.iter("a"))


_ARCHIVE_PATH = re.compile(
    r"/(?:author|penulis|reporter|wartawan|profile|category|kategori|kanal|rubrik|tags?|topik)/",
    re.I,
)


def _headline_link(a: etree._Element, min_words: int) -> bool:
    words = text_of(a).split()
    if len(words) < min_words or _RELATIVE_HINT.search(" ".join(words)):
        return False
    return not _ARCHIVE_PATH.search(a.get("href") or "")


def _updated_line(page: Page) -> Found:
    """A labelled modified time printed on the page ("Diperbarui: 9 Januari 2026 11:20")."""
    tz, now = page.timezone, page.now
    elements = page.doc.iter()
    if page.title_el is not None:
        for el in elements:  # skip to the headline: the site's own header carries no such line
            if el is page.title_el:
                break
    for seen, el in enumerate(elements):
        if seen > 400:
            break
        if not isinstance(el.tag, str):
            continue
        text = el.text or ""
        m = _updated_label(text)
        if not m:
            continue
        rest = text[m.end() :]
        if not _DATE_HINT.search(rest):  # the date may sit in a child element
            rest = text_of(el)[len(text[: m.end()].strip()) :]
        got = parse_date_ex(rest, tz) if _DATE_HINT.search(rest) else None
        if got is None:
            got_rel = parse_relative(rest, now, tz)
            got = (got_rel, False) if got_rel else None
        if got and not_future(got[0], now):
            return got[0], got[1], "text"
    return None, False, None
