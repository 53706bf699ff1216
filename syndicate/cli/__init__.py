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


def _global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """The options every command takes. The top-level parser carries the defaults; each
    subcommand repeats the options with SUPPRESS so `syndicate run --config X` and
    `syndicate --config X run` mean the same and an omitted one keeps the top-level value."""

    def default(value: str | None) -> str | None:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--config",
        "-c",
        metavar="PATH",
        default=default(None),
        help="config file (default: $SYNDICATE_CONFIG or ./config.toml)",
    )
    parser.add_argument(
        "--log-level",
        default=default("info"),
        choices=["debug", "info", "warning", "error"],
        help="log verbosity (default: info)",
    )
    parser.add_argument(
        "--log-format",
        default=default("text"),
        choices=["text", "json"],
        help="log line format (default: text)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="syndicate",
        description="Scrape or ingest local news sites, normalise the articles and publish them as RSS/Atom/JSON Feed and ActivityPub actors.",
    )
    parser.add_argument("--version", action="version", version=f"syndicate {__version__}")
    _global_options(parser, defaults=True)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    for command in subparsers.choices.values():
        _global_options(command, defaults=False)
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
    finally:
        if argv is None:  # the process's own command line: it exits right after this
            _skip_teardown_collections()


def _skip_teardown_collections() -> None:
    """Interpreter teardown runs the cyclic garbage collector over every object the imports
    made, ~0.3 s of CPU on each command and on each stop of the service, for objects that die
    with the process anyway. Frozen, the collector skips them; files and the database are closed
    by then, and the standard streams and logging are still flushed at exit."""
    import gc

    gc.freeze()


def fail(message: str, status: int = 2) -> int:
    print(f"syndicate: {message}" if "\n" not in message else message, file=sys.stderr)
    return status


logging.getLogger("httpx").setLevel(logging.WARNING)
