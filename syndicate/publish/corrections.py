"""Visible corrections: one dated line per correction, in the source's time zone and language,
e.g. "Diperbarui 7 Januari 2026 09:10 WIT: judul diubah; paragraf 1 dikoreksi". The same lines
go into the Note (and its Update), the feed item and our article page."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from syndicate.config import Settings
from syndicate.models import Article, ArticleVersion
from syndicate.normalize.changes import ParagraphEdits, paragraph_edits

MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
    "Oktober", "November", "Desember",
)  # fmt: skip
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
WORDS = {
    "id": {
        "updated": "Diperbarui",
        "title": "judul diubah",
        "paragraph": "paragraf",
        "and": "dan",
        "corrected": "dikoreksi",
        "added": "ditambahkan",
        "removed": "dihapus",
        "text": "isi diperbarui",
    },
    "en": {
        "updated": "Updated",
        "title": "title changed",
        "paragraph": "paragraph",
        "and": "and",
        "corrected": "corrected",
        "added": "added",
        "removed": "removed",
        "text": "text updated",
    },
}


class VersionStore(Protocol):
    def article_versions(self, article_id: str) -> list[ArticleVersion]: ...

    def article_versions_for(self, article_ids: list[str]) -> dict[str, list[ArticleVersion]]: ...


def local_stamp(at: datetime, tz: str, language: str) -> str:
    """ "7 Januari 2026 09:10 WIT" (the zone's own abbreviation: WIB, WITA, WIT)."""
    local = at.astimezone(ZoneInfo(tz))
    months = MONTHS_ID if language == "id" else MONTHS_EN
    zone = local.tzname() or tz
    return f"{local.day} {months[local.month - 1]} {local.year} {local:%H:%M} {zone}"


def _numbers(nums: tuple[int, ...], w: dict[str, str]) -> str:
    shown = [str(n) for n in nums]
    if len(shown) == 1:
        return shown[0]
    return f"{', '.join(shown[:-1])} {w['and']} {shown[-1]}"


def change_words(title_changed: bool, edits: ParagraphEdits, language: str) -> list[str]:
    w = WORDS["id" if language == "id" else "en"]
    out = [w["title"]] if title_changed else []
    for kind in ("corrected", "added", "removed"):
        nums = getattr(edits, kind)
        if nums:
            out.append(f"{w['paragraph']} {_numbers(nums, w)} {w[kind]}")
    return out


def correction_line(
    at: datetime, tz: str, language: str, title_changed: bool, edits: ParagraphEdits
) -> str:
    w = WORDS["id" if language == "id" else "en"]
    words = change_words(title_changed, edits, language) or [w["text"]]
    return f"{w['updated']} {local_stamp(at, tz, language)}: {'; '.join(words)}"


def _text(title: str, summary: str, content_text: str) -> tuple[str, str]:
    return title.strip(), content_text or summary


def correction_lines(
    article: Article, versions: list[ArticleVersion], tz: str, language: str
) -> list[str]:
    """One line per correction, oldest first: each version compared with the one after it."""
    states = [_text(v.title, v.summary, v.content_text) for v in versions]
    states.append(_text(article.title, article.summary, article.content_text))
    lines = []
    for (old, new), version in zip(zip(states, states[1:], strict=False), versions, strict=True):
        edits = paragraph_edits(old[1], new[1])
        title_changed = old[0] != new[0]
        if not title_changed and not edits:
            continue  # metadata only: nothing a reader would call a correction
        lines.append(correction_line(version.replaced_at, tz, language, title_changed, edits))
    return lines


def article_corrections(store: VersionStore, settings: Settings, article: Article) -> list[str]:
    """The correction lines of a stored article, as its source is configured."""
    return _lines(settings, article, store.article_versions(article.id))


def feed_corrections(
    store: VersionStore, settings: Settings, articles: list[Article]
) -> dict[str, list[str]]:
    """Article id -> correction lines for a page of feed items: one query, and only for items
    whose `updated` says they were corrected."""
    corrected = [a.id for a in articles if a.updated and a.published and a.updated > a.published]
    versions = store.article_versions_for(corrected)
    out = {}
    for a in articles:
        if a.id in versions and (lines := _lines(settings, a, versions[a.id])):
            out[a.id] = lines
    return out


def _lines(settings: Settings, article: Article, versions: list[ArticleVersion]) -> list[str]:
    if not versions:
        return []
    try:
        src = settings.source(article.source_id)
        tz, language = settings.timezone(src), article.language or settings.language(src)
    except KeyError:
        tz, language = settings.defaults.timezone, article.language or settings.defaults.language
    return correction_lines(article, versions, tz, language)
