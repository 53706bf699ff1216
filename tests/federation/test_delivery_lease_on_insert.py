"""A new activity's delivery rows can be inserted already leased to the worker that queued them
(no claim query between queueing and sending), and a burst bigger than a node's send queue is
sent without the claimer ever waiting for its idle timer."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

from conftest import free_port
from fedutil import running_instance, serve, stop_server
from sqlalchemy import event, insert, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syndicate.models.delivery_states import DONE
from syndicate.models.federation import LeaseOffer, NewActivity
from syndicate.publish.activitypub import delivery
from syndicate.store import open_store
from syndicate.store.tables import ap_deliveries, ap_servers


def _activity(n: int) -> NewActivity:
    return NewActivity(
        id=f"act{n}",
        source_id="detailnews",
        type="Create",
        payload={"id": f"https://ours.example/activities/{n}", "type": "Create"},
        published=datetime.now(UTC),
    )


def test_rows_offered_are_inserted_leased_and_the_rest_stay_claimable(db_url: str) -> None:
    store = open_store(db_url)
    try:
        for host in ("a", "b", "c", "held"):
            actor = f"https://{host}.example/users/u"
            store.add_follower("detailnews", actor, f"{actor}/inbox", None, None)
        now = datetime.now(UTC)
        with store.engine.begin() as conn:  # a server we treat as unavailable for an hour
            conn.execute(
                insert(ap_servers).values(
                    host="held.example", failures=5, retry_after=now + timedelta(hours=1)
                )
            )
        offer = LeaseOffer(secrets.token_hex(16), now + timedelta(minutes=2), rows=2)
        queued = store.add_event_activity(_activity(1), 1, cursor="delivery", offer=offer)
        assert queued.count == 4
        # The first two due inboxes, in order; the held server's row is never leased early.
        assert [j.inbox for j in queued.leased] == [
            "https://a.example/users/u/inbox",
            "https://b.example/users/u/inbox",
        ]
        with store.engine.connect() as conn:
            rows = {
                r.inbox: r
                for r in conn.execute(
                    select(ap_deliveries).where(ap_deliveries.c.activity_id == "act1")
                )
            }
        for job in queued.leased:
            assert rows[job.inbox].id == job.id
            assert rows[job.inbox].lease_token == offer.token
            assert job.payload["id"] == "https://ours.example/activities/1" and job.attempts == 0
        held = rows["https://held.example/users/u/inbox"]
        assert held.lease_token is None and held.next_attempt_at >= now + timedelta(minutes=59)
        # Another worker's claim gets only the due row nobody holds.
        claimed = store.claim_deliveries(10, timedelta(minutes=2))
        assert [j.inbox for j in claimed] == ["https://c.example/users/u/inbox"]
    finally:
        store.close()


def test_on_postgresql_queueing_is_one_statement_text_whatever_the_inbox_count(
    pg_url: str,
) -> None:
    """A multi-row VALUES has parameters per inbox and is parsed anew on every call; the rows
    go as arrays, so 3 and 60 inboxes run the same cached INSERT."""
    store = open_store(pg_url)
    inserts: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO AP_DELIVERIES"):
            inserts.append(statement)
            assert not executemany and len(parameters) <= 20, statement

    try:
        for n, count in ((1, 3), (2, 60)):
            for i in range(count):
                actor = f"https://h{n}-{i}.example/users/u"
                store.add_follower("detailnews", actor, f"{actor}/inbox", None, None)
            offer = LeaseOffer(secrets.token_hex(16), datetime.now(UTC) + timedelta(minutes=2), 5)
            event.listen(store.engine, "before_cursor_execute", keep)
            try:
                queued = store.add_event_activity(_activity(n), n, cursor="delivery", offer=offer)
            finally:
                event.remove(store.engine, "before_cursor_execute", keep)
            assert len(queued.leased) == 5 if n == 2 else len(queued.leased) == 3
        assert len(inserts) == 2 and inserts[0] == inserts[1]
        assert store.delivery_counts() == {"pending": 3 + 63}
    finally:
        store.close()


class Inbox:
    def __init__(self) -> None:
        self.port = free_port()
        self.posts = 0
        self.app = Starlette(routes=[Route("/users/{name}/inbox", self.inbox, methods=["POST"])])

    async def inbox(self, request: Request) -> Response:
        await request.body()
        self.posts += 1
        return Response(status_code=202)


async def test_a_burst_bigger_than_the_send_queue_needs_no_idle_timer(
    db_url, tmp_path, monkeypatch
) -> None:
    """A node holding one leased row at a time (1 worker x 1) sends 3 articles x 8 inboxes.
    The claimer used to wait for a wake while its queue was full (the wake had come and gone),
    and lost a wake that came during a claim; both stalled until its 1 s timer. With the timer
    at an hour, such a stall never ends."""
    monkeypatch.setattr(delivery, "PREFETCH", 1)
    monkeypatch.setattr(delivery, "IDLE_LOOK", 3600.0)
    remotes = [Inbox() for _ in range(2)]
    started = [await serve(r.app, r.port) for r in remotes]
    try:
        async with running_instance(db_url, tmp_path, workers=1) as inst:
            for r in remotes:
                for i in range(4):
                    actor = f"http://127.0.0.1:{r.port}/users/u{i}"
                    inst.store.add_follower("detailnews", actor, f"{actor}/inbox", None, None)
            for n in range(3):
                inst.add_article(n + 1)  # the event signal wakes the service's own poller
            for _ in range(600):
                if inst.store.delivery_counts().get(DONE, 0) == 24:
                    break
                await asyncio.sleep(0.05)
            assert inst.store.delivery_counts() == {DONE: 24}
    finally:
        for server, task in started:
            await stop_server(server, task)
    assert sum(r.posts for r in remotes) == 24
