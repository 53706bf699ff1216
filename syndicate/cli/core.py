"""Core commands: run, fetch, check-config, migrate."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TextIO

from syndicate.cli import fail

# Heavy imports (pydantic models, SQLAlchemy, the pipeline) happen inside the commands that use
# them, so building the parser stays cheap: `--help`, `--version` and a bad option answer at once.
if TYPE_CHECKING:
    from syndicate.config import Settings
    from syndicate.store import Store

# (source id, items done, items in total if known), as ingest reports progress.
ProgressCallback = Callable[[str, int, int | None], None]


def load(args: argparse.Namespace) -> Settings:
    from syndicate.config import load_settings

    return load_settings(args.config)


def open_configured_store(settings: Settings, *, migrate: bool = True) -> Store:
    from syndicate.config import resolve_storage_url
    from syndicate.store import open_store

    return open_store(resolve_storage_url(settings), migrate_schema=migrate)


def cmd_check_config(args: argparse.Namespace) -> int:
    from syndicate.config import ConfigError, config_path
    from syndicate.store import StorageError

    try:
        settings = load(args)
        open_configured_store(settings, migrate=False).close()
    except (ConfigError, StorageError) as exc:
        return fail(str(exc))
    enabled = sum(1 for s in settings.sources if s.enabled)
    print(f"{config_path(args.config)}: ok ({len(settings.sources)} source(s), {enabled} enabled)")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from syndicate.config import ConfigError
    from syndicate.store import StorageError

    try:
        settings = load(args)
        store = open_configured_store(settings)
    except (ConfigError, StorageError) as exc:
        return fail(str(exc))
    from syndicate.store.database import current_revision

    print(f"schema at revision {current_revision(store.engine)}")
    store.close()
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from syndicate.config import ConfigError
    from syndicate.store import StorageError

    try:
        settings = load(args)
        unknown = [sid for sid in args.sources if sid not in {s.id for s in settings.sources}]
        if unknown:
            known = ", ".join(s.id for s in settings.sources)
            return fail(f"unknown source id(s): {', '.join(unknown)} (configured: {known})")
        store = open_configured_store(settings)
    except (ConfigError, StorageError) as exc:
        return fail(str(exc))
    from syndicate.ingest.runner import run_sources

    with _fetch_progress(sys.stderr) as progress:
        results = asyncio.run(
            run_sources(
                settings, store, args.sources or None, backfill=args.backfill, progress=progress
            )
        )
    width = max((len(r.source_id) for r in results), default=0)
    for r in results:
        print(f"{r.source_id:<{width}}  {r.summary()}  [{r.route}, {r.seconds:.1f}s]")
    store.close()
    return 0


@contextlib.contextmanager
def _fetch_progress(stream: TextIO) -> Iterator[ProgressCallback]:
    """(source, done, total) -> a rich progress bar on a terminal, else a plain line now and then."""
    if stream.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

        tasks: dict[str, TaskID] = {}
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(file=stream),
            transient=True,
        )

        def update(source: str, done: int, total: int | None) -> None:
            if source not in tasks:
                tasks[source] = bar.add_task(source, total=total)
            bar.update(tasks[source], completed=done, total=total)

        with bar:
            yield update
        return
    last: dict[str, float] = {}

    def line(source: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if done == total or done == 1 or now - last.get(source, 0.0) >= 2.0:
            last[source] = now
            print(
                f"{source}: {done}/{total if total is not None else '?'}", file=stream, flush=True
            )

    yield line


def cmd_run(args: argparse.Namespace) -> int:
    from syndicate.config import ConfigError, config_path
    from syndicate.store import StorageError

    try:
        settings = load(args)
        store = open_configured_store(settings)
    except (ConfigError, StorageError) as exc:
        return fail(str(exc))
    from syndicate.service import Service
    from syndicate.web.state import ROLES

    roles = args.role if args.role is not None else frozenset(ROLES)
    service = Service(settings, store, config_path(args.config), roles=roles)
    try:
        asyncio.run(service.serve())
    finally:
        store.close()
    return 0


def _roles(value: str) -> frozenset[str]:
    from syndicate.web.state import ROLES

    roles = frozenset(r.strip() for r in value.split(",") if r.strip())
    unknown = roles - set(ROLES)
    if unknown or not roles:
        raise argparse.ArgumentTypeError(
            f"unknown role(s) {', '.join(sorted(unknown)) or '(none)'}; use {','.join(ROLES)}"
        )
    return roles


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "run",
        help="run the scheduler and the web server",
        description="Run the ingest scheduler and the web server (feeds, ActivityPub, pages) in one process.",
    )
    p.add_argument(
        "--role",
        type=_roles,
        default=None,  # all roles (resolved in cmd_run, so parsing imports no web code)
        metavar="ROLES",
        help="what this node does, comma-separated: web (HTTP), ingest (polling sources), "
        "deliver (ActivityPub, WebSub); default: all. Several nodes share a PostgreSQL database.",
    )
    p.set_defaults(func=cmd_run)
    p = subparsers.add_parser(
        "fetch",
        help="run one ingest pass now",
        description="Run one ingest pass now and print a line per source: new / updated / unchanged / failed with the reason.",
    )
    p.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE_ID",
        help="sources to fetch (default: every enabled source)",
    )
    p.add_argument(
        "--backfill",
        type=int,
        metavar="N",
        help="take up to N newest articles (default: the source's backfill)",
    )
    p.set_defaults(func=cmd_fetch)
    p = subparsers.add_parser(
        "check-config",
        help="validate the config file and storage URL",
        description="Validate the config file and that the storage URL can be opened; exit 2 with one line per problem.",
    )
    p.set_defaults(func=cmd_check_config)
    p = subparsers.add_parser(
        "migrate",
        help="bring the database schema up to date",
        description="Create or upgrade the database schema to the latest revision.",
    )
    p.set_defaults(func=cmd_migrate)


__all__ = ["register", "load", "open_configured_store", "sys"]
