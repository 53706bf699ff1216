"""Files that hold secrets or claim a directory: created owner-only from the first byte, and a
pid file that is a real lock.

The SQLite database holds our actors' private keys, API and WebSub secrets: it is created 0600
(SQLite gives its -wal, -shm and -journal files the database file's mode) and an existing
database readable by others is tightened, with a warning. The pid file is held with an
exclusive flock for the life of the process, so two services can never both start on one data
directory (no check-then-write race), and a stale file left by a killed process, or a pid the
system reused, never blocks a start. Imports nothing of ours.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the pid file is advisory only
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("syndicate.files")

PRIVATE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def ensure_private(path: Path, *, side_files: tuple[str, ...] = ()) -> None:
    """Create `path` (empty) as 0600 if missing; take group/other access away if it has any.
    `side_files` are suffixes of companions (SQLite's -wal, -shm) that get the same treatment
    when they exist."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
    for file in (path, *(path.with_name(path.name + s) for s in side_files)):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            try:
                os.chmod(file, mode & 0o700)
            except OSError as exc:  # not our file (a read-only CLI user): say so, go on
                log.warning(
                    "%s is readable by others (mode %o) and cannot be changed: %s",
                    file,
                    mode,
                    exc.strerror or exc,
                )
                continue
            log.warning("%s was readable by others (mode %o); now %o", file, mode, mode & 0o700)


def ensure_private_sqlite(path: Path) -> None:
    """The database file and its WAL companions, owner-only."""
    ensure_private(path, side_files=SQLITE_SIDE_FILES)


def write_private(path: Path, text: str) -> None:
    """Replace `path` atomically with `text`, mode 0600 from the start (mkstemp creates 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ---- the pid file ---------------------------------------------------------------------------


class PidFileLocked(Exception):
    """Another process holds the pid file; `pid` is what the file says (None if unreadable)."""

    def __init__(self, path: Path, pid: int | None) -> None:
        super().__init__(f"another syndicate (pid {pid or '?'}) is running with {path}")
        self.path = path
        self.pid = pid


_held: dict[Path, int] = {}  # pid files this process holds -> their open descriptors


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def claim_pid_file(path: Path) -> None:
    """Write our pid and hold an exclusive lock on the file until release or exit.

    The lock, not the pid, decides: the kernel drops it when the process dies (even kill -9),
    so a stale file never blocks a start and a reused pid never looks like us."""
    path = path.resolve()
    fd = _held.get(path)
    if fd is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # a pid is no secret
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise PidFileLocked(path, _read_pid(path)) from None
        _held[path] = fd
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)


def release_pid_file(path: Path) -> None:
    """Remove the pid file if this process holds it, and drop the lock."""
    path = path.resolve()
    fd = _held.pop(path, None)
    if fd is None:
        return
    with contextlib.suppress(OSError):
        path.unlink()
    os.close(fd)  # closing drops the flock


def pid_file_holder(path: Path) -> int | None:
    """The pid of the live process holding `path` (this one included), or None."""
    path = path.resolve()
    if path in _held:
        return os.getpid()
    if fcntl is None:  # pragma: no cover
        return _read_pid(path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _read_pid(path)  # locked: someone is running
    finally:
        os.close(fd)  # also drops the shared lock we may have taken
    return None
