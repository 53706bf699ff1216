"""Which NEW articles are announced (federation Creates) and which are only listed (backfill)."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import free_port
from ingest_util import run_pass, store  # noqa: F401

from syndicate.config import settings_from_dict
from syndicate.models import Change
from syndicate.store import Store

T0_AS_OF = datetime.fromisoformat("2026-01-08T20:00:00+08:00")  # the corpus's t0 snapshot time
# detailnews t1 adds WordPress posts 2504 (9 Jan) and 2510 (10 Jan); everything else is older.
FRESH_T1 = {"/2026/01/09/kpu-bitung-gelar-rapat", "/2026/01/10/tradisi-kunci-taong"}


def _settings(store: Store, base: str, kind: str, backfill: int = 2):  # type: ignore[no-untyped-def]  # noqa: F811
    src = {"id": "dn", "name": "dn", "url": base + "/", "kind": kind, "backfill": backfill}
    if kind == "sitemap":
        src["feed_url"] = base + "/wp-sitemap-posts-post-1.xml"
    elif kind == "feed":
        src["feed_url"] = base + "/feed/"
    return settings_from_dict(
        {"storage": {"url": store.url}, "fetch": {"per_host_delay": 0.005}, "sources": [src]}
    )


def _new_events(store: Store, after: int) -> list[tuple[str, bool]]:  # noqa: F811
    out = []
    for e in store.events_after(after):
        if e.kind is Change.NEW:
            article = store.get_article(e.article_id)
            assert article is not None
            out.append((article.canonical_url, e.backfill))
    return out


def _set_last_success(store: Store, when: datetime) -> None:  # noqa: F811
    state = store.source_state("dn")
    state.last_success_at = when
    store.save_source_state(state)


def _is_fresh(url: str) -> bool:
    return any(part in url for part in FRESH_T1)


@pytest.mark.parametrize("kind", ["auto", "sitemap", "feed"])
def test_only_articles_newer_than_the_last_pass_are_announced(kind, corpus_server, store) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = _settings(store, base, kind)
    server = corpus_server("detailnews", "t0", "--quiet", "--port", str(port))
    [first], _ = run_pass(settings, store)
    assert not first.failed, first.error
    events = _new_events(store, 0)
    assert len(events) == 2 and all(backfill for _u, backfill in events)
    server.stop()

    # As if the first pass ran at t0's time; t1 then is two days later.
    _set_last_success(store, T0_AS_OF)
    mark = store.last_event_id()
    corpus_server("detailnews", "t1", "--quiet", "--port", str(port))
    [second], _ = run_pass(settings, store)
    assert not second.failed, second.error
    events = _new_events(store, mark)
    announced = sorted(url for url, backfill in events if not backfill)
    assert len(announced) == 2 and all(_is_fresh(u) for u in announced), events
    # Old articles a changed sitemap or feed names now (never stored before) are only listed.
    assert all(backfill for url, backfill in events if not _is_fresh(url))


def test_a_changed_sitemap_months_later_announces_nothing_old(corpus_server, store) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """/tmp/rev3: backfill = 2, then the sitemap changes: 8 'new' were announced."""
    port = free_port()
    settings = _settings(store, f"http://127.0.0.1:{port}", "sitemap")
    server = corpus_server("detailnews", "t0", "--quiet", "--port", str(port))
    run_pass(settings, store)
    server.stop()
    mark = store.last_event_id()
    corpus_server("detailnews", "t1", "--quiet", "--port", str(port))
    [second], _ = run_pass(settings, store)
    assert second.new == 8
    events = _new_events(store, mark)
    assert len(events) == 8 and all(backfill for _u, backfill in events)


def test_sitemap_later_passes_are_capped_newest_first(corpus_server, store, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    port = free_port()
    settings = _settings(store, f"http://127.0.0.1:{port}", "sitemap")
    server = corpus_server("detailnews", "t0", "--quiet", "--port", str(port))
    run_pass(settings, store)
    server.stop()
    corpus_server("detailnews", "t1", "--quiet", "--port", str(port))
    from syndicate.ingest import sitemap

    real = sitemap.walk

    async def walk_with_cap_3(ctx, roots, *, conditional=True):  # type: ignore[no-untyped-def]
        ctx.limit = 3  # a later pass's cap (normally max(backfill, 100))
        return await real(ctx, roots, conditional=conditional)

    monkeypatch.setattr(sitemap, "walk", walk_with_cap_3)
    [second], _ = run_pass(settings, store)
    # The sitemap lists 10 (8 not stored); only the 3 newest by lastmod are read: 10 Jan, 9 Jan
    # and 3 Jan (corrected on 9 Jan). Uncapped, all 8 were fetched.
    assert second.new == 3


def test_fetch_backfill_reads_unconditionally_and_flags_backfill(corpus_server, store) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    port = free_port()
    settings = _settings(store, f"http://127.0.0.1:{port}", "sitemap")
    corpus_server("detailnews", "t0", "--quiet", "--port", str(port))
    run_pass(settings, store)
    # Long ago, so only --backfill (not the age of the articles) can make them backfill.
    _set_last_success(store, datetime.fromisoformat("2025-01-01T00:00:00+00:00"))
    mark = store.last_event_id()
    [more], fetcher = run_pass(settings, store, backfill=10)
    assert more.summary() != "unchanged", "the sitemap's 304 hid the backlog"
    assert more.new == 6
    assert not any(cond for _url, _status, cond in fetcher.stats.log)
    events = _new_events(store, mark)
    assert len(events) == 6 and all(backfill for _u, backfill in events)


def test_a_first_pass_that_failed_halfway_is_still_a_first_pass(corpus_server, store) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    port = free_port()
    settings = _settings(store, f"http://127.0.0.1:{port}", "sitemap", backfill=5)
    server = corpus_server("detailnews", "t0", "--quiet", "--port", str(port))
    run_pass(settings, store)
    server.stop()
    # Articles stored, but the pass never succeeded (it failed after storing them).
    state = store.source_state("dn")
    state.last_success_at, state.consecutive_failures = None, 1
    store.save_source_state(state)
    mark = store.last_event_id()
    corpus_server("detailnews", "t1", "--quiet", "--port", str(port))
    [again], _ = run_pass(settings, store)
    assert again.new == 3  # the 5 newest by lastmod: 10, 9, 3 (corrected 9 Jan), 8, 7 Jan
    assert all(backfill for _u, backfill in _new_events(store, mark))
