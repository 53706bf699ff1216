"""SIGTERM while work is in flight: the service exits within 10 s, and after a restart nothing is
missing and nothing is there twice."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from conftest import free_port, load_truth
from opsutil import Running, config_file, feed_source


def article_rows(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT canonical_url, guid FROM articles").fetchall()


def test_sigterm_during_a_slow_ingest_pass_loses_and_duplicates_nothing(
    tmp_path: Path, corpus_server
) -> None:  # type: ignore[no-untyped-def]
    slow = corpus_server("detailnews", "t0", "--latency", "700", "--quiet")
    port = free_port()
    cfg = config_file(
        tmp_path,
        port,
        feed_source("detailnews", "DetailNews.id", slow.base, slow.base + "/feed/"),
        extra="per_host_delay = 0.05",
    )
    svc = Running(cfg, port)
    svc.wait_for("/healthz", lambda r: r.status_code == 200)
    # The first pass is under way on the slow site (one article stored of eight, 0.7 s each).
    deadline = time.monotonic() + 30
    while not article_rows(tmp_path / "data" / "syndicate.db"):
        assert time.monotonic() < deadline, "the first pass never stored an article"
        time.sleep(0.05)
    took = svc.terminate()
    log = svc.read()
    assert svc.proc.returncode == 0, log
    assert took < 10, f"took {took:.1f}s to stop"
    print(
        f"SIGTERM to exit: {took:.2f}s; {len(article_rows(tmp_path / 'data' / 'syndicate.db'))} of 8 articles stored before"
    )
    assert "shutting down" in log
    assert not (tmp_path / "data" / "syndicate.pid").exists()
    db = tmp_path / "data" / "syndicate.db"
    partial = article_rows(db)
    assert len(partial) < 8  # it really was interrupted mid-pass

    slow.stop()  # the same site, answering at full speed, on the same address
    fast = corpus_server("detailnews", "t0", "--quiet", "--port", slow.base.rsplit(":", 1)[1])
    assert fast.base == slow.base
    svc = Running(cfg, port)
    try:
        svc.wait_for("/feeds/detailnews.json", lambda r: len(r.json()["items"]) >= 8, timeout=60)
        time.sleep(0.5)
    finally:
        svc.terminate()
    truth = load_truth("detailnews", "t0", fast.base)
    rows = article_rows(db)
    urls = [u for u, _ in rows]
    assert len(urls) == len(set(urls)) == len(truth["articles"])  # none missing, none twice
    assert {a["canonical_url"] for a in truth["articles"]} == set(urls)
