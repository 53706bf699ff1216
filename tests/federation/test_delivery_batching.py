"""Fan-out costs per batch, not per delivery (bench/fanout.py measures the speed; these count the
work that made it slow): SQL statements per claim and per write-back, one followers read per
burst for FEP-8fcf digests, and sending that starts with the first article of a batch."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from fedutil import make_settings
from sqlalchemy import Engine, event

from syndicate.models.delivery_states import DONE, transition
from syndicate.models.federation import DeliveryJob, NewActivity
from syndicate.publish.activitypub.delivery import process_events
from syndicate.publish.activitypub.federation import Federation
from syndicate.store import Store, open_store

HOSTS, PER_HOST = 4, 16  # one activity to 64 inboxes on 4 servers


@contextlib.contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The statements the database runs meanwhile, by their first words (an executemany runs
    one per parameter set)."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        runs = len(parameters) if executemany else 1
        seen.extend([" ".join(statement.split()[:3]).upper()] * runs)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _queue(store: Store) -> None:
    act = NewActivity(
        id="act1", source_id="detailnews", type="Create", payload={"id": "x"}, published=_now()
    )
    inboxes = [f"https://h{h}.example/u{i}/inbox" for h in range(HOSTS) for i in range(PER_HOST)]
    store.add_activity(act, inboxes)


def _now() -> datetime:
    return datetime.now(UTC)


def test_a_claim_and_its_write_back_are_a_few_statements(db_url: str) -> None:
    store = open_store(db_url)
    try:
        _queue(store)
        with statements(store.engine) as claim:
            jobs = store.claim_deliveries(HOSTS * PER_HOST, timedelta(minutes=1))
        assert len(jobs) == HOSTS * PER_HOST
        # the lease (one UPDATE … RETURNING, on PostgreSQL too), the payload, server health
        assert len(claim) == 3 and claim[0].startswith(("UPDATE", "WITH")), claim
        now = _now()
        outcomes = [transition(j, 202, None, now) for j in jobs]
        with statements(store.engine) as finish:
            store.finish_deliveries(outcomes, now=now)
        # one UPDATE for the batch (same lease, same answer), then the servers' first contact
        assert [s for s in finish if "AP_DELIVERIES" in s] == ["UPDATE AP_DELIVERIES SET"], finish
        assert len(finish) <= 1 + 3 * HOSTS, finish
        assert store.delivery_counts() == {DONE: HOSTS * PER_HOST}
        assert all(d["attempts"] == 1 and d["last_status"] == 202 for d in store.deliveries())
    finally:
        store.close()


def test_a_batched_write_back_keeps_each_rows_answer_and_lease(db_url: str) -> None:
    store = open_store(db_url)
    try:
        _queue(store)
        first = store.claim_deliveries(10, timedelta(seconds=30))
        later = _now() + timedelta(seconds=31)  # the first worker's lease ran out
        second = store.claim_deliveries(HOSTS * PER_HOST, timedelta(seconds=30), now=later)
        assert {j.id for j in first} <= {j.id for j in second}
        now = _now()
        stale = [transition(j, 202, None, now) for j in first]  # the old owner reports late
        fresh = [transition(j, 200 if j.id % 2 else 201, None, now) for j in second[10:]]
        store.finish_deliveries(stale + fresh, now=now)
        rows = {d["id"]: d for d in store.deliveries()}
        for j in first:  # not overwritten: still leased by the new owner
            assert rows[j.id]["status"] == "pending" and rows[j.id]["lease_token"] is not None
        for j in second[10:]:
            assert rows[j.id]["status"] == DONE
            assert rows[j.id]["last_status"] == (200 if j.id % 2 else 201)
    finally:
        store.close()


def _federation(db_url: str, tmp_path: Any) -> tuple[Federation, Store]:
    store = open_store(db_url)
    settings = make_settings("http://127.0.0.1:9", tmp_path, db_url)
    state = SimpleNamespace(settings=settings, store=store, federation=None, node="test")
    return Federation(state), store


async def test_a_burst_reads_the_followers_once_for_their_digests(db_url, tmp_path) -> None:
    fed, store = _federation(db_url, tmp_path)
    try:
        for h in range(HOSTS):
            for i in range(PER_HOST):
                actor = f"https://h{h}.example/users/u{i}"
                store.add_follower("detailnews", actor, f"{actor}/inbox", None, None)
        reads = []
        followers = store.followers
        store.followers = lambda sid: reads.append(sid) or followers(sid)  # type: ignore[method-assign]
        to = [fed.urls.collection("detailnews", "followers")]
        jobs = [
            DeliveryJob(
                id=n,
                activity_id="a",
                source_id="detailnews",
                inbox=f"https://h{n % HOSTS}.example/inbox",
                host=f"h{n % HOSTS}.example",
                attempts=0,
                created_at=_now(),
                lease_token="t",
                payload={"to": to},
                signature=None,
            )
            for n in range(16)
        ]
        headers = await asyncio.gather(*(fed.followers_sync(j) for j in jobs))  # all at once
        assert reads == ["detailnews"]
        assert all(h and h["Collection-Synchronization"] for h in headers)
        assert headers[0] == headers[HOSTS] != headers[1]  # a digest per server
    finally:
        await fed.aclose()
        store.close()


def test_sending_may_start_when_the_first_event_is_queued(db_url, tmp_path) -> None:
    from syndicate.models import Entry

    fed, store = _federation(db_url, tmp_path)
    try:
        store.add_follower(
            "detailnews", "https://h.example/u", "https://h.example/u/inbox", None, None
        )
        process_events(fed)  # nothing yet: the cursor starts here
        for n in range(3):
            store.upsert_entry(
                "detailnews",
                Entry(url=f"https://detailnews.id/{n}", title=f"Kabar {n}", published=_now()),
            )
        pending: list[int] = []
        events, queued = process_events(
            fed,
            on_queued=lambda _leased, _left: pending.append(
                store.delivery_counts().get("pending", 0)
            ),
        )
        assert (events, queued) == (3, 3)
        assert pending == [1, 2, 3]  # each event's rows were claimable before the next one
    finally:
        asyncio.run(fed.aclose())
        store.close()


def test_on_postgresql_a_batch_is_the_same_statement_whatever_its_size(pg_url: str) -> None:
    """psycopg parses a statement with more than 50 parameters anew on every call; a batch's
    ids and hosts go as one array parameter, so each statement's text is cached once."""
    store = open_store(pg_url)
    texts: list[set[str]] = []
    try:
        _queue(store)
        for size in (HOSTS * PER_HOST - 3, 3):
            seen: set[str] = set()

            def keep(conn, cursor, statement, parameters, context, executemany, seen=seen) -> None:  # type: ignore[no-untyped-def]
                seen.add(statement)
                assert executemany or len(parameters) <= 50, statement

            event.listen(store.engine, "before_cursor_execute", keep)
            try:
                jobs = store.claim_deliveries(size, timedelta(minutes=1))
                now = _now()
                store.finish_deliveries([transition(j, 202, None, now) for j in jobs], now=now)
            finally:
                event.remove(store.engine, "before_cursor_execute", keep)
            assert len(jobs) == size
            texts.append({t for t in seen if "ap_deliveries" in t or "ap_servers" in t})
        assert texts[0] >= texts[1] - {t for t in texts[1] if "INSERT" in t}, texts
        assert store.delivery_counts() == {DONE: HOSTS * PER_HOST}
    finally:
        store.close()


def test_a_body_is_hashed_once_and_signed_as_if_hashed_per_request() -> None:
    from syndicate.publish.activitypub.delivery import Body
    from syndicate.publish.activitypub.signatures import generate_key, sign_cavage, sign_rfc9421

    private, _ = generate_key()
    body = Body.of({"id": "https://example.test/a", "content": "Kabar Bitung"})
    now = _now()
    for sign in (sign_cavage, sign_rfc9421):
        fresh = sign(private, "k", "POST", "https://h.example/inbox", body.data, now=now)
        shared = sign(
            private, "k", "POST", "https://h.example/inbox", body.data, now=now, sha256=body.sha256
        )
        assert shared == fresh
