"""Failure kinds and the health state a pass leaves a source in (pure functions)."""

from __future__ import annotations

import socket

import httpx

from syndicate.models.health import HealthState

# Site refuses automated reading: retrying as is will not help, the operator must act.
BLOCKING = frozenset({"bot_wall", "robots"})
# Often gone on the next try: one failure alone does not turn a working source "failing".
TRANSIENT = frozenset({"timeout", "connect", "http_5xx", "rate_limited"})
TRANSIENT_TOLERANCE = 2  # consecutive transient failures before the state turns failing


def failure_kind(exc: BaseException | None) -> str:
    """One machine-readable word for why a pass failed.

    The fetcher's FetchError carries its own `kind` (dns, timeout, connect, http_4xx, http_5xx,
    rate_limited, bot_wall, robots, too_large, blocked, protocol); other exceptions are classified
    here by class, without importing the ingest layer."""
    kind = getattr(exc, "kind", None)
    if isinstance(kind, str) and kind:
        return kind
    if exc is None:
        return "error"
    if type(exc).__name__ == "DiscoveryError":
        return "no_route"
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "timeout"
    if isinstance(exc, socket.gaierror):
        return "dns"
    if isinstance(exc, httpx.ConnectError | ConnectionError):
        return "connect"
    return "error"


def failure_state(kind: str, consecutive_failures: int, previous: HealthState) -> HealthState:
    """The state after a failed pass; `consecutive_failures` counts this one."""
    if kind in BLOCKING:
        return "blocked"
    if kind in TRANSIENT and consecutive_failures < TRANSIENT_TOLERANCE and previous != "new":
        return previous  # one timeout or 503 is weather, not news
    return "failing"
