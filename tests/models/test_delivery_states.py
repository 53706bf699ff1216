"""The delivery state graph: declared moves only, the pure transition, and the store persisting
exactly what the graph says (real SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syndicate.models.delivery_states import (
    CANCELLED,
    DEAD,
    DONE,
    GONE,
    GRAPH,
    PENDING,
    RETRY,
    DeliveryState,
    InvalidTransition,
    Trigger,
    server_backoff,
    target,
    transition,
)
from syndicate.models.federation import DeliveryJob, NewActivity
from syndicate.store import open_store

NOW = datetime(2026, 1, 7, 9, 0, tzinfo=UTC)


def job(age: timedelta = timedelta(0), attempts: int = 0) -> DeliveryJob:
    return DeliveryJob(
        1, "a1", "src", "https://h.example/inbox", "h.example", attempts, NOW - age, "t", {}, None
    )


def test_every_state_is_declared_and_only_pending_moves() -> None:
    assert set(GRAPH) == set(DeliveryState)
    for state, spec in GRAPH.items():
        assert spec.final == (state is not PENDING)
        assert set(spec.transitions.values()) <= set(DeliveryState)
        assert not spec.final or not spec.transitions  # a final state has no way out
    with pytest.raises(InvalidTransition):
        target(DONE, Trigger.FAILED)  # a delivered post is never retried
    with pytest.raises(InvalidTransition):
        target("nonsense", Trigger.ACCEPTED)


@pytest.mark.parametrize(
    ("status", "state"),
    [(202, DONE), (404, GONE), (410, GONE), (400, DEAD), (403, DEAD), (401, PENDING)]
    + [(429, PENDING), (408, PENDING), (500, PENDING), (503, PENDING), (None, PENDING)],
)
def test_an_answer_moves_a_young_delivery_as_declared(status: int | None, state: str) -> None:
    o = transition(job(), status, None if status == 202 else "x", NOW)
    assert o.status == state and o.attempts == 1
    assert (o.next_attempt_at is not None) == (state == PENDING)


def test_retries_back_off_until_the_give_up_time_then_one_last_try_then_dead() -> None:
    waits = [transition(job(attempts=n), 503, "HTTP 503", NOW).next_attempt_at for n in range(6)]
    assert all(w is not None for w in waits)
    assert waits[0] - NOW < waits[3] - NOW < waits[5] - NOW  # type: ignore[operator]
    near = transition(job(age=RETRY.give_up - timedelta(minutes=1), attempts=12), 503, "x", NOW)
    assert near.status == PENDING
    assert near.next_attempt_at == NOW - (RETRY.give_up - timedelta(minutes=1)) + RETRY.give_up
    assert transition(job(age=RETRY.give_up, attempts=13), 503, "x", NOW).status == DEAD


def test_a_server_failing_for_weeks_is_held_at_the_cap() -> None:
    assert server_backoff(4) is None
    assert server_backoff(5) == timedelta(minutes=5)
    assert server_backoff(10_000) == timedelta(hours=6)


def test_the_store_persists_the_graph(db_url: str) -> None:
    store = open_store(db_url)
    try:
        inboxes = ["https://a.example/inbox", "https://b.example/inbox", "https://c.example/inbox"]
        act = NewActivity("act1", "src", "Create", {"id": "x"}, NOW, article_id="art1")
        assert store.add_activity(act, inboxes, now=NOW) == 3
        jobs = {j.inbox: j for j in store.claim_deliveries(10, timedelta(minutes=5), now=NOW)}
        outcomes = [
            transition(jobs[inboxes[0]], 202, None, NOW),
            transition(jobs[inboxes[1]], 410, "HTTP 410", NOW),
            transition(jobs[inboxes[2]], 503, "HTTP 503", NOW),
        ]
        store.finish_deliveries(outcomes, now=NOW)
        rows = {r["inbox"]: r for r in store.deliveries()}
        assert [rows[i]["status"] for i in inboxes] == [DONE, GONE, PENDING]
        # Final states are finished; the pending one waits for its retry time.
        assert rows[inboxes[0]]["finished_at"] is not None
        assert rows[inboxes[1]]["finished_at"] is not None
        assert rows[inboxes[2]]["finished_at"] is None
        assert rows[inboxes[2]]["next_attempt_at"] == outcomes[2].next_attempt_at
        assert store.claim_deliveries(10, timedelta(minutes=5), now=NOW) == []
        assert target(PENDING, Trigger.WITHDRAWN) == CANCELLED
    finally:
        store.close()
