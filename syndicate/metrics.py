"""Process-wide Prometheus counters. Bottom layer: ingest, publish and web import it, it imports nothing of ours.

Counters live here so a one-line call records an event where it happens; values that already live in
the database (queue depth, source health) are read at scrape time by syndicate.web.metrics instead.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)

from syndicate.models import PassResult

# Our own registry (plus process stats) so tests and several apps in one process never clash
# with libraries that register on the global default registry.
disable_created_metrics()  # the *_created series double the output and no dashboard uses them
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

FETCHES = Counter(
    "syndicate_fetches",
    "Ingest passes by source and result (new, unchanged, not_modified, failed).",
    ["source", "result"],
    registry=REGISTRY,
)
FETCH_SECONDS = Histogram(
    "syndicate_fetch_duration_seconds",
    "Time one ingest pass over a source took.",
    ["source"],
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
    registry=REGISTRY,
)
ARTICLES = Counter(
    "syndicate_articles_ingested",
    "Articles stored by ingest, by source and change (new, updated).",
    ["source", "change"],
    registry=REGISTRY,
)
EXTRACTION_FAILURES = Counter(
    "syndicate_extraction_failures",
    "Pages an ingest route fetched but could not turn into an article.",
    ["source"],
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "syndicate_deliveries",
    "ActivityPub deliveries by result (delivered, failed, retry, gone).",
    ["result"],
    registry=REGISTRY,
)
FEED_REQUESTS = Counter(
    "syndicate_feed_requests",
    "Feed requests by feed kind, format and HTTP status (304 = reader's copy was current).",
    ["feed", "format", "status"],
    registry=REGISTRY,
)
WEBSUB_PINGS = Counter(
    "syndicate_websub_pings",
    "WebSub publish pings sent to the hub, by result (ok, failed).",
    ["result"],
    registry=REGISTRY,
)


def fetch_result_label(summary: str) -> str:
    """A small fixed label set from a pass summary ("new 2, updated 1", "unchanged (304)", "failed: …")."""
    if summary.startswith("failed"):
        return "failed"
    if "304" in summary:
        return "not_modified"
    if summary.startswith("unchanged"):
        return "unchanged"
    return "changed"


def record_pass(result: PassResult, summary: str | None = None) -> None:
    """One ingest pass ended: count it, its duration and what it stored."""
    source = result.source_id
    FETCHES.labels(source, fetch_result_label(summary or result.summary())).inc()
    FETCH_SECONDS.labels(source).observe(result.seconds)
    if result.new:
        ARTICLES.labels(source, "new").inc(result.new)
    if result.updated:
        ARTICLES.labels(source, "updated").inc(result.updated)


def feed_label(key: str) -> str:
    # Tag feeds are unbounded in number: one label for all of them keeps the series count small.
    return "tag" if key.startswith("tag/") else key


def record_feed_request(key: str, fmt: str, status: int) -> None:
    FEED_REQUESTS.labels(feed_label(key), fmt, str(status)).inc()


def record_delivery(result: str) -> None:
    DELIVERIES.labels(result).inc()


def record_extraction_failure(source: str) -> None:
    EXTRACTION_FAILURES.labels(source).inc()
