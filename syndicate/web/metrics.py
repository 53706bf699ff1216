"""GET /metrics: the process counters (syndicate.metrics) plus gauges read from the database at
scrape time (source health, followers, delivery queue), so they are right even when another
process (a cron `syndicate fetch`) did the work."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syndicate import metrics
from syndicate.health.monitor import current as current_health
from syndicate.models.health import HEALTH_STATES
from syndicate.web.state import AppState


def _ts(dt: datetime | None) -> float:
    return dt.timestamp() if dt else 0.0


def queue_stats(store: Any) -> tuple[int, float] | None:
    """(pending deliveries, seconds the oldest has waited); None without a delivery queue."""
    fn = getattr(store, "delivery_queue_stats", None)
    if fn is not None:  # the federation store's own query, if it grows one
        depth, oldest = fn()
        return int(depth), _age(oldest)
    from sqlalchemy import func, select

    from syndicate.store.tables import ap_deliveries as d

    with store.engine.connect() as conn:
        depth, oldest = conn.execute(
            select(func.count(), func.min(d.c.created_at)).where(d.c.status == "pending")
        ).one()
    return int(depth), _age(oldest)


def _age(oldest: datetime | float | None) -> float:
    if isinstance(oldest, datetime):
        if oldest.tzinfo is None:  # SQLite hands back naive UTC from an aggregate
            oldest = oldest.replace(tzinfo=UTC)
        return max(0.0, (datetime.now(UTC) - oldest).total_seconds())
    return float(oldest or 0.0)


def _delivery_counts(store: Any) -> dict[str, int]:
    fn = getattr(store, "delivery_counts", None)
    return dict(fn()) if fn is not None else {}


class StateCollector(Collector):
    """Reads the database on each scrape; never raises (a broken scrape hides every metric)."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        state = self.state
        store = state.store
        up = GaugeMetricFamily(
            "syndicate_source_up", "1 when the last pass over a source worked.", labels=["source"]
        )
        fails = GaugeMetricFamily(
            "syndicate_source_consecutive_failures",
            "Failed passes in a row.",
            labels=["source"],
        )
        last = GaugeMetricFamily(
            "syndicate_source_last_fetch_timestamp_seconds",
            "When a source was last polled (Unix time).",
            labels=["source"],
        )
        ok = GaugeMetricFamily(
            "syndicate_source_last_success_timestamp_seconds",
            "When a pass over a source last worked (Unix time).",
            labels=["source"],
        )
        count = GaugeMetricFamily(
            "syndicate_source_articles", "Active articles stored per source.", labels=["source"]
        )
        followers = GaugeMetricFamily(
            "syndicate_followers", "Fediverse followers per source actor.", labels=["source"]
        )
        health = GaugeMetricFamily(
            "syndicate_source_health",
            "1 for the state a source is in (ok, drift, failing, blocked, new), 0 for the others.",
            labels=["source", "state"],
        )
        try:
            states = store.all_source_states()
            latest = store.latest_health()
            for src in state.settings.sources:
                if not src.enabled:
                    continue
                s = states.get(src.id)
                now_state = current_health(src.id, latest, s)[0]
                for health_state in HEALTH_STATES:
                    health.add_metric(
                        [src.id, health_state], 1.0 if health_state == now_state else 0.0
                    )
                failing = bool(s and s.last_result and s.last_result.startswith("failed"))
                up.add_metric([src.id], 0.0 if failing or s is None else 1.0)
                fails.add_metric([src.id], s.consecutive_failures if s else 0)
                last.add_metric([src.id], _ts(s.last_fetch_at if s else None))
                ok.add_metric([src.id], _ts(s.last_success_at if s else None))
                count.add_metric([src.id], store.count_articles(src.id))
                followers.add_metric([src.id], store.follower_count(src.id))
        except Exception:  # a missing table must not hide the process counters
            pass
        yield from (up, fails, last, ok, count, followers, health)
        depth = GaugeMetricFamily(
            "syndicate_delivery_queue_depth", "ActivityPub deliveries waiting to be sent."
        )
        age = GaugeMetricFamily(
            "syndicate_delivery_queue_oldest_age_seconds",
            "How long the oldest waiting delivery has waited.",
        )
        try:
            stats = queue_stats(store)
        except Exception:
            stats = None
        if stats is not None:
            depth.add_metric([], stats[0])
            age.add_metric([], stats[1])
            yield depth
            yield age
        by_status = GaugeMetricFamily(
            "syndicate_deliveries_stored",
            "Deliveries in the database by status (pending, done, gone, dead).",
            labels=["status"],
        )
        try:
            for status, n in sorted(_delivery_counts(store).items()):
                by_status.add_metric([status], n)
        except Exception:
            pass
        yield by_status
        beat = GaugeMetricFamily(
            "syndicate_heartbeat_age_seconds",
            "Seconds since each background loop last reported (see /healthz).",
            labels=["loop"],
        )
        now = time.monotonic()
        for name, t in state.heartbeats.items():
            beat.add_metric([name], now - t)
        yield beat


def exposition(state: AppState) -> bytes:
    """The full /metrics body: process counters, then scrape-time gauges."""
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(StateCollector(state))
    return generate_latest(metrics.REGISTRY) + generate_latest(scrape)


def metrics_endpoint(request: Request) -> Response:  # thread pool: it reads the database
    state: AppState = request.app.state.syndicate
    return Response(
        exposition(state),
        media_type=CONTENT_TYPE_LATEST,
        headers={"Cache-Control": "no-store"},
    )


routes = [Route("/metrics", metrics_endpoint)]
