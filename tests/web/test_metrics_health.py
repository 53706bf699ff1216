"""/metrics scraped over HTTP and parsed with prometheus_client's own parser; /healthz."""

from __future__ import annotations

import time

from prometheus_client.parser import text_string_to_metric_families
from webutil import (
    SOURCES,
    seed_newsroom,
    site_fixture,  # noqa: F401
)


def scrape(s) -> dict[tuple[str, tuple], float]:  # type: ignore[no-untyped-def]
    resp = s.server.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain; version=")
    out = {}
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(samples, name: str, **labels: str) -> float:  # type: ignore[no-untyped-def]
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_fetches_articles_feed_requests_and_304s(site, corpus_server) -> None:  # type: ignore[no-untyped-def]
    from syndicate.ingest.runner import make_fetcher, run_source

    corpus = corpus_server("kabarkito")
    sources = [
        {
            "id": "kabarkito",
            "name": "KabarKito",
            "url": corpus.base + "/",
            "kind": "feed",
            "feed_url": corpus.base + "/feeds/posts/default",
        },
        {"id": "down", "name": "Down", "url": "http://127.0.0.1:9/", "kind": "feed"},
    ]
    s = site(sources=sources, fetch={"timeout": "5s", "connect_timeout": "2s"})
    before = scrape(s)
    async with make_fetcher(s.settings, s.store) as fetcher:
        for src in s.settings.sources:
            await run_source(s.settings, src, s.store, fetcher)
        await run_source(s.settings, s.settings.sources[0], s.store, fetcher)  # 304 the second time
    etag = s.server.get("/feeds/kabarkito.atom").headers["etag"]
    assert s.server.get("/feeds/kabarkito.atom", headers={"If-None-Match": etag}).status_code == 304
    s.server.get("/feeds/nope.rss")
    after = scrape(s)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    stored = s.store.count_articles("kabarkito")
    assert stored > 0
    assert delta("syndicate_articles_ingested_total", source="kabarkito", change="new") == stored
    assert delta("syndicate_fetches_total", source="kabarkito", result="changed") == 1
    assert delta("syndicate_fetches_total", source="kabarkito", result="not_modified") == 1
    assert delta("syndicate_fetches_total", source="down", result="failed") == 1
    assert delta("syndicate_fetch_duration_seconds_count", source="kabarkito") == 2
    assert (
        delta("syndicate_feed_requests_total", feed="kabarkito", format="atom", status="200") == 1
    )
    assert (
        delta("syndicate_feed_requests_total", feed="kabarkito", format="atom", status="304") == 1
    )
    assert (
        delta("syndicate_feed_requests_total", feed="unknown", format="rss", status="404") == 1
    )  # one series for every unknown feed
    # Read from the database at scrape time.
    assert value(after, "syndicate_source_up", source="kabarkito") == 1
    assert value(after, "syndicate_source_up", source="down") == 0
    assert value(after, "syndicate_source_consecutive_failures", source="down") == 1
    assert value(after, "syndicate_source_articles", source="kabarkito") == stored
    assert (
        value(after, "syndicate_source_last_fetch_timestamp_seconds", source="kabarkito")
        > time.time() - 60
    )
    assert ("syndicate_delivery_queue_depth", ()) in after
    assert ("syndicate_delivery_queue_oldest_age_seconds", ()) in after
    assert ("process_resident_memory_bytes", ()) in after


def test_metrics_read_the_delivery_queue(site) -> None:  # type: ignore[no-untyped-def]
    s = site(sources=SOURCES, seed=seed_newsroom)
    if not hasattr(s.store, "add_activity"):
        return
    from datetime import UTC, datetime, timedelta

    from syndicate.models.federation import NewActivity

    for n in range(3):
        actor = f"https://m{n}.example/users/a"
        s.store.add_follower("detailnews", actor, f"{actor}/inbox", None, None)
    s.store.add_activity(
        NewActivity(
            id=f"{s.url}/activities/x",
            source_id="detailnews",
            type="Create",
            payload={},
            published=datetime.now(UTC),
        ),
        s.store.delivery_inboxes("detailnews"),
        now=datetime.now(UTC) - timedelta(minutes=10),
    )
    samples = scrape(s)
    assert value(samples, "syndicate_delivery_queue_depth") == 3
    assert 590 < value(samples, "syndicate_delivery_queue_oldest_age_seconds") < 700
    assert value(samples, "syndicate_deliveries_stored", status="pending") == 3
    assert value(samples, "syndicate_followers", source="detailnews") == 3


def test_healthz_fails_when_a_background_loop_stalls(site) -> None:  # type: ignore[no-untyped-def]
    s = site(sources=SOURCES, seed=seed_newsroom)
    state = s.app.state.syndicate
    state.beat("scheduler", 60)
    state.beat("delivery", 60)
    ok = s.server.get("/healthz")
    assert ok.status_code == 200 and ok.json()["status"] == "ok"
    state.heartbeats["delivery"] = time.monotonic() - 61  # the workers went quiet
    bad = s.server.get("/healthz")
    assert bad.status_code == 503
    assert bad.json()["stalled"] == ["delivery"]
    assert bad.json()["loops"]["delivery"]["seconds_since_beat"] >= 61
    samples = scrape(s)
    assert value(samples, "syndicate_heartbeat_age_seconds", loop="delivery") >= 61
