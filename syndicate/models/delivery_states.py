"""The delivery lifecycle, declared once as a state graph (as Takahē's stator does).

A delivery is one activity for one inbox (a row of ap_deliveries). It is born `pending`; each
attempt, or something we learn meanwhile, is a trigger; `GRAPH` says where each trigger takes
it; `RETRY` says when a pending delivery is tried again and when we give up. `transition()` is
the one pure function that turns an attempt into the next state; the store only persists what
it returns, and applies the same graph to the rows it changes in bulk (withdrawn articles, a
gone inbox). A server that keeps failing has its queue held (`SERVER_HOLD`). The intervals
are syndicate.backoff schedules.

    pending --accepted--> done          (2xx)
    pending --inbox_gone--> gone        (404/410 here, or for another row to the same inbox)
    pending --refused--> dead           (another 4xx: the server refuses this activity)
    pending --failed--> pending         (network error, 5xx, 401/408/429: retry later)
    pending --expired--> dead           (still failing at the give-up time)
    pending --withdrawn--> canceled     (the article was removed before this copy was sent)
    done, gone, dead, canceled: final
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from syndicate import backoff
from syndicate.backoff import Backoff
from syndicate.models.federation import DeliveryJob, DeliveryOutcome


class DeliveryState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    GONE = "gone"
    DEAD = "dead"
    CANCELLED = "canceled"  # ap_deliveries.status holds at most 8 characters


class Trigger(StrEnum):
    ACCEPTED = "accepted"
    INBOX_GONE = "inbox_gone"
    REFUSED = "refused"
    FAILED = "failed"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class State:
    final: bool  # a final row gets finished_at and is never claimed again
    transitions: Mapping[Trigger, DeliveryState]


PENDING, DONE, GONE, DEAD, CANCELLED = DeliveryState  # the names the store and workers use

GRAPH: Mapping[DeliveryState, State] = {
    PENDING: State(
        final=False,
        transitions={
            Trigger.ACCEPTED: DONE,
            Trigger.INBOX_GONE: GONE,
            Trigger.REFUSED: DEAD,
            Trigger.FAILED: PENDING,
            Trigger.EXPIRED: DEAD,
            Trigger.WITHDRAWN: CANCELLED,
        },
    ),
    DONE: State(final=True, transitions={}),
    GONE: State(final=True, transitions={}),
    DEAD: State(final=True, transitions={}),
    CANCELLED: State(final=True, transitions={}),
}


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When a pending delivery is tried again (`interval` after n failed attempts: 1 min,
    doubling, at most 12 h, ±10 %) and when we give up (Mastodon also retries for days)."""

    interval: Backoff = backoff.DELIVERY
    give_up: timedelta = timedelta(days=3)


RETRY = RetryPolicy()
# A server failing `first` times in a row is marked unavailable: its queue is held and it is
# probed every 5 min, doubling to at most 6 h, until it answers (or talks to our inbox).
SERVER_HOLD: Backoff = backoff.SERVER


class InvalidTransition(ValueError):
    pass


def target(state: str, trigger: Trigger) -> DeliveryState:
    """Where `trigger` takes a delivery in `state`; an undeclared move is a bug, refused."""
    try:
        return GRAPH[DeliveryState(state)].transitions[trigger]
    except (KeyError, ValueError):
        raise InvalidTransition(f"no transition from {state!r} on {trigger}") from None


def is_final(state: str) -> bool:
    return GRAPH[DeliveryState(state)].final


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """How long a delivery waits after `attempts` failed attempts."""
    return RETRY.interval.delay(max(attempts, 1), rng)


def server_backoff(failures: int) -> timedelta | None:
    """How long to hold a server's queue after `failures` failures in a row (None: not held)."""
    return SERVER_HOLD.delay(failures) if failures >= SERVER_HOLD.first else None


def trigger_for(status: int | None) -> Trigger:
    """What an inbox's answer (None: no answer) means for the delivery, before the give-up time.
    Like Mastodon: other 4xx are final; 401 (often a stale key cache there), 408, 429 are not."""
    if status is not None and 200 <= status < 300:
        return Trigger.ACCEPTED
    if status in (404, 410):
        return Trigger.INBOX_GONE
    if status is not None and 400 <= status < 500 and status not in (401, 408, 429):
        return Trigger.REFUSED
    return Trigger.FAILED


def transition(
    job: DeliveryJob,
    status: int | None,
    error: str | None,
    now: datetime,
    signature: str | None = None,
) -> DeliveryOutcome:
    """The next state of a claimed (pending) delivery after one attempt, when to try again, and
    what the answer says about the server's health. Pure: the store persists the result."""
    attempts = job.attempts + 1
    trigger = trigger_for(status)
    if trigger is Trigger.FAILED and now - job.created_at >= RETRY.give_up:
        trigger = Trigger.EXPIRED
    o = DeliveryOutcome(
        id=job.id,
        lease_token=job.lease_token,
        host=job.host,
        inbox=job.inbox,
        status=target(PENDING, trigger),
        attempts=attempts,
        last_status=status,
        last_error=None if trigger is Trigger.ACCEPTED else error,
        signature=signature,
    )
    if trigger is Trigger.ACCEPTED:
        # A known-healthy server that took the same signature needs no bookkeeping write.
        healthy = job.server_healthy and signature in (None, job.signature)
        o.server_ok = None if healthy else True
    elif trigger in (Trigger.INBOX_GONE, Trigger.REFUSED):
        o.server_ok = True  # the server answered; this inbox or activity is the problem
    else:
        o.server_ok = None if status in (401, 429) else False  # alive, just not taking it now
    if o.status == PENDING:
        retry_at = now + retry_delay(attempts)
        # One last try at the give-up mark rather than none.
        o.next_attempt_at = min(retry_at, job.created_at + RETRY.give_up)
    return o
