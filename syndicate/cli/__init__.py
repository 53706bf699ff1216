"""`syndicate ...`: the command line. Each command group lives in its own module with `register()`."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from syndicate import __version__

# Modules that add subcommands; each has register(subparsers) -> None.
COMMAND_MODULES = [
    "syndicate.cli.core",
    "syndicate.cli.federation",
    "syndicate.cli.discover",
    "syndicate.cli.ops",
    "syndicate.cli.extract",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="syndicate",
        description="Scrape or ingest local news sites, normalise the articles and publish them as RSS/Atom/JSON Feed and ActivityPub actors.",
    )
    parser.add_argument("--version", action="version", version=f"syndicate {__version__}")
    parser.add_argument(
        "--config",
        "-c",
        metavar="PATH",
        help="config file (default: $SYNDICATE_CONFIG or ./config.toml)",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="log verbosity (default: info)",
    )
    parser.add_argument(
        "--log-format",
        default="text",
        choices=["text", "json"],
        help="log line format (default: text)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from syndicate.logs import setup_logging

    setup_logging(args.log_level, args.log_format)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def fail(message: str, status: int = 2) -> int:
    print(f"syndicate: {message}" if "\n" not in message else message, file=sys.stderr)
    return status


logging.getLogger("httpx").setLevel(logging.WARNING)
