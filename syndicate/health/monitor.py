"""The runner's hook: record one pass, work out the source's state, announce changes once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from syndicate.config import Settings, SourceSettings
from syndicate.health.classify import failure_kind, failure_state
from syndicate.health.drift import drift_reasons, has_evidence, measure
from syndicate.models import Entry, PassResult, SourceState
from syndicate.models.health import HealthPass, HealthState
from syndicate.store import Store

log = logging.getLogger("syndicate.health")

WINDOW = timedelta(days=30)
HISTORY = 500  # passes of the window drift compares with


def assess(
    result: PassResult,
    failure: BaseException | None,
    entries: Iterable[Entry],
    listed: int | None,
    consecutive_failures: int,
    history: list[HealthPass],
    now: datetime,
    retry_after: float | None = None,
) -> HealthPass:
    """The health row for one pass, from its outcome and the source's recent history."""
    previous = history[-1] if history else None
    prev_state: HealthState = previous.state if previous else "new"
    row = HealthPass(source_id=result.source_id, at=now, state="ok", retry_after=retry_after)
    if result.failed:
        row.kind = failure_kind(failure)
        row.detail = result.error
        row.state = failure_state(row.kind, consecutive_failures, prev_state)
        return row
    row.listed = listed
    measure(row, entries)
    reasons = drift_reasons(row, history)
    if reasons:
        row.state, row.kind = "drift", reasons[0][0]
        row.detail = "; ".join(text for _, text in reasons)
    elif previous is not None and previous.state == "drift" and not has_evidence(row):
        # A quiet pass (304, nothing new) neither confirms nor clears a drift alarm.
        row.state, row.kind, row.detail = "drift", previous.kind, previous.detail
    return row


async def after_pass(
    settings: Settings,
    store: Store,
    source: SourceSettings,
    result: PassResult,
    failure: BaseException | None,
    entries: list[Entry],
    listed: int | None,
    state: SourceState,
    retry_after: float | None = None,
    run: Callable[..., Awaitable[Any]] = asyncio.to_thread,
) -> HealthPass:
    """Called by the ingest runner after every pass (never raises for health's own trouble).
    `run` runs a store call off the event loop (the runner passes its writer thread's)."""
    now = datetime.now(UTC)
    quiet = not result.failed and listed is None and not entries
    try:
        # A quiet pass (304, nothing yielded) is measured against nothing: only the latest
        # row (the state it carries on) is read, not the 30 days drift compares with.
        history = await run(store.health_passes, source.id, now - WINDOW, 1 if quiet else HISTORY)
        row = assess(
            result,
            failure,
            entries,
            listed,
            state.consecutive_failures,
            history,
            now,
            retry_after,
        )
        if not (quiet and history and _same(history[-1], row)):
            # A quiet pass that changes nothing is not written: a source answering 304 every
            # minute would otherwise fill its history (and the drift window) with empty rows.
            await run(store.add_health_pass, row)
    except Exception:  # health bookkeeping must never fail a pass
        log.exception("source %s: could not record health", source.id)
        return HealthPass(source_id=source.id, at=now, state="ok")
    before: HealthState = history[-1].state if history else "new"
    changed = row.state != before or (row.state != "ok" and row.kind != history[-1].kind)
    if changed and not (before == "new" and row.state == "ok"):  # a first good pass is no news
        await _announce(settings, source, row, before)
    return row


def _same(before: HealthPass, row: HealthPass) -> bool:
    """Whether a quiet pass's row says what the latest one already says."""
    return (before.state, before.kind, before.detail) == (row.state, row.kind, row.detail)


async def _announce(
    settings: Settings, source: SourceSettings, row: HealthPass, before: str
) -> None:
    """A state change: one log line (warning when it got worse), and the webhook if any.

    The webhook is awaited here (state changes are rare) so a one-shot `syndicate fetch` does
    not exit with the post still pending."""
    level = logging.INFO if row.state == "ok" else logging.WARNING
    log.log(
        level,
        "source %s: health %s -> %s%s",
        source.id,
        before,
        row.state,
        f" ({row.kind}: {row.detail})" if row.kind else "",
        extra={
            "ctx_event": "health",
            "ctx_source": source.id,
            "ctx_state": row.state,
            "ctx_previous": before,
            "ctx_kind": row.kind,
        },
    )
    if settings.health.webhook:
        await _post(settings, settings.health.webhook, payload(row, before))


def payload(row: HealthPass, before: str) -> dict[str, Any]:
    body = {k: v for k, v in asdict(row).items() if v is not None}
    body["at"] = row.at.isoformat(timespec="seconds")
    body["previous"] = before
    return body


async def _post(settings: Settings, url: str, body: dict[str, Any]) -> None:
    from syndicate.http import client_for

    try:
        async with client_for(settings, "webhook") as client:
            resp = await client.post(url, json=body)
        if resp.status_code >= 300:
            log.warning("health webhook %s answered HTTP %d", url, resp.status_code)
    except Exception as exc:  # an unreachable webhook is logged, never retried into a storm
        log.warning("health webhook %s failed: %s", url, exc)


def current(
    source_id: str, latest: dict[str, HealthPass], state: SourceState | None
) -> tuple[HealthState, str | None, str | None]:
    """(state, kind, operator detail) of a source now; from the source state when no pass was
    recorded yet (a database from before health tracking)."""
    row = latest.get(source_id)
    if row is not None:
        return row.state, row.kind, row.detail
    if state is None or state.last_fetch_at is None:
        return "new", None, None
    if (state.last_result or "").startswith("failed"):
        return "failing", None, state.last_error
    return "ok", None, None
