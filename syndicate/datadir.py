"""Where `syndicate run` keeps its small state files (the pid file), and whether it claims the
data directory with one. Light on purpose: `syndicate reload` and `syndicate add` find the
running service through it without importing the service itself."""

from __future__ import annotations

from pathlib import Path

from syndicate import files
from syndicate.config import Settings, resolve_storage_url

PID_FILE = "syndicate.pid"


def data_dir(settings: Settings) -> Path:
    """Next to the SQLite database, else next to the config file, else the working directory."""
    url = resolve_storage_url(settings)
    if url.startswith("sqlite:///") and ":memory:" not in url:
        return Path(url.removeprefix("sqlite:///")).parent
    return settings.path.parent if settings.path else Path.cwd()


def pid_path(settings: Settings) -> Path:
    return data_dir(settings) / PID_FILE


def running_pid(path: Path) -> int | None:
    """The pid of the live process holding the pid file's lock, else None (syndicate.files)."""
    return files.pid_file_holder(path)


def uses_pid_file(settings: Settings) -> bool:
    """SQLite is one process per database (guarded by the pid file); PostgreSQL takes nodes."""
    return not resolve_storage_url(settings).startswith("postgresql")
