"""Ingest under load: extraction off the event loop, one bad item fails alone, a bounded log."""

from __future__ import annotations

import asyncio

from conftest import free_port
from ingest_util import corpus_settings, run_pass, store  # noqa: F401

from syndicate.ingest import fetcher as fetcher_module
from syndicate.ingest import pages
from syndicate.ingest.runner import make_fetcher, run_sources


def test_extraction_does_not_stall_the_event_loop(corpus_server, store, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    server = corpus_server("sulutaktual", "t0", "--quiet")  # sitemap route: pages are extracted
    settings = corpus_settings(store.url, {"s": server.base})
    real = pages.extract_article
    on_loop: list[bool] = []

    def watched_extract(*args, **kw):  # type: ignore[no-untyped-def]
        # A worker thread has no running event loop; the loop's own thread does. Asking this
        # (rather than timing gaps between ticks) stays true on a busy machine.
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return real(*args, **kw)

    monkeypatch.setattr(pages, "extract_article", watched_extract)

    async def go() -> None:
        async with make_fetcher(settings, store) as f:
            [result] = await run_sources(settings, store, fetcher=f)
        assert result.new > 0 and not result.failed

    asyncio.run(go())
    assert on_loop, "no page was extracted; nothing was tested"
    assert not any(on_loop), f"{on_loop.count(True)} of {len(on_loop)} extractions ran on the loop"


def test_one_item_the_extractor_chokes_on_fails_alone(corpus_server, store, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    port = free_port()
    corpus_server("detailnews", "t0", "--quiet", "--port", str(port))
    settings = corpus_settings(store.url, {"dn": f"http://127.0.0.1:{port}"})
    real = pages.extract_article

    def choke(html, url, **kw):  # type: ignore[no-untyped-def]
        if "persibit" in url:
            raise ValueError("extractor bug")
        return real(html, url, **kw)

    monkeypatch.setattr(pages, "extract_article", choke)
    [first], _ = run_pass(settings, store)
    assert not first.failed and first.route == "wordpress"
    assert first.new == 7  # the other seven stored
    assert "1 item(s) failed" in (store.source_state("dn").last_error or "")
    monkeypatch.setattr(pages, "extract_article", real)
    [second], _ = run_pass(settings, store)
    assert second.new == 1  # retried: the validators and cursor waited for it


def test_the_fetch_log_is_bounded(corpus_server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    server = corpus_server("detailnews", "t0", "--quiet")
    monkeypatch.setattr(fetcher_module, "STATS_LOG", 3)

    async def go() -> int:
        opts = fetcher_module.FetchOptions(
            user_agent="t/1", per_host_delay=0, trusted_urls=(server.base,)
        )
        async with fetcher_module.Fetcher(opts) as f:
            for _ in range(6):
                await f.get(server.base + "/", conditional=False)
            assert f.stats.requests == 7  # robots.txt + 6
            return len(f.stats.log)

    assert asyncio.run(go()) == 3
