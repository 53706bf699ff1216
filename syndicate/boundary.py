"""The input boundary: every article field made XML-safe and bounded before it is stored.

Whatever route an article came by (a scraped page, a feed, the push API, a folder file), the store
calls `bound_entry()` on it, so no route can bypass it. Pure functions, no I/O.

Why: one U+0001 or NUL in any field made every RSS/Atom feed holding the article answer 500
(lxml refuses the string) and PostgreSQL refuse the row; 150,000 tags on one post froze rendering.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

from syndicate.models import Entry, tag_slug

# Bounds a reader would never notice on a real news article.
MAX_TITLE = 1000
MAX_TAGS = 50
MAX_TAG = 100
MAX_AUTHORS = 20
MAX_AUTHOR = 200
MAX_SUMMARY = 4000
MAX_BODY = 1_000_000  # characters of content_html and of content_text
MAX_URL = 2048
MAX_SHORT = 1000  # editor, image_alt, dateline, guid
MAX_LANGUAGE = 16  # the column is String(16)


class RefusedField(ValueError):
    """A field that cannot be made safe by cleaning (e.g. a URL over the length limit)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


# XML 1.0 Char minus the C0/C1 controls (tab, LF, CR kept), DEL, surrogates, and the Unicode
# non-characters (U+FDD0..U+FDEF and U+xFFFE/U+xFFFF of every plane).
_NONCHAR_PLANES = "".join(
    f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}" for p in range(1, 17)
)
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + _NONCHAR_PLANES
    + "]"
)
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));?")


def _unsafe_codepoint(n: int) -> bool:
    return n > 0x10FFFF or bool(_UNSAFE.match(chr(n)))


def _drop_unsafe_ref(m: re.Match[str]) -> str:
    n = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    return "" if _unsafe_codepoint(n) else m.group(0)


def is_xml_safe(text: str) -> bool:
    """True when xml_safe() would leave `text` as it is (a cheap check for the common case)."""
    return "&#" not in text and _UNSAFE.search(text) is None


def xml_safe(text: str) -> str:
    """Remove what XML 1.0 cannot carry, literal or as a numeric character reference (`&#1;`)."""
    if "&#" in text:
        text = _CHAR_REF.sub(_drop_unsafe_ref, text)
    return _UNSAFE.sub("", text)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary when one is near, marked with '…'."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…"


def clip_html(markup: str, limit: int) -> str:
    """At most `limit` characters of HTML, never ending inside a tag (the feed reader closes the
    open elements; a half tag would swallow the rest of the item)."""
    if len(markup) <= limit:
        return markup
    cut = markup[:limit]
    lt, gt = cut.rfind("<"), cut.rfind(">")
    if lt > gt:
        cut = cut[:lt]
    return cut


def clean_text(text: str | None, limit: int) -> str:
    return clip(xml_safe(text or ""), limit)


def clean_optional(text: str | None, limit: int) -> str | None:
    cleaned = clean_text(text, limit).strip() if text is not None else ""
    return cleaned or None


def clean_url(url: str | None, field: str) -> str | None:
    """URLs are not shortened (a cut URL points elsewhere): too long is refused."""
    if url is None:
        return None
    url = xml_safe(url).strip()
    if len(url) > MAX_URL:
        raise RefusedField(field, f"URL of {len(url)} characters is over the {MAX_URL} limit")
    return url


def clean_tags(tags: list[str]) -> list[str]:
    """Cleaned, de-duplicated by their URL form (case, spaces, punctuation), at most MAX_TAGS."""
    out: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        # An entity in a tag is text, not markup: decode it so 'A&amp;B' and 'A&B' are one.
        name = " ".join(clean_text(html.unescape(tag) if "&" in tag else tag, MAX_TAG).split())
        slug = tag_slug(name)
        if not slug or slug in seen:
            continue
        seen.add(slug)
        out.append(name)
        if len(out) >= MAX_TAGS:
            break
    return out


def clean_names(names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        name = " ".join(clean_text(name, MAX_AUTHOR).split())
        if name and name not in out:
            out.append(name)
        if len(out) >= MAX_AUTHORS:
            break
    return out


def bound_entry(entry: Entry) -> Entry:
    """A copy of `entry` that is safe to store and render; raises RefusedField for what
    cleaning cannot fix (an over-long URL)."""
    url = clean_url(entry.url, "url") or ""
    return replace(
        entry,
        url=url,
        canonical_url=clean_url(entry.canonical_url, "canonical_url") or url,
        guid=clean_optional(entry.guid, MAX_URL),
        title=" ".join(clean_text(entry.title, MAX_TITLE).split()),
        authors=clean_names(entry.authors),
        editor=clean_optional(entry.editor, MAX_AUTHOR),
        summary=clean_text(entry.summary, MAX_SUMMARY),
        content_html=clip_html(xml_safe(entry.content_html or ""), MAX_BODY),
        content_text=clean_text(entry.content_text, MAX_BODY),
        image=clean_url(entry.image, "image"),
        image_alt=clean_optional(entry.image_alt, MAX_SHORT),
        tags=clean_tags(entry.tags),
        categories=clean_tags(entry.categories),
        language=clean_optional(entry.language, MAX_LANGUAGE),
        dateline=clean_optional(entry.dateline, MAX_SHORT),
    )
