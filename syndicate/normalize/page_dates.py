"""When an article was published and updated: selector > JSON-LD > OpenGraph/meta > microdata >
a date printed under the title; a feed's date with an offset beats a page date without one."""

from __future__ import annotations

import re
from datetime import datetime

from lxml import etree

from syndicate.normalize.dates import localize, not_future, parse_date_ex, parse_relative
from syndicate.normalize.dom import in_sidebar, select, text_of
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
_DATE_HINT = re.compile(
    r"\b\d{1,2}\s*(?:jan|feb|peb|mar|apr|mei|may|jun|jul|agu|agt|ags|aug|sep|okt|oct|nov|nop|des|dec)"
    r"[a-z]*\.?,?\s+\d{4}\b|\b\d{1,2}/\d{1,2}/\d{4}\b|\b\d{4}-\d{2}-\d{2}\b",
    re.I,
)
_HAS_TIME = re.compile(r"\d{1,2}[:.]\d{2}(?!\d)")
_RELATIVE_HINT = re.compile(r"lalu|ago\b|kemarin|yesterday|hari ini|today", re.I)
# "Diperbarui: Jumat, 9 Januari 2026 11:20 WITA", "Updated 9 Jan 2026": a modified time, never
# the published one.
_UPDATED_LABEL = re.compile(
    r"\b(?:diperbarui|diperbaharui|pembaruan|terakhir\s+diubah|diupdate|update|updated|"
    r"last\s+updated|modified)\b\s*(?:pada|on|at)?\s*:?",
    re.I,
)

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
    """A date printed under the title ("Senin, 05 Januari 2026 - 09:30 WITA"); with a time first."""
    started = title_el is None
    seen = 0
    date_only = None
    relative = None  # "2 jam yang lalu": only when no absolute date is printed
    before_title = None  # the last <time datetime> above the headline
    for el in doc.iter():
        if el is title_el:
            started = True
            continue
        if not started:
            if el.tag == "time" and el.get("datetime") and not in_sidebar(el):
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
                shown = parse_date_ex(text_of(el), tz)
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
            if _UPDATED_LABEL.search(s):
                continue
            if relative is None and _RELATIVE_HINT.search(s) and not in_sidebar(el):
                relative = parse_relative(s, now, tz)
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
    if relative is not None:
        return relative, False, "relative"
    return None, False, None


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
        m = _UPDATED_LABEL.search(text)
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
