"""Corrections: what changed between two versions of one article."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from syndicate.models import Entry

# Fields a reader sees; `rules`, `guid` and `url` describe how we read it, not what it says.
COMPARED_FIELDS = (
    "title", "canonical_url", "authors", "editor", "published", "updated", "summary",
    "content_text", "content_html", "image", "image_alt", "tags", "language", "dateline",
)  # fmt: skip
# A change in these is a correction of the story itself (announce it); others are metadata.
CONTENT_FIELDS = ("title", "content_text")


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: Any
    new: Any


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def diff_entries(
    old: Entry, new: Entry, fields: tuple[str, ...] = COMPARED_FIELDS
) -> list[FieldChange]:
    """The fields whose value differs (whitespace-only differences ignored), in field order."""
    out = []
    for name in fields:
        a, b = getattr(old, name), getattr(new, name)
        if _norm(a) != _norm(b):
            out.append(FieldChange(name, a, b))
    return out


def changed_fields(old: Entry, new: Entry) -> list[str]:
    """Just the names, e.g. ["title", "content_text", "updated"]."""
    return [c.field for c in diff_entries(old, new)]


def is_correction(changes: list[FieldChange]) -> bool:
    """True when the title or the text changed (not merely a date or a tag)."""
    return any(c.field in CONTENT_FIELDS for c in changes)


def paragraph_changes(old_text: str, new_text: str) -> list[tuple[str | None, str | None]]:
    """Paragraph pairs (old, new) that differ; None on one side for an added/removed paragraph."""
    a = [p.strip() for p in old_text.split("\n\n") if p.strip()]
    b = [p.strip() for p in new_text.split("\n\n") if p.strip()]
    out: list[tuple[str | None, str | None]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        olds, news = a[i1:i2], b[j1:j2]
        for k in range(max(len(olds), len(news))):
            out.append((olds[k] if k < len(olds) else None, news[k] if k < len(news) else None))
    return out


@dataclass(frozen=True, slots=True)
class ParagraphEdits:
    """Which paragraphs a correction touched, 1-based: `corrected` and `added` count in the new
    text, `removed` in the old one."""

    corrected: tuple[int, ...] = ()
    added: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.corrected or self.added or self.removed)


def paragraph_edits(old_text: str, new_text: str) -> ParagraphEdits:
    """Paragraph numbers for a reader-facing "paragraph 2 corrected" line."""
    a = [" ".join(p.split()) for p in old_text.split("\n\n") if p.strip()]
    b = [" ".join(p.split()) for p in new_text.split("\n\n") if p.strip()]
    corrected: list[int] = []
    added: list[int] = []
    removed: list[int] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "replace":
            pairs = min(i2 - i1, j2 - j1)
            corrected += range(j1 + 1, j1 + pairs + 1)
            added += range(j1 + pairs + 1, j2 + 1)
            removed += range(i1 + pairs + 1, i2 + 1)
        elif tag == "insert":
            added += range(j1 + 1, j2 + 1)
        elif tag == "delete":
            removed += range(i1 + 1, i2 + 1)
    return ParagraphEdits(tuple(corrected), tuple(added), tuple(removed))
