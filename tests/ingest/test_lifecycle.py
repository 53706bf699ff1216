"""Corrections, removals and degraded routes on edited copies of corpus sites (real HTTP on loopback).

Each test copies one site (serve.py + its files) into tmp_path, edits the copy the way a real
site would change or misbehave, and runs real passes against it.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta

import pytest
from conftest import free_port, load_truth
from ingest_util import (  # noqa: F401
    corpus_copy,
    corpus_settings,
    edit_routes,
    run_pass,
    store,
    stored_keys,
    truth_keys,
)

from syndicate.normalize.urls import canonicalize_url

RETRY_NOW = {"Retry-After": "0"}  # the fetcher's quick retries do not wait


def _server(corpus_server, root, site, state, port):  # type: ignore[no-untyped-def]
    return corpus_server(site, state, "--quiet", "--port", str(port), corpus=root)


def _events(db, since: int, kind: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        db.get_article(e.article_id).canonical_url
        for e in db.events_after(since)
        if e.kind.value == kind
    ]


def test_wordpress_api_failing_with_embed_is_read_without_it(tmp_path, corpus_server, store):  # type: ignore[no-untyped-def]  # noqa: F811
    root = corpus_copy(tmp_path, "detailnews")
    site = root / "sites" / "detailnews"
    (site / "error-500.json").write_text('{"code":"internal_server_error"}', encoding="utf-8")
    broken = {"status": 500, "file": "error-500.json", "type": "application/json"}
    edit_routes(
        root,
        "detailnews",
        query_rules=[
            {
                "path": "/wp-json/wp/v2/posts",
                "if_param": "_embed",
                "route": {**broken, "headers": RETRY_NOW},
            }
        ],
    )
    server = _server(corpus_server, root, "detailnews", "t0", 0)
    settings = corpus_settings(store.url, {"detailnews": server.base})
    [result], fetcher = run_pass(settings, store)
    assert not result.failed, result.error
    assert result.route == "wordpress"
    truth = load_truth("detailnews", "t0", server.base)
    assert set(stored_keys(store, "detailnews")) == truth_keys(truth)
    # Terms and images come from the plain listing's ids (tag/media look-ups), not from _embed.
    by_key = {a.canonical_url: a for a in store.latest_articles(["detailnews"], limit=100)}
    for art in truth["articles"]:
        stored = by_key[canonicalize_url(art["canonical_url"])]
        assert stored.image == art["lead_image"]
        assert set(art["tags"]) <= set(stored.tags)
    assert "_embed" in (store.source_state("detailnews").last_error or "")
    # Later passes no longer ask for _embed.
    [again], fetcher = run_pass(settings, store)
    assert not again.failed
    assert not any("_embed" in url for url, _status, _cond in fetcher.stats.log)


def test_a_failing_route_falls_back_to_the_next_route(tmp_path, corpus_server, store):  # type: ignore[no-untyped-def]  # noqa: F811
    root = corpus_copy(tmp_path, "detailnews")
    site = root / "sites" / "detailnews"
    (site / "error-500.json").write_text('{"code":"internal_server_error"}', encoding="utf-8")
    port = free_port()
    server = _server(corpus_server, root, "detailnews", "t0", port)
    settings = corpus_settings(store.url, {"detailnews": server.base})
    [first], _ = run_pass(settings, store)
    assert first.route == "wordpress" and not first.failed
    server.stop()
    # t1 adds two articles, and now every REST answer is a server error.
    down = {"status": 500, "file": "error-500.json", "type": "application/json"}
    edit_routes(
        root,
        "detailnews",
        "t1",
        query_rules=[
            {
                "path": "/wp-json/",
                "prefix": True,
                "require": {"never": "sent"},
                "route": {**down, "headers": RETRY_NOW},
            }
        ],
    )
    server = _server(corpus_server, root, "detailnews", "t1", port)
    [second], _ = run_pass(settings, store)
    assert not second.failed, second.error
    truth = load_truth("detailnews", "t1", server.base)
    assert set(stored_keys(store, "detailnews")) == truth_keys(truth)
    state = store.source_state("detailnews")
    assert "route wordpress failed" in (state.last_error or ""), state.last_error


@pytest.mark.parametrize(
    ("site", "target"), [("gorontaloprov", "/berita"), ("bitungkota", "/")], ids=["section", "home"]
)
def test_an_article_redirected_to_a_section_or_home_is_removed_after_two_checks(
    site,
    target,
    tmp_path,
    corpus_server,
    store,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    root = corpus_copy(tmp_path, site)
    # t1 drops this article from the listing; here its URL redirects instead of answering 404.
    [gone] = load_truth(site, "t1", "{{BASE}}")["removed"]
    path = gone["url"].replace("{{BASE}}", "")
    moved = {"status": 301, "location": "{{BASE}}" + target, "type": "text/html"}
    edit_routes(root, site, "t1", routes={path: moved})
    port = free_port()
    server = _server(corpus_server, root, site, "t0", port)
    settings = corpus_settings(store.url, {site: server.base})
    run_pass(settings, store)
    server.stop()
    server = _server(corpus_server, root, site, "t1", port)
    url = canonicalize_url(gone["url"].replace("{{BASE}}", server.base))
    since = store.last_event_id()
    run_pass(settings, store)
    assert url not in _events(store, since, "removed")  # one answer proves nothing
    assert url in stored_keys(store, site)
    run_pass(settings, store)
    assert _events(store, since, "removed") == [url]
    assert url not in stored_keys(store, site)


def test_a_correction_nothing_dates_is_found_by_the_scheduled_recheck(
    tmp_path,
    corpus_server,
    store,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    """lensautara's RSS has excerpts and no <updated>: a body/title fix shows only on the page.

    Here the feed stays byte-identical (304), so only the decaying re-check schedule can see it;
    the correction's time is the page's declared article:modified_time.
    """
    root = corpus_copy(tmp_path, "lensautara")
    site = root / "sites" / "lensautara"
    slug = "harga-cengkih-petani-minahasa"
    port = free_port()
    server = _server(corpus_server, root, "lensautara", "t0", port)
    settings = corpus_settings(store.url, {"lensautara": server.base})
    [first], _ = run_pass(settings, store)
    assert first.route == "feed"
    server.stop()
    shutil.copy(site / "states" / "t1" / slug / "index.html", site / slug / "index.html")
    server = _server(corpus_server, root, "lensautara", "t0", port)
    key = canonicalize_url(f"{server.base}/{slug}/")
    article = store.find_article("lensautara", canonical_url=key)
    assert article is not None
    since = store.last_event_id()
    [quiet], fetcher = run_pass(settings, store)  # not due yet: no page request at all
    assert quiet.updated == 0
    assert not any(slug in url for url, _s, _c in fetcher.stats.log)
    # An hour later (the first step of the schedule) the page is re-checked, conditionally.
    [row] = [r for r in store.rechecks("lensautara") if r.article_id == article.id]
    assert row.due_at - row.started_at == timedelta(hours=1)
    store.advance_recheck(article.id, row.started_at - timedelta(minutes=1), row.step)
    [due], fetcher = run_pass(settings, store)
    assert due.updated == 1, due
    assert [(s, c) for url, s, c in fetcher.stats.log if slug in url] == [(200, True)]
    assert _events(store, since, "updated") == [key]
    fixed = store.get_article(article.id)
    truth = load_truth("lensautara", "t1", server.base)
    [want] = [a for a in truth["articles"] if a["change"] == "corrected"]
    assert fixed.title == want["title"]
    assert fixed.updated == datetime.fromisoformat(want["updated"])  # declared, not "now"
    [row] = [r for r in store.rechecks("lensautara") if r.article_id == article.id]
    assert row.step == 1 and row.due_at - row.started_at == timedelta(hours=3)


def test_a_feed_item_whose_page_404s_once_is_retried_while_the_feed_is_unchanged(
    tmp_path,
    corpus_server,
    store,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    root = corpus_copy(tmp_path, "lensautara")
    routes_file = root / "sites" / "lensautara" / "routes.json"
    original = routes_file.read_text(encoding="utf-8")
    slug = "/sungai-tondano-sampah-plastik/"
    route = json.loads(original)["routes"][slug]
    edit_routes(root, "lensautara", routes={slug: {**route, "status": 404, "file": "404.html"}})
    port = free_port()
    server = _server(corpus_server, root, "lensautara", "t0", port)
    settings = corpus_settings(store.url, {"lensautara": server.base})
    run_pass(settings, store)
    key = canonicalize_url(server.base + slug)
    assert key not in stored_keys(store, "lensautara")
    server.stop()
    routes_file.write_text(original, encoding="utf-8")  # the page is published after all
    server = _server(corpus_server, root, "lensautara", "t0", port)
    [result], fetcher = run_pass(settings, store)
    assert any(s == 304 and "/rss" in url for url, s, _c in fetcher.stats.log), fetcher.stats.log
    assert result.new == 1
    assert key in stored_keys(store, "lensautara")


def test_rechecks_are_conditional_capped_and_take_turns(corpus_server, store, monkeypatch):  # type: ignore[no-untyped-def]  # noqa: F811
    from syndicate.ingest import lifecycle

    monkeypatch.setattr(lifecycle, "MAX_RECHECKS", 3)
    server = corpus_server("gorontaloprov", "t0", "--quiet")
    settings = corpus_settings(store.url, {"gorontaloprov": server.base})
    run_pass(settings, store)
    rows = store.rechecks("gorontaloprov")
    assert len(rows) == 7  # an HTML listing dates nothing: every recent article is watched
    for r in rows:  # as if an hour had passed
        store.advance_recheck(r.article_id, r.started_at - timedelta(seconds=1), r.step)
    pages = {r.url for r in rows}
    checked: list[str] = []
    for _ in range(3):
        [result], fetcher = run_pass(settings, store)
        assert result.updated == 0 and not result.failed
        hits = [(url, s, c) for url, s, c in fetcher.stats.log if url in pages]
        assert all(s == 304 and c for _u, s, c in hits), hits  # unchanged pages cost a 304
        checked += [u for u, _s, _c in hits]
        assert len(hits) <= 3
    assert sorted(checked) == sorted(pages)  # each once, none twice, within three passes
    assert all(r.step == 1 for r in store.rechecks("gorontaloprov"))
