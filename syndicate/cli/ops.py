"""Operator commands: sources (status table), export (static feeds for nginx/CDN), reload."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syndicate.cli import fail
from syndicate.cli.core import load, open_configured_store
from syndicate.cli.tables import aligned

if TYPE_CHECKING:  # imported where used: building the parser stays cheap (cli/core.py)
    from syndicate.config import Settings
    from syndicate.store import Store

COLUMNS = [
    ("id", "ID"),
    ("health", "HEALTH"),
    ("route", "ROUTE"),
    ("last_fetch", "LAST FETCH"),
    ("result", "RESULT"),
    ("articles", "ARTICLES"),
    ("followers", "FOLLOWERS"),
    ("node", "NODE"),
    ("next_run", "NEXT RUN"),
]
RESULT_WIDTH = 48

# ---- formatting (plain data in, text out) -----------------------------------------------------


def short_delta(dt: datetime | None, now: datetime) -> str:
    """'3m ago', 'in 12m', '2d ago'; '-' for never."""
    if dt is None:
        return "-"
    secs = (dt - now).total_seconds()
    n = abs(secs)
    if n < 60:
        text = f"{int(n)}s"
    elif n < 3600:
        text = f"{int(n // 60)}m"
    elif n < 86400:
        text = f"{int(n // 3600)}h{int(n % 3600 // 60):02d}m"
    else:
        text = f"{int(n // 86400)}d"
    if n < 1:
        return "now"
    return f"in {text}" if secs > 0 else f"{text} ago"


def status_cells(row: dict[str, Any], now: datetime) -> dict[str, str]:
    """A source_status() row as the strings the table shows."""
    result = " ".join((row["result"] or "-").split())
    if len(result) > RESULT_WIDTH:  # the whole reason is in --json and on /sources/{id}
        result = result[: RESULT_WIDTH - 1] + "…"
    if row["failures"] and row["backoff_until"] and row["backoff_until"] > now:
        result += f" (x{row['failures']}, backoff)"
    health = row["health"] + (f" ({row['health_kind']})" if row.get("health_kind") else "")
    return {
        "id": row["id"] + ("" if row["enabled"] else " (disabled)"),
        "health": health,
        "route": row["route"] or "-",
        "last_fetch": short_delta(row["last_fetch"], now),
        "result": result,
        "articles": str(row["articles"]),
        "followers": "-" if row["followers"] is None else str(row["followers"]),
        "next_run": "-" if row["next_run"] is None else short_delta(row["next_run"], now),
        # Which node polls it now (holds its lease), else which one polled it last.
        "node": (row.get("node") or "-") + (" (polling)" if row.get("polling") else ""),
    }


def plain_table(rows: list[dict[str, str]]) -> str:
    """Aligned columns without box drawing, for pipes, grep and awk."""
    return aligned([h for _, h in COLUMNS], [[r[k] for k, _ in COLUMNS] for r in rows])


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in row.items():
        if isinstance(v, datetime):
            v = v.isoformat(timespec="seconds")
        elif isinstance(v, timedelta):
            v = int(v.total_seconds())
        out[k] = v
    return out


# ---- syndicate sources ------------------------------------------------------------------------


def collect_status(settings: Settings, store: Store, now: datetime) -> list[dict[str, Any]]:
    from syndicate.web.pages import source_status

    states = store.all_source_states()
    latest = store.latest_health()
    leases = store.source_leases()
    rows = []
    for src in settings.sources:
        row = source_status(settings, store, src, states.get(src.id), now, None, latest)
        lease = leases.get(src.id, {})
        row["node"] = lease.get("holder")
        row["polling"] = bool(lease.get("lease_until") and lease["lease_until"] > now)
        if lease.get("next_run_at") and src.enabled and not row["polling"]:
            row["next_run"] = lease["next_run_at"]  # the cluster's schedule, from the database
        rows.append(row)
    return rows


def cmd_sources(args: argparse.Namespace) -> int:
    from syndicate.config import ConfigError
    from syndicate.store import StorageError

    try:
        settings = load(args)
        store = open_configured_store(settings)
    except (ConfigError, StorageError) as exc:
        return fail(str(exc))
    now = datetime.now(UTC)
    try:
        rows = collect_status(settings, store, now)
    finally:
        store.close()
    if args.json:
        print(json.dumps([_json_row(r) for r in rows], ensure_ascii=False, indent=1))
        return 0
    cells = [status_cells(r, now) for r in rows]
    if sys.stdout.isatty():
        _rich_table(rows, cells)
    else:
        print(plain_table(cells))
    return 0


def _rich_table(rows: list[dict[str, Any]], cells: list[dict[str, str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows)} source(s)", title_justify="left")
    for key, head in COLUMNS:
        table.add_column(
            head,
            justify="right" if key in ("articles", "followers") else "left",
            no_wrap=key == "id",
        )
    styles = {
        "ok": "green",
        "drift": "yellow",
        "failing": "bold red",
        "blocked": "bold magenta",
        "new": "dim",
    }
    result_at = [k for k, _ in COLUMNS].index("result")
    health_at = [k for k, _ in COLUMNS].index("health")
    for row, c in zip(rows, cells, strict=True):
        values = [c[k] for k, _ in COLUMNS]
        style = styles.get(row["health"], "")
        values[result_at] = f"[{style}]{_escape(c['result'])}[/]"
        values[health_at] = f"[{style}]{_escape(c['health'])}[/]"
        table.add_row(*values)
    Console().print(table)
    for r in rows:  # the whole story for each source that needs the operator
        why = r.get("health_detail") or (r["error"] if r["health"] == "failing" else None)
        if r["health"] in ("drift", "failing", "blocked") and why:
            Console().print(f"[red]{r['id']}[/] {r['health']}: {_escape(why)}")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


# ---- syndicate export -------------------------------------------------------------------------


def export_files(settings: Settings, store: Store) -> dict[str, bytes]:
    """Relative path -> bytes of every feed (each source, all, every tag in use) and the OPML,
    laid out like the live URLs so a file server can stand in for /feeds/ and /opml."""
    from syndicate.models import tag_slug
    from syndicate.publish.feed_cache import FeedCache
    from syndicate.publish.feeds import FORMATS
    from syndicate.web.feeds import opml_document
    from syndicate.web.state import AppState

    cache = FeedCache(settings, store)
    enabled = [s.id for s in settings.sources if s.enabled]
    keys = ["all", *enabled]
    tags = sorted({tag_slug(t) for a in store.latest_articles(enabled, limit=5000) for t in a.tags})
    keys += [f"tag/{t}" for t in tags if t]
    files: dict[str, bytes] = {}
    for key in keys:
        for fmt in FORMATS:
            files.update(_feed_pages(cache, settings.server.base_url, key, fmt))
    opml = opml_document(AppState(settings=settings, store=store, feeds=cache))
    files["opml"] = files["feeds.opml"] = opml
    # The live /opml?all=1: a file server has no query strings.
    files["all.opml"] = opml_document(AppState(settings=settings, store=store, feeds=cache), True)
    return files


MAX_EXPORT_PAGES = 1000


def export_page_path(key: str, fmt: str, page: int) -> str:
    """feeds/detailnews.atom, then feeds/detailnews.page2.atom …: a static server has no ?page=."""
    return f"feeds/{key}.{fmt}" if page <= 1 else f"feeds/{key}.page{page}.{fmt}"


def _feed_pages(cache: Any, base_url: str, key: str, fmt: str) -> dict[str, bytes]:
    """Every page of one feed, with its RFC 5005 links (next/previous/self) pointed at the
    exported page files, so a reader can backfill from the static copy."""
    from syndicate.publish.feed_cache import UnknownFeed

    live = f"{base_url}/feeds/{key}.{fmt}"
    paged = re.compile(re.escape(live) + r"\?page=(\d+)")

    def static(m: re.Match[str]) -> str:
        return f"{base_url}/{export_page_path(key, fmt, int(m.group(1)))}"

    out: dict[str, bytes] = {}
    for page in range(1, MAX_EXPORT_PAGES + 1):
        try:
            body = cache.get(key, fmt, page).body
        except UnknownFeed:  # past the last page
            break
        text = body.decode("utf-8")
        out[export_page_path(key, fmt, page)] = paged.sub(static, text).encode("utf-8")
        if f"{live}?page={page + 1}" not in text:  # no rel="next": this was the oldest page
            break
    return out


def write_atomically(out: Path, files: dict[str, bytes]) -> tuple[int, int, int]:
    """Write files under `out`, each through a temp file renamed into place (a reader never sees
    half a feed); unchanged files are left alone so their mtime (the file server's ETag and
    Last-Modified) stays and readers keep getting 304s. Files of feeds that no longer exist are
    removed. Returns (written, unchanged, removed)."""
    out.mkdir(parents=True, exist_ok=True)
    written = unchanged = removed = 0
    for rel, body in files.items():
        path = out / rel
        try:
            if path.read_bytes() == body:
                unchanged += 1
                continue
        except OSError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(body)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written += 1
    feeds = out / "feeds"
    if feeds.is_dir():
        for path in feeds.rglob("*"):
            rel = path.relative_to(out).as_posix()
            if path.is_file() and rel not in files and path.suffix in (".rss", ".atom", ".json"):
                path.unlink()
                removed += 1
    return written, unchanged, removed


def cmd_export(args: argparse.Namespace) -> int:
    from syndicate.config import ConfigError
    from syndicate.store import StorageError

    try:
        settings = load(args)
        store = open_configured_store(settings)
    except (ConfigError, StorageError) as exc:
        return fail(str(exc))
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return fail(f"--out {out}: exists and is not a directory")
    try:
        files = export_files(settings, store)
    finally:
        store.close()
    try:
        written, unchanged, removed = write_atomically(out, files)
    except OSError as exc:
        return fail(f"--out {out}: cannot write: {exc.strerror or exc}")
    if args.json:
        print(
            json.dumps(
                {
                    "out": str(out),
                    "files": sorted(files),
                    "written": written,
                    "unchanged": unchanged,
                    "removed": removed,
                },
                indent=1,
            )
        )
    else:
        print(
            f"{out}: {len(files)} file(s): {written} written, {unchanged} unchanged, {removed} removed"
        )
    return 0


# ---- syndicate reload -------------------------------------------------------------------------


def _health(settings: Settings) -> dict[str, Any] | None:
    import httpx

    host = settings.server.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    url = f"http://{host}:{settings.server.port}/healthz"
    try:
        return httpx.get(url, timeout=2.0).json()
    except (httpx.HTTPError, ValueError):
        return None


def cmd_reload(args: argparse.Namespace) -> int:
    """Check the config here first (a broken one is refused with its errors and nothing is
    signalled), then SIGHUP the running service found through its pid file and report what it did."""
    from syndicate.config import ConfigError

    try:
        settings = load(args)
    except ConfigError as exc:
        return fail(f"{exc}\nsyndicate: config refused; the running service keeps its old config")
    status, message = signal_reload(settings, args.wait)
    if status == 0:
        print(message)
        return 0
    return fail(message, status)


def signal_reload(settings: Settings, wait: float) -> tuple[int, str]:
    """SIGHUP the running `syndicate run` (pid file next to the database) and wait up to `wait`
    seconds for /healthz to report the outcome: (exit status, line for the operator)."""
    from syndicate.datadir import pid_path, running_pid

    path = pid_path(settings)
    pid = running_pid(path)
    if pid is None:
        return 1, f"no running syndicate found (pid file {path}); start it with `syndicate run`"
    before = (_health(settings) or {}).get("config", {}).get("count")
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + wait
    while before is not None and time.monotonic() < deadline:
        time.sleep(0.2)
        info = (_health(settings) or {}).get("config", {})
        if info.get("count", before) != before:
            outcome = info.get("last", "")
            if outcome == "ok":
                return 0, f"reloaded pid {pid}: {len(settings.sources)} source(s)"
            return 1, f"pid {pid} refused the new config: {outcome}"
    return 0, f"sent SIGHUP to pid {pid}; the service log says whether the config was taken"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sources",
        help="show every source's route, last fetch, result and next run",
        description="One line per source: id, ingest route, last fetch, result, articles, "
        "followers, next run. A table on a terminal, aligned plain text when piped.",
    )
    p.add_argument("--json", action="store_true", help="print JSON (all fields, ISO times)")
    p.set_defaults(func=cmd_sources)
    p = subparsers.add_parser(
        "export",
        help="write every feed and the OPML as static files",
        description="Write feeds/<id>.rss|atom|json, feeds/all.*, feeds/tag/<tag>.*, opml and "
        "feeds.opml under DIR, each file atomically, for nginx or a CDN to serve. "
        "Unchanged files keep their mtime; feeds that no longer exist are removed.",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--json", action="store_true", help="print what was written as JSON")
    p.set_defaults(func=cmd_export)
    p = subparsers.add_parser(
        "reload",
        help="make the running service re-read its config",
        description="Validate the config, then send SIGHUP to the running `syndicate run` "
        "(found through the syndicate.pid file next to the database). New sources start, "
        "removed ones stop; a broken config is refused and the old one keeps running.",
    )
    p.add_argument(
        "--wait",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how long to wait for the outcome",
    )
    p.set_defaults(func=cmd_reload)
