"""`syndicate discover URL`: every ingest route a site offers, and a [[sources]] snippet for the best."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from syndicate.cli import fail

if TYPE_CHECKING:  # imported where used: building the parser stays cheap (cli/core.py)
    from syndicate.config import Settings
    from syndicate.ingest.discover import Candidate, Discovery


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
    text, best, _found = await _discover(settings, url)
    return text, best


async def _discover(settings: Settings, url: str) -> tuple[str, Candidate | None, Discovery]:
    from syndicate.ingest.discover import discover
    from syndicate.ingest.fetcher import Fetcher
    from syndicate.ingest.runner import fetch_options

    async with Fetcher(fetch_options(settings)) as fetcher:
        found = await discover(fetcher, url, timezone=settings.defaults.timezone)
    text, best = report(found, url)
    return text, best, found


def cmd_discover(args: argparse.Namespace) -> int:
    from syndicate.config import ConfigError, _check_http_url, load_settings, settings_from_dict

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


# ---- syndicate add ------------------------------------------------------------------------------


def free_id(wanted: str, taken: set[str]) -> str:
    """`wanted`, or wanted_2, wanted_3 … when another source already has it."""
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted[:60]}_{n}" in taken:
        n += 1
    return f"{wanted[:60]}_{n}"


def source_block(found: Discovery, best: Candidate, url: str, sid: str, name: str | None) -> str:
    """The discover snippet with the id (and name, if given) the new source gets."""
    lines = snippet(found, best, url).splitlines()
    for i, line in enumerate(lines):
        if line.startswith("id = "):
            lines[i] = f"id = {_toml(sid)}"
        elif line.startswith("name = ") and name:
            lines[i] = f"name = {_toml(name)}"
    return "\n".join(lines) + "\n"


def append_source(path: Path, current: str, block: str) -> Settings:
    """Append a [[sources]] block to the config file, but only if the whole new file loads (the
    same checks as at start); written through a temp file so a reader never sees half of it."""
    from syndicate.config import ConfigError, settings_from_dict

    text = current if not current or current.endswith("\n") else current + "\n"
    text += ("\n" if text else "") + block
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # e.g. the file ends inside a table array
        raise ConfigError(f"{path}: the new block would not parse: {exc}") from None
    settings = settings_from_dict(data, path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return settings


def cmd_add(args: argparse.Namespace) -> int:
    from syndicate.cli.ops import signal_reload
    from syndicate.config import (
        ConfigError,
        _check_http_url,
        config_path,
        load_settings,
        settings_from_dict,
    )

    try:
        _check_http_url(args.url)
    except ValueError as exc:
        return fail(str(exc))
    path = config_path(args.config)
    try:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        settings = load_settings(path) if path.exists() else settings_from_dict({}, path)
    except (ConfigError, UnicodeDecodeError) as exc:
        return fail(f"{exc}\nsyndicate: fix the config before adding a source")
    same = [s.id for s in settings.sources if s.url.rstrip("/") == args.url.rstrip("/")]
    if same:
        return fail(f"{args.url} is already configured as source {same[0]!r} in {path}", 1)
    text, best, found = asyncio.run(_discover(settings, args.url))
    print(text)
    if best is None:
        return fail(f"nothing added to {path}: no working route on {args.url}", 1)
    if args.id:
        try:
            settings_from_dict({"sources": [{"id": args.id, "url": args.url}]})
        except ConfigError as exc:
            return fail(str(exc).replace("<config>: sources[0].id", "--id"))
    sid = free_id(args.id or source_id(args.url, found.title), {s.id for s in settings.sources})
    block = source_block(found, best, args.url, sid, args.name)
    try:
        settings = append_source(path, current, block)
    except ConfigError as exc:
        return fail(f"{exc}\nsyndicate: nothing added to {path}")
    print(f"\nadded source {sid!r} to {path}")
    if args.no_reload:
        return 0
    status, message = signal_reload(settings, args.wait)
    if status and "no running syndicate" in message:
        print(f"{message.split(';')[0]}; it starts with the next `syndicate run`")
        return 0
    if status:
        return fail(message, status)
    print(message)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "discover",
        help="find the ingest routes a site offers",
        description="Probe a site for WordPress REST, feeds, sitemaps and HTML listings; print each with its item count and whether items are full text, then a [[sources]] snippet for the route `auto` would choose.",
    )
    p.add_argument("url", metavar="URL", help="the site's home page")
    p.set_defaults(func=cmd_discover)
    p = subparsers.add_parser(
        "add",
        help="discover a site and add it to the config as a new source",
        description="Run `discover` on URL, append the [[sources]] block for the best route to "
        "the config file (only if the whole file still validates), then make a running "
        "`syndicate run` reload it (SIGHUP via the pid file).",
    )
    p.add_argument("url", metavar="URL", help="the site's home page")
    p.add_argument("--id", help="source id (default: from the host name)")
    p.add_argument("--name", help="display name (default: the site's title as discovered)")
    p.add_argument("--no-reload", action="store_true", help="only edit the config file")
    p.add_argument(
        "--wait", type=float, default=5.0, metavar="SECONDS", help="how long to wait for the reload"
    )
    p.set_defaults(func=cmd_add)
