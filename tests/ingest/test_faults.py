"""Faults never lose work; politeness is real: fail-rate, latency, robots.txt, Retry-After, caps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from conftest import load_truth
from ingest_util import corpus_settings, run_pass, store, stored_keys, truth_keys  # noqa: F401

from syndicate.ingest.fetcher import Fetcher, FetchError, FetchOptions, RobotsDisallowed

LOOPBACK = ("127.0.0.0/8",)  # these tests drive a bare Fetcher at corpus sites on 127.0.0.1


def test_every_article_arrives_within_five_passes_at_fail_rate_30_percent(corpus_server, store):  # type: ignore[no-untyped-def]  # noqa: F811
    sites = ["detailnews", "nusautara"]
    servers = {
        s: corpus_server(
            s, "t0", "--quiet", "--fail-rate", "0.3", "--seed", "7", "--retry-after", "0"
        )
        for s in sites
    }
    settings = corpus_settings(store.url, {s: srv.base for s, srv in servers.items()})
    retried = 0
    for _ in range(5):
        results, fetcher = run_pass(settings, store)
        retried += fetcher.stats.retries
        done = all(
            set(stored_keys(store, s)) == truth_keys(load_truth(s, "t0", servers[s].base))
            for s in sites
        )
        if done:
            break
    assert retried > 0  # the faults really happened
    for s in sites:
        keys = stored_keys(store, s)
        assert set(keys) == truth_keys(load_truth(s, "t0", servers[s].base)), s
        assert len(keys) == len(set(keys))


def test_failed_pass_keeps_what_was_stored_and_backs_off(corpus_server, store):  # type: ignore[no-untyped-def]  # noqa: F811
    from conftest import free_port

    port = free_port()
    healthy = corpus_server("kabarkito", "t0", "--quiet", "--port", str(port))
    settings = corpus_settings(store.url, {"kabarkito": healthy.base})
    [first], _ = run_pass(settings, store)
    assert first.new == 7
    healthy.stop()
    corpus_server(
        "kabarkito",
        "t0",
        "--quiet",
        "--port",
        str(port),
        "--fail-rate",
        "1",
        "--retry-after",
        "120",
    )
    [result], fetcher = run_pass(settings, store)
    assert result.failed and "HTTP 50" in (result.error or "")
    assert len(stored_keys(store, "kabarkito")) == 7  # nothing lost
    state = store.source_state("kabarkito")
    assert state.consecutive_failures == 1 and state.last_error == result.error
    # Retry-After 120 s is longer than a quick in-pass retry: the source waits at least that long.
    assert state.backoff_until is not None
    assert state.backoff_until >= datetime.now(UTC) + timedelta(seconds=100)
    assert fetcher.stats.retries == 0 and fetcher.stats.requests == 1


def test_a_slow_site_does_not_delay_the_others(corpus_server, store):  # type: ignore[no-untyped-def]  # noqa: F811
    slow = corpus_server("sulutaktual", "t0", "--quiet", "--latency", "5000")
    fast = corpus_server("kabarkito", "t0", "--quiet")
    settings = corpus_settings(
        store.url, {"slow": slow.base, "fast": fast.base}, timeout="2s", connect_timeout="2s"
    )
    solo = corpus_settings(store.url.replace("ingest.db", "solo.db"), {"fast": fast.base})
    from syndicate.store import open_store

    solo_store = open_store(solo.storage.url)
    [alone], _ = run_pass(solo, solo_store)
    results, _ = run_pass(settings, store)
    by_id = {r.source_id: r for r in results}
    assert not by_id["fast"].failed and by_id["fast"].new == 7
    assert by_id["slow"].seconds > 2  # it really was slow (it times out)
    assert by_id["fast"].seconds < alone.seconds + 1.0


def test_robots_disallow_is_honoured(corpus_server):  # type: ignore[no-untyped-def]
    server = corpus_server("kabarkito", "t0")
    opts = FetchOptions(
        allow_private_networks=LOOPBACK,
        user_agent="syndicate/test (+http://example.org)",
        per_host_delay=0,
    )

    async def go() -> None:
        async with Fetcher(opts) as f:
            with pytest.raises(RobotsDisallowed):
                await f.get(server.base + "/search/label/Tomohon")
            ok = await f.get(server.base + "/")
            assert ok.status == 200

    asyncio.run(go())
    server.stop()
    log = server.access_log()
    assert "/robots.txt" in log
    assert "/search/label" not in log  # never requested


def test_body_cap_and_total_timeout(corpus_server):  # type: ignore[no-untyped-def]
    server = corpus_server("detailnews", "t0", "--quiet")
    drip = corpus_server(
        "detailnews", "t0", "--quiet", "--slow-body", "--drip-bytes", "64", "--drip-ms", "100"
    )

    async def go() -> None:
        async with Fetcher(
            FetchOptions(
                allow_private_networks=LOOPBACK,
                user_agent="t/1",
                per_host_delay=0,
                max_body_bytes=5000,
            )
        ) as f:
            with pytest.raises(FetchError, match="cap"):
                await f.get(server.base + "/")
        async with Fetcher(
            FetchOptions(
                allow_private_networks=LOOPBACK,
                user_agent="t/1",
                per_host_delay=0,
                total_timeout=1.0,
                respect_robots=False,
            )
        ) as f:
            with pytest.raises(FetchError, match="timed out"):
                await f.get(drip.base + "/")

    asyncio.run(go())


def test_per_host_delay_spaces_requests(corpus_server):  # type: ignore[no-untyped-def]
    server = corpus_server("detailnews", "t0", "--quiet")

    async def go() -> float:
        opts = FetchOptions(
            allow_private_networks=LOOPBACK,
            user_agent="t/1",
            per_host_delay=0.2,
            respect_robots=False,
        )
        async with Fetcher(opts) as f:
            loop = asyncio.get_running_loop()
            start = loop.time()
            await asyncio.gather(
                *(f.get(server.base + "/robots.txt", conditional=False) for _ in range(5))
            )
            return loop.time() - start

    assert asyncio.run(go()) >= 0.8  # 5 starts, 0.2 s apart, even though they were sent at once


def test_wrong_charset_header_is_not_believed(corpus_server):  # type: ignore[no-untyped-def]
    server = corpus_server("detailnews", "t0", "--quiet", "--wrong-charset")

    async def go() -> str:
        async with Fetcher(
            FetchOptions(allow_private_networks=LOOPBACK, user_agent="t/1", per_host_delay=0)
        ) as f:
            resp = await f.get(server.base + "/")
            assert resp.charset == "windows-1252"
            return resp.text

    text = asyncio.run(go())
    assert "—" in text and "â€" not in text
