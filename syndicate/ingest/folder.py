"""A folder of Markdown posts with YAML (---) or TOML (+++) front matter, one article per file."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import AsyncIterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import yaml

from syndicate.ingest.context import IngestContext
from syndicate.models import Entry
from syndicate.normalize.clean import html_to_text, sanitize_html, summarize


@functools.cache
def _markdown():  # type: ignore[no-untyped-def]
    # Imported on first use: only folder sources need it (~0.1 s and its plugins at start-up).
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"typographer": False}).enable("table")


class PostError(Exception):
    pass


def split_front_matter(text: str, name: str) -> tuple[dict[str, Any], str]:
    text = text.lstrip("\ufeff")
    for fence, loader in (("---", yaml.safe_load), ("+++", tomllib.loads)):
        if text.startswith(fence + "\n") or text.startswith(fence + "\r\n"):
            rest = text[len(fence) :].lstrip("\r\n")
            head, sep, body = rest.partition(f"\n{fence}")
            if not sep:
                raise PostError(f"{name}: front matter opened with {fence} is never closed")
            try:
                meta = loader(head) or {}
            except Exception as exc:  # yaml.YAMLError / TOMLDecodeError: both worded well
                raise PostError(f"{name}: bad front matter: {exc}".splitlines()[0]) from None
            if not isinstance(meta, dict):
                raise PostError(f"{name}: front matter must be a mapping of keys to values")
            return meta, body.partition("\n")[2]
    return {}, text


def _as_datetime(value: Any, name: str, key: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
    raise PostError(
        f"{name}: {key}: expected an ISO 8601 time like 2026-01-05T11:42:18+08:00, got {value!r}"
    )


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def post_to_entry(path: Path, text: str, *, source_id: str, localize: Any, language: str) -> Entry:
    meta, body = split_front_matter(text, path.name)
    title = str(meta.get("title") or "").strip()
    if not title:
        raise PostError(f"{path.name}: front matter has no title")
    html = sanitize_html(_markdown().render(body), meta.get("url"))
    content_text = html_to_text(html)
    published = localize(
        _as_datetime(meta.get("published") or meta.get("date"), path.name, "published")
    )
    updated = localize(_as_datetime(meta.get("updated"), path.name, "updated")) or published
    authors = _as_list(meta.get("authors") or meta.get("author"))
    guid = f"folder:{source_id}:{path.stem}"
    url = str(meta.get("url") or "")
    return Entry(
        url=url or guid,
        canonical_url=str(meta.get("canonical_url") or url or guid),
        title=title,
        guid=guid,
        authors=authors,
        editor=meta.get("editor"),
        published=published,
        updated=updated,
        summary=str(meta.get("summary") or summarize(content_text)),
        content_html=html,
        content_text=content_text,
        image=meta.get("image"),
        image_alt=meta.get("image_alt"),
        tags=_as_list(meta.get("tags")),
        language=str(meta.get("language") or language),
        dateline=meta.get("dateline"),
        rules={k: "front-matter" for k in meta},
    )


async def collect(ctx: IngestContext) -> AsyncIterator[Entry]:
    folder = ctx.settings.folder_path(ctx.source)
    if not folder.is_dir():
        raise PostError(f"folder {folder} does not exist")
    paths = sorted(folder.glob("*.md"), key=lambda p: p.stat().st_mtime, reverse=True)
    errors = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
            yield post_to_entry(
                path, text, source_id=ctx.source.id, localize=ctx.localize, language=ctx.language
            )
        except (PostError, UnicodeDecodeError, OSError) as exc:
            errors.append(str(exc))  # one bad post never hides the others
    if errors:
        ctx.notes.extend(errors)
    await ctx.write(_remove_vanished, ctx, {p.stem for p in paths})


def _remove_vanished(ctx: IngestContext, stems: set[str]) -> None:
    """A stored post whose file is gone is removed now: a local file is authoritative, so one
    look is enough (a file that comes back is revived as an update by the store)."""
    prefix = f"folder:{ctx.source.id}:"
    for article_id, _url, _canonical, guid, *_ in ctx.store.article_keys(ctx.source.id):
        vanished = guid is not None and guid.startswith(prefix) and guid[len(prefix) :] not in stems
        if vanished and ctx.store.remove_article(article_id):
            ctx.removed += 1
