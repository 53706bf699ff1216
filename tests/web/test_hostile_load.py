"""Requests an attacker picks must not grow memory or stall the service (issue 12)."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime

import feedparser
import httpx
from lxml import etree
from webutil import entry, seed_newsroom, site_fixture  # noqa: F401

from syndicate.store.tables import articles


def test_spellings_of_one_tag_are_one_cached_feed(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
    spellings = ["bitung", "Bitung", "BITUNG", "BiTuNg", "bitung%20", "bit%20ung", "B-I-T-U-N-G"]
    etags = set()
    for spelling in spellings:
        r = s.server.get(f"/feeds/tag/{spelling}.rss")
        assert r.status_code == 200, (spelling, r.status_code)
        etags.add(r.headers["etag"])
    assert len(etags) == 1
    cache = s.app.state.syndicate.feeds
    assert len(cache._cache) == 1  # one rendered copy, not one per spelling


def test_unknown_feeds_share_one_metric_series(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)

    def series() -> list[str]:
        body = s.server.get("/metrics").text
        return [ln for ln in body.splitlines() if ln.startswith("syndicate_feed_requests_total{")]

    before = series()
    for i in range(300):
        assert s.server.get(f"/feeds/probe{i}.rss").status_code == 404
        assert s.server.get(f"/feeds/tag/probe{i}.x{i}").status_code == 404
    after = series()
    assert not any("probe" in ln for ln in after), after[:3]
    assert len(after) - len(before) <= 2, after  # at most rss/404 and other/404 are new


def test_a_huge_or_bad_page_number_is_a_clean_4xx(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
    for page in ("99999999999999999999999", str(2**63), "1000000"):
        r = s.server.get("/feeds/detailnews.atom", params={"page": page})
        assert r.status_code == 404, (page, r.status_code)
    for page in ("abc", "-3", "1e9", "٣"):
        r = s.server.get("/feeds/all.rss", params={"page": page})
        assert r.status_code == 400, (page, r.status_code)


def test_a_legacy_row_with_6000_tags_renders_at_most_50(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
    # Written behind the boundary's back, as rows stored before it existed were.
    with s.store.engine.begin() as conn:
        conn.execute(
            articles.update()
            .where(articles.c.id == s.ids["apel"])
            .values(tags=[f"tag{i}" for i in range(6000)], title="Judul\x01 lama")
        )
    s.app.state.syndicate.feeds.reset()
    r = s.server.get("/feeds/detailnews.rss")
    assert r.status_code == 200
    root = etree.fromstring(r.content)
    item = next(i for i in root.iter("item") if i.findtext("title") == "Judul lama")
    assert len(item.findall("category")) == 50


def test_a_held_write_lock_does_not_stall_other_requests(site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = site(
        seed=seed_newsroom,
        sources=[{"id": "newsroom", "name": "Newsroom", "url": "push", "kind": "api"}],
        api={"token": "t"},
    )
    db = str(s.store.engine.url.database)
    locker = sqlite3.connect(db, timeout=1)
    locker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    done = threading.Event()
    result: dict[str, int] = {}

    def push() -> None:
        r = httpx.post(
            f"{s.url}/api/posts",
            json={"source": "newsroom", "id": "x1", "title": "T", "content_text": "isi"},
            headers={"Authorization": "Bearer t"},
            timeout=30,
        )
        result["status"] = r.status_code
        done.set()

    pusher = threading.Thread(target=push)
    pusher.start()
    try:
        assert not done.wait(1.0)  # the post waits for the lock...
        # ...while the rest of the service answers: pages, feeds and health.
        for path in ("/feeds/all.atom", "/tags/bitung", "/", "/metrics"):
            r = s.server.get(path, timeout=5)
            assert r.status_code in (200, 404, 503), (path, r.status_code)
        assert not done.is_set()  # they answered during the lock, not after it
    finally:
        locker.rollback()
        locker.close()
        pusher.join(30)
    assert result["status"] == 201


def test_healthz_answers_during_a_held_write_lock_and_reports_writes_failing(site) -> None:  # type: ignore[no-untyped-def]
    """A write probe that waits on the lock must not hold up /healthz (SQLite would wait 10 s),
    and writes that cannot happen are a failing health check, not a silent ok."""
    import time

    s = site(seed=seed_newsroom)
    assert s.server.get("/healthz", timeout=5).json()["writes"] == "ok"
    locker = sqlite3.connect(str(s.store.engine.url.database), timeout=1)
    locker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        s.app.state.syndicate.write_probe = (float("-inf"), "ok")  # a probe is due now
        seen = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            r = s.server.get("/healthz", timeout=5)  # shorter than SQLite's busy timeout
            seen.append((r.status_code, r.json()["writes"]))
            if r.status_code == 503:
                break
            time.sleep(0.25)
        assert seen[-1] == (503, "failing"), seen
    finally:
        locker.rollback()
        locker.close()


def test_many_categories_in_a_scraped_feed_are_bounded(site) -> None:  # type: ignore[no-untyped-def]
    from syndicate.ingest.runner import store_entry

    s = site()
    e = entry(1, datetime(2026, 1, 5, tzinfo=UTC), tags=[f"kategori {i}" for i in range(20_000)])
    store_entry(s.store, "detailnews", e)
    parsed = feedparser.parse(s.server.get("/feeds/detailnews.atom").content)
    assert len(parsed.entries[0].tags) == 50
