"""Nodes started at the same moment on one fresh PostgreSQL database migrate it once, cleanly."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO

CHILD = """
import sys
from syndicate.store import open_store
open_store(sys.argv[1]).close()
print("ok")
"""


@pytest.mark.postgres
def test_concurrent_first_starts_all_succeed(pg_url: str) -> None:
    # the race is a PostgreSQL one; SQLite keeps one process per database (pid-file guard)
    db_url = pg_url
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, db_url],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    for proc, (out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        assert out.strip() == "ok"
    from syndicate.store import open_store
    from syndicate.store.database import current_revision

    store = open_store(db_url, migrate_schema=False)
    try:
        assert current_revision(store.engine) is not None
    finally:
        store.close()
