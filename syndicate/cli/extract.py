"""`syndicate extract` and `syndicate preview`: run the normaliser on one page, print the result."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path

from syndicate.models import Entry

FIELDS = (
    "url", "canonical_url", "title", "authors", "editor", "published", "updated", "dateline",
    "summary", "text", "html", "image", "tags", "language", "rules",
)  # fmt: skip
USER_AGENT = "syndicate/0.1 (+https://github.com/syndicate; local news feeds)"


def entry_to_dict(entry: Entry) -> dict:
    """The JSON shape `syndicate extract` prints (dates as ISO 8601 with offset)."""

    def iso(dt: datetime | None) -> str | None:
        return dt.isoformat() if dt else None

    return {
        "url": entry.url,
        "canonical_url": entry.canonical_url,
        "title": entry.title,
        "authors": entry.authors,
        "editor": entry.editor,
        "published": iso(entry.published),
        "updated": iso(entry.updated),
        "dateline": entry.dateline,
        "summary": entry.summary,
        "text": entry.content_text,
        "html": entry.content_html,
        "image": entry.image,
        "image_alt": entry.image_alt,
        "tags": entry.tags,
        "language": entry.language,
        "rules": entry.rules,
    }


def _extract(html: str | bytes, url: str, timezone: str) -> dict:
    from syndicate.normalize.extract import extract_article

    return entry_to_dict(extract_article(html, url, timezone=timezone))


def cmd_extract(args: argparse.Namespace) -> int:
    if args.jsonl:
        status = 0
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                item = json.loads(line)
                out = _extract(
                    item["html"], item.get("url") or args.url, item.get("timezone") or args.timezone
                )
            except (ValueError, KeyError, TypeError) as exc:
                out, status = {"error": f"{type(exc).__name__}: {exc}"}, 1
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        return status
    if args.file in (None, "-"):
        data: bytes = sys.stdin.buffer.read()
    else:
        path = Path(args.file)
        if not path.is_file():
            print(f"syndicate: no such file: {args.file}", file=sys.stderr)
            return 2
        data = path.read_bytes()
    url = args.url or (
        Path(args.file).resolve().as_uri() if args.file not in (None, "-") else "http://localhost/"
    )
    print(json.dumps(_extract(data, url, args.timezone), ensure_ascii=False, indent=2))
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    import httpx
    from rich.console import Console
    from rich.table import Table

    from syndicate.config import FetchSettings
    from syndicate.http import ClientSpec, build_client
    from syndicate.normalize.encoding import decode_html

    async def get(url: str) -> httpx.Response:
        # The operator's own URL: no address guard; redirects followed like a browser.
        spec = ClientSpec(USER_AGENT, timeout=30.0, max_body_bytes=FetchSettings().max_body_bytes)
        async with build_client(spec, follow_redirects=True) as client:
            return await client.get(url)

    try:
        resp = asyncio.run(get(args.url))
    except httpx.HTTPError as exc:
        print(f"syndicate: fetch failed: {exc}", file=sys.stderr)
        return 1
    if resp.status_code != 200:
        print(f"syndicate: HTTP {resp.status_code} for {args.url}", file=sys.stderr)
        return 1
    html = decode_html(resp.content, resp.charset_encoding)
    data = _extract(html, str(resp.url), args.timezone)
    console = Console()
    table = Table(show_header=False, box=None)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    for key in (
        "title",
        "url",
        "canonical_url",
        "authors",
        "editor",
        "published",
        "updated",
        "dateline",
        "image",
        "tags",
        "language",
        "summary",
    ):
        value = data[key]
        if isinstance(value, list):
            value = ", ".join(value)
        rule = data["rules"].get(key.rstrip("s") if key == "authors" else key, "")
        rule = data["rules"].get(key, rule)
        table.add_row(key, f"{value if value is not None else '—'}  [dim]{rule}[/dim]")
    console.print(table)
    console.rule(f"text [dim]({data['rules'].get('body', '')})[/dim]")
    console.print(data["text"], highlight=False, markup=False)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "extract", help="extract one HTML page and print the normalised article as JSON"
    )
    p.add_argument("file", nargs="?", metavar="FILE|-", help="HTML file (default: standard input)")
    p.add_argument("--url", help="the page's URL (for relative links and the canonical URL)")
    p.add_argument(
        "--timezone",
        default="Asia/Makassar",
        help="zone for times without offset (default: Asia/Makassar)",
    )
    p.add_argument(
        "--jsonl",
        action="store_true",
        help='read {"url":…, "html":…} lines on stdin, write one JSON line each',
    )
    p.set_defaults(func=cmd_extract)
    p = subparsers.add_parser(
        "preview", help="fetch a live article page and show what extraction makes of it"
    )
    p.add_argument("url")
    p.add_argument(
        "--timezone",
        default="Asia/Makassar",
        help="zone for times without offset (default: Asia/Makassar)",
    )
    p.set_defaults(func=cmd_preview)
