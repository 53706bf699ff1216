"""`syndicate discover URL`: every ingest route a site offers, and a [[sources]] snippet for the best."""

from __future__ import annotations

import argparse
import asyncio
import re
from urllib.parse import urlsplit

from syndicate.cli import fail
from syndicate.config import (
    ConfigError,
    Settings,
    _check_http_url,
    load_settings,
    settings_from_dict,
)
from syndicate.ingest.discover import Candidate, Discovery, discover
from syndicate.ingest.fetcher import Fetcher
from syndicate.ingest.runner import fetch_options


def source_id(url: str, title: str) -> str:
    """A handle-safe id: the site's first host label, or its title when the host is an address."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    label = host.split(".")[0] if host and not re.fullmatch(r"[\d.:]+|localhost", host) else ""
    base = label or title.split("|")[0].split(" - ")[0]
    slug = re.sub(r"[^a-z0-9]+", "_", base.lower()).strip("_")
    return (slug or "site")[:64]


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def snippet(found: Discovery, best: Candidate, url: str) -> str:
    helper = found.backfill_helper(best)
    title = (
        found.title.split("|")[0].split(" – ")[0].split(" - ")[0].strip()
        or urlsplit(url).hostname
        or url
    )
    lines = [
        "[[sources]]",
        f"id = {_toml(source_id(url, found.title))}",
        f"name = {_toml(title)}",
        f"url = {_toml(url)}",
    ]
    if helper is not None:
        # An explicit kind would miss the backlog the short feed does not show.
        lines.append(
            f'kind = "auto"  # {best.route} for new articles, {helper.route} for the backlog'
        )
        return "\n".join(lines)
    lines.append(f'kind = {_toml(best.route)}  # or "auto" to re-discover when the site changes')
    if best.url and best.url.rstrip("/") != url.rstrip("/"):
        lines.append(f"feed_url = {_toml(best.url)}  # where the {best.route} route starts")
    return "\n".join(lines)


def report(found: Discovery, url: str) -> tuple[str, Candidate | None]:
    lines = [f"routes found on {url}:"]
    best = found.best()
    for cand in sorted(found.candidates, key=lambda c: (c.rank, -c.items)):
        mark = "*" if cand is best else " "
        lines.append(f" {mark} {cand.describe()}")
    if best is None:
        lines.append('no working route: check the URL, or configure kind = "html" with selectors')
        return "\n".join(lines), None
    lines.append("")
    lines.append(f"auto would choose: {best.route} ({found.reason(best)})")
    helper = found.backfill_helper(best)
    if helper is not None:
        lines.append(
            f"  its first pass would also read {helper.route} {helper.url} (more articles)"
        )
    lines.append("")
    lines.append(snippet(found, best, url))
    return "\n".join(lines), best


async def run_discover(settings: Settings, url: str) -> tuple[str, Candidate | None]:
    async with Fetcher(fetch_options(settings)) as fetcher:
        found = await discover(fetcher, url, timezone=settings.defaults.timezone)
    return report(found, url)


def cmd_discover(args: argparse.Namespace) -> int:
    try:
        _check_http_url(args.url)
    except ValueError as exc:
        return fail(str(exc))
    try:
        settings = load_settings(args.config) if args.config else settings_from_dict({})
    except ConfigError as exc:
        return fail(str(exc))
    text, best = asyncio.run(run_discover(settings, args.url))
    print(text)
    return 0 if best is not None else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "discover",
        help="find the ingest routes a site offers",
        description="Probe a site for WordPress REST, feeds, sitemaps and HTML listings; print each with its item count and whether items are full text, then a [[sources]] snippet for the route `auto` would choose.",
    )
    p.add_argument("url", metavar="URL", help="the site's home page")
    p.set_defaults(func=cmd_discover)
