"""Secrets stay owner-only on disk, and the pid file is a lock, not a guess."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from syndicate import files
from syndicate.datadir import running_pid
from syndicate.service import AlreadyRunning, remove_pid_file, write_pid_file
from syndicate.store import open_store


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)  # what most systems run services with: new files 0644
    yield
    os.umask(old)


def test_the_sqlite_database_holding_private_keys_is_owner_only(tmp_path, usual_umask) -> None:  # type: ignore[no-untyped-def]
    """Before: the database (actor private keys, secrets) and its -wal/-shm were 0644."""
    db = tmp_path / "data" / "syndicate.db"
    store = open_store(f"sqlite:///{db}")
    try:
        store.save_ap_key("news", "-----BEGIN PRIVATE KEY-----\nx\n", "pub")
        written = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
        assert all(p.exists() for p in written)
        assert {p.name: _mode(p) for p in written} == {p.name: 0o600 for p in written}
    finally:
        store.close()


def test_an_existing_world_readable_database_is_tightened(tmp_path, usual_umask, caplog) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "syndicate.db"
    open_store(f"sqlite:///{db}").close()
    os.chmod(db, 0o644)
    open_store(f"sqlite:///{db}").close()
    assert _mode(db) == 0o600
    assert "readable by others" in caplog.text


def test_private_writes_are_never_readable_by_others(tmp_path, usual_umask) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "hub.secret"
    files.write_private(secret, "s3cret\n")
    assert _mode(secret) == 0o600 and secret.read_text() == "s3cret\n"
    files.write_private(secret, "rotated\n")
    assert _mode(secret) == 0o600 and secret.read_text() == "rotated\n"
    assert [p.name for p in tmp_path.iterdir()] == ["hub.secret"]  # no temporary left behind


def _holder(pid_file: Path) -> subprocess.Popen[str]:
    """Another syndicate process holding the pid file (prints 'held' once it does)."""
    code = (
        "import sys, time; from pathlib import Path; from syndicate.service import write_pid_file;"
        f"write_pid_file(Path({str(pid_file)!r})); print('held', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_the_pid_file_is_a_lock(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pid_file = tmp_path / "syndicate.pid"
    other = _holder(pid_file)
    try:
        assert running_pid(pid_file) == other.pid
        with pytest.raises(AlreadyRunning, match=f"pid {other.pid}"):
            write_pid_file(pid_file)
        # kill -9 leaves the file behind; the lock goes with the process.
        other.send_signal(signal.SIGKILL)
        other.wait(10)
        assert pid_file.read_text().strip() == str(other.pid)
        assert running_pid(pid_file) is None
        write_pid_file(pid_file)
        assert pid_file.read_text().strip() == str(os.getpid())
        assert running_pid(pid_file) == os.getpid()
    finally:
        if other.poll() is None:
            other.kill()
            other.wait(10)
        remove_pid_file(pid_file)
    assert not pid_file.exists()


def test_a_reused_pid_in_a_stale_pid_file_does_not_block_a_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Before: a stale pid file naming a live process whose command line said "syndicate"
    (a pid reused after a crash or a container restart) refused every start."""
    pid_file = tmp_path / "syndicate.pid"
    lookalike = subprocess.Popen(
        [sys.executable, "-c", "import time  # syndicate lookalike\ntime.sleep(60)"]
    )
    try:
        pid_file.write_text(f"{lookalike.pid}\n")
        assert running_pid(pid_file) is None
        write_pid_file(pid_file)
        assert pid_file.read_text().strip() == str(os.getpid())
    finally:
        lookalike.kill()
        lookalike.wait(10)
        remove_pid_file(pid_file)
