"""`syndicate followers SOURCE`: who follows a source, per inbox, and how deliveries there go.
`syndicate replies hide|show ID`: moderate a Fediverse reply shown under an article."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from syndicate.cli import fail
from syndicate.cli.core import load, open_configured_store
from syndicate.cli.tables import aligned

if TYPE_CHECKING:  # imported where used: building the parser stays cheap (cli/core.py)
    from syndicate.models.federation import InboxStatus


def _when(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d %H:%M") if dt else "-"


def rows_as_json(rows: list[InboxStatus]) -> list[dict]:
    return [
        {
            "inbox": r.inbox,
            "server": r.server,
            "followers": r.followers,
            "followed_since": r.followed_since.isoformat(),
            "last_delivery": r.last_delivery_at.isoformat() if r.last_delivery_at else None,
            "pending": r.pending,
            "failed_attempts": r.failures,
            "dead": r.dead,
            "last_error": r.last_error,
            "actors": r.actors,
        }
        for r in rows
    ]


def _plain(rows: list[InboxStatus]) -> str:
    head = [
        "SERVER",
        "INBOX",
        "FOLLOWERS",
        "SINCE",
        "LAST DELIVERY",
        "PENDING",
        "FAILURES",
        "LAST ERROR",
    ]
    return aligned(
        head,
        [
            [
                r.server,
                r.inbox,
                str(r.followers),
                _when(r.followed_since),
                _when(r.last_delivery_at),
                str(r.pending),
                str(r.failures + r.dead),
                r.last_error or "-",
            ]
            for r in rows
        ],
    )


def _rich(rows: list[InboxStatus], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in (
        "Server",
        "Followers",
        "Since",
        "Last delivery",
        "Pending",
        "Failures",
        "Last error",
    ):
        table.add_column(
            col, justify="right" if col in ("Followers", "Pending", "Failures") else "left"
        )
    for r in rows:
        bad = r.failures + r.dead
        table.add_row(
            r.server,
            str(r.followers),
            _when(r.followed_since),
            _when(r.last_delivery_at),
            str(r.pending),
            f"[red]{bad}[/red]" if bad else "0",
            r.last_error or "",
        )
    Console().print(table)


def cmd_followers(args: argparse.Namespace) -> int:
    from syndicate.config import ConfigError
    from syndicate.store import StorageError

    try:
        settings = load(args)
        if args.source not in {s.id for s in settings.sources}:
            known = ", ".join(s.id for s in settings.sources) or "none"
            return fail(f"unknown source id {args.source!r} (configured: {known})")
        store = open_configured_store(settings)
    except (ConfigError, StorageError) as exc:
        return fail(str(exc))
    try:
        rows = store.inbox_status(args.source)
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows_as_json(rows), indent=2, ensure_ascii=False))
        return 0
    total = sum(r.followers for r in rows)
    title = f"@{args.source}: {total} follower(s) on {len(rows)} inbox(es)"
    if sys.stdout.isatty():
        _rich(rows, title)
    else:
        print(title)
        if rows:
            print(_plain(rows))
    return 0


def cmd_replies(args: argparse.Namespace) -> int:
    from syndicate.config import ConfigError
    from syndicate.store import StorageError

    try:
        settings = load(args)
        store = open_configured_store(settings)
    except (ConfigError, StorageError) as exc:
        return fail(str(exc))
    try:
        if args.action == "list":
            rows = store.replies(args.id, limit=1000, include_hidden=True)
            for r in rows:
                state = "hidden" if r.hidden else "shown"
                print(f"{state}\t{r.activity_id}\t{r.actor_id}")
            return 0
        changed = store.hide_reply(args.id, hidden=args.action == "hide")
    finally:
        store.close()
    if not changed:
        return fail(f"no reply with activity or object id {args.id!r}")
    print(f"{'hidden' if args.action == 'hide' else 'shown again'}: {args.id}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    r = subparsers.add_parser(
        "replies",
        help="hide or show a Fediverse reply under an article; list an article's replies",
        description="hide/show ID: ID is the reply's Create activity id (or its Note id), "
        "as `list ARTICLE_ID` prints them. Hidden replies stay stored but leave our pages and "
        "the post's replies collection.",
    )
    r.add_argument("action", choices=["hide", "show", "list"])
    r.add_argument("id", metavar="ID", help="activity id (hide/show) or article id (list)")
    r.set_defaults(func=cmd_replies)
    p = subparsers.add_parser(
        "followers",
        help="list a source's Fediverse followers and delivery status per inbox",
        description="Per inbox that follows SOURCE: the server, followers behind it, followed "
        "since, last successful delivery, pending deliveries, failures and the last error.",
    )
    p.add_argument("source", metavar="SOURCE", help="source id, e.g. kabar-kota")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_followers)
