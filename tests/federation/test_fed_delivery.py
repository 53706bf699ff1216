# ruff: noqa: F811  (pytest fixtures imported from fedutil)
"""Delivery over real HTTP to remote servers on loopback, on SQLite and PostgreSQL:
fan-out per shared inbox, Create / Update / Delete, backfill, retries, pruning, claiming."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
from fedutil import instance, remote, remote_factory  # noqa: F401

from syndicate.models import Entry
from syndicate.models.delivery_states import (
    DONE,
    GONE,
    PENDING,
    retry_delay,
    server_backoff,
    transition,
)
from syndicate.models.federation import DeliveryJob, NewActivity
from syndicate.store import open_store

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def follow_all(instance, server, names: list[str]) -> None:
    for name in names:
        actor = server.add_actor(name)
        resp = await actor.post(
            f"{instance.base}/inbox",
            {
                "id": f"{actor.id}#f",
                "type": "Follow",
                "actor": actor.id,
                "object": instance.actor(),
            },
        )
        assert resp.status_code == 202
    await server.wait_for(len(names))  # the Accepts
    server.received.clear()


async def test_new_article_is_one_signed_create_per_shared_inbox(instance, remote_factory) -> None:
    mastodon = await remote_factory()  # has a shared inbox
    gts = await remote_factory(shared_inbox=False)  # every follower has its own inbox
    await follow_all(instance, mastodon, ["a", "b", "c"])
    await follow_all(instance, gts, ["d", "e"])
    article = instance.add_article(1)
    await instance.pump()
    [got] = await mastodon.wait_for(1)
    await gts.wait_for(2)
    await asyncio.sleep(0.3)
    assert len(mastodon.received) == 1 and got.path == "/inbox"  # 3 followers, 1 request
    assert sorted(r.path for r in gts.received) == ["/users/d/inbox", "/users/e/inbox"]
    for r in [*mastodon.received, *gts.received]:
        assert r.verified_owner == instance.actor()  # bovine checked signature and Digest
        # FEP-8fcf: the followers digest is signed along with the usual headers
        signed = 'headers="(request-target) host date digest collection-synchronization"'
        assert signed in r.headers["signature"]
    create = got.json
    assert create["type"] == "Create" and create["actor"] == instance.actor()
    note = create["object"]
    assert note["type"] == "Note"
    assert note["published"] == "2026-03-01T09:30:00Z"  # the article's time, not ours
    assert note["to"] == [PUBLIC] and note["cc"] == [f"{instance.actor()}/followers"]
    assert note["url"] == f"{instance.base}/articles/{article.id}"
    assert "<strong>Pemkot Bitung gelar rapat 1</strong>" in note["content"]
    assert 'href="https://detailnews.id/berita/1"' in note["content"]
    assert {"type": "Hashtag", "name": "#bitung", "href": f"{instance.base}/tags/bitung"} in note[
        "tag"
    ]
    assert note["attachment"][0]["mediaType"] == "image/png"
    assert "summary" not in note  # a summary on a Note is a content warning
    # the Create and the Note dereference to the same JSON
    async with httpx.AsyncClient() as c:
        r = await c.get(create["id"], headers={"Accept": "application/activity+json"})
        assert r.json() == create
        r = await c.get(note["id"], headers={"Accept": "application/activity+json"})
        assert {k: v for k, v in r.json().items() if k != "@context"} == note
    assert instance.store.delivery_counts() == {DONE: 3 + 2 + 3}  # 5 Accepts + 3 Creates


async def test_correction_is_an_update_and_removal_a_delete(instance, remote) -> None:
    await follow_all(instance, remote, ["a"])
    article = instance.add_article(1)
    await instance.pump()
    [create] = await remote.wait_for(1)
    # a correction: the source changed the headline
    instance.store.upsert_entry(
        "detailnews",
        Entry(
            url="https://detailnews.id/berita/1",
            title="Pemkot Bitung gelar rapat banjir (ralat)",
            summary="Ralat.",
            content_text="Ralat.",
            published=article.published,
        ),
    )
    await instance.pump()
    await remote.wait_for(2)
    upd = remote.received[1].json
    assert upd["type"] == "Update" and upd["object"]["id"] == create.json["object"]["id"]
    assert "ralat" in upd["object"]["content"]
    assert upd["object"]["updated"] > upd["object"]["published"]
    assert remote.received[1].verified_owner == instance.actor()
    # the outbox shows the corrected text under the original Create
    async with httpx.AsyncClient() as c:
        page = (
            await c.get(
                f"{instance.actor()}/outbox?page=1", headers={"Accept": "application/activity+json"}
            )
        ).json()
    assert "ralat" in page["orderedItems"][0]["object"]["content"]
    # removal
    assert instance.store.record_missing(article.id, checks_needed=1)
    await instance.pump()
    await remote.wait_for(3)
    delete = remote.received[2].json
    assert delete["type"] == "Delete"
    assert delete["object"] == {
        "id": create.json["object"]["id"],
        "type": "Tombstone",
        "deleted": delete["object"]["deleted"],
    }
    async with httpx.AsyncClient() as c:
        r = await c.get(
            create.json["object"]["id"], headers={"Accept": "application/activity+json"}
        )
        assert r.status_code == 410 and r.json()["type"] == "Tombstone"
        r = await c.get(create.json["id"], headers={"Accept": "application/activity+json"})
        assert r.status_code == 410  # the Create no longer serves the withdrawn text
        page = (
            await c.get(
                f"{instance.actor()}/outbox", headers={"Accept": "application/activity+json"}
            )
        ).json()
        assert page["totalItems"] == 0


async def test_backfill_goes_to_the_outbox_only(instance, remote) -> None:
    await follow_all(instance, remote, ["a"])
    for n in range(3):
        instance.add_article(n, backfill=True, published=datetime(2026, 1, 1 + n, tzinfo=UTC))
    await instance.pump()
    await asyncio.sleep(0.5)
    assert remote.received == []
    async with httpx.AsyncClient() as c:
        outbox = (
            await c.get(
                f"{instance.actor()}/outbox", headers={"Accept": "application/activity+json"}
            )
        ).json()
        assert outbox["totalItems"] == 3
        page = (
            await c.get(outbox["first"], headers={"Accept": "application/activity+json"})
        ).json()
    published = [i["object"]["published"] for i in page["orderedItems"]]
    assert published == sorted(published, reverse=True)  # newest first
    assert all(i["type"] == "Create" for i in page["orderedItems"])


async def test_article_from_another_process_is_sent_by_the_running_poller(instance, remote) -> None:
    await follow_all(instance, remote, ["a"])
    other = open_store(
        instance.store.url
    )  # a separate `syndicate fetch` writes to the same database
    other.upsert_entry(
        "detailnews",
        Entry(url="https://detailnews.id/x", title="Kabar baru", published=datetime.now(UTC)),
    )
    other.close()
    [got] = await remote.wait_for(1, timeout=5)  # no pump(): the poller found it
    assert got.json["type"] == "Create"


async def test_a_gone_inbox_prunes_its_followers(instance, remote_factory) -> None:
    srv = await remote_factory(shared_inbox=False)
    await follow_all(instance, srv, ["a", "b"])
    srv.inbox_status = 410
    instance.add_article(1)
    await instance.pump()
    await srv.wait_for(2)
    for _ in range(50):
        if instance.store.follower_count("detailnews") == 0:
            break
        await asyncio.sleep(0.1)
    assert instance.store.follower_count("detailnews") == 0
    assert instance.store.delivery_counts().get(GONE) == 2


async def test_failing_server_is_retried_later_and_status_is_visible(instance, remote) -> None:
    await follow_all(instance, remote, ["a"])
    remote.inbox_status = 503
    instance.add_article(1)
    await instance.pump()
    await remote.wait_for(1)
    await asyncio.sleep(0.5)
    [row] = [d for d in instance.store.deliveries() if d["status"] == PENDING]
    assert row["attempts"] == 1 and row["last_error"] == "HTTP 503"
    assert row["next_attempt_at"] > datetime.now(UTC) + timedelta(seconds=40)
    [st] = instance.store.delivery_failures_by_server("detailnews")
    assert (
        st.failing_deliveries == 1 and st.consecutive_failures == 1 and st.last_error == "HTTP 503"
    )
    [inbox] = instance.store.inbox_status("detailnews")
    assert inbox.pending == 1 and inbox.failures == 1


def test_retry_policy() -> None:
    assert retry_delay(1) < retry_delay(2) < retry_delay(5)
    assert retry_delay(30) <= timedelta(hours=12) * 1.1  # capped (plus jitter)
    assert server_backoff(4) is None and server_backoff(5) == timedelta(minutes=5)
    now = datetime.now(UTC)
    job = DeliveryJob(
        1, "a", "s", "https://x/inbox", "x", 3, now - timedelta(days=3, minutes=1), "t", {}, None
    )
    assert transition(job, 500, "HTTP 500", now).status == "dead"  # three days are over
    young = DeliveryJob(1, "a", "s", "https://x/inbox", "x", 3, now, "t", {}, None)
    assert transition(young, 500, "HTTP 500", now).status == PENDING
    assert transition(young, 404, None, now).status == GONE
    assert transition(young, 400, None, now).status == "dead"
    assert transition(young, 429, None, now).status == PENDING
    assert transition(young, 401, None, now).status == PENDING  # as Mastodon: retried


# ---- claiming: several workers / processes on one database -----------------------------------


def _queue(store, n: int) -> None:  # type: ignore[no-untyped-def]
    act = NewActivity(
        id="act1",
        source_id="detailnews",
        type="Create",
        payload={"id": "x"},
        published=datetime.now(UTC),
    )
    store.add_activity(act, [f"https://h{i}.example/inbox" for i in range(n)])


def test_concurrent_claims_never_share_a_row(db_url: str) -> None:
    stores = [open_store(db_url) for _ in range(4)]
    _queue(stores[0], 200)
    claimed: list[list[int]] = [[] for _ in stores]

    async def claim_all(i: int) -> None:
        while True:
            jobs = await asyncio.to_thread(stores[i].claim_deliveries, 7, timedelta(minutes=1))
            if not jobs:
                return
            assert len(jobs) <= 7  # a claim takes no more than asked
            claimed[i].extend(j.id for j in jobs)

    async def main() -> None:
        await asyncio.gather(*(claim_all(i) for i in range(len(stores))))

    asyncio.run(main())
    ids = [i for c in claimed for i in c]
    assert len(ids) == 200 and len(set(ids)) == 200
    assert sum(1 for c in claimed if c) >= 2  # the work was really shared
    for s in stores:
        s.close()


def test_an_expired_lease_is_taken_over(db_url: str) -> None:
    a, b = open_store(db_url), open_store(db_url)
    _queue(a, 3)
    first = a.claim_deliveries(10, timedelta(seconds=30))
    assert len(first) == 3 and b.claim_deliveries(10, timedelta(seconds=30)) == []
    later = datetime.now(UTC) + timedelta(seconds=31)  # the first worker died
    again = b.claim_deliveries(10, timedelta(seconds=30), now=later)
    assert sorted(j.id for j in again) == sorted(j.id for j in first)
    # the dead worker's late report must not overwrite the new owner's row
    from syndicate.models.federation import DeliveryOutcome

    a.finish_deliveries(
        [DeliveryOutcome(first[0].id, first[0].lease_token, "h0.example", first[0].inbox, DONE, 1)],
        server_backoff=server_backoff,
    )
    row = next(d for d in a.deliveries() if d["id"] == first[0].id)
    assert row["status"] == PENDING and row["lease_token"] == again[0].lease_token
    a.close()
    b.close()


def test_finishing_a_batch_writes_results(db_url: str) -> None:
    s = open_store(db_url)
    _queue(s, 2)
    jobs = s.claim_deliveries(10, timedelta(seconds=30))
    now = datetime.now(UTC)
    outs = [
        transition(jobs[0], 202, None, now, "cavage"),
        transition(jobs[1], 503, "HTTP 503", now),
    ]
    s.finish_deliveries(outs, server_backoff=server_backoff)
    rows = {d["id"]: d for d in s.deliveries()}
    assert rows[jobs[0].id]["status"] == DONE and rows[jobs[0].id]["lease_token"] is None
    assert rows[jobs[1].id]["status"] == PENDING and rows[jobs[1].id]["attempts"] == 1
    assert s.claim_deliveries(10, timedelta(seconds=30)) == []  # not due yet
    s.close()


def test_a_batch_of_results_folds_each_servers_answers_in_order(db_url: str) -> None:
    from syndicate.store.tables import ap_servers

    s = open_store(db_url)
    act = NewActivity(
        id="act1",
        source_id="detailnews",
        type="Create",
        payload={"id": "x"},
        published=datetime.now(UTC),
    )
    inboxes = ["https://h.example/a", "https://h.example/b", "https://g.example/inbox"]
    s.add_activity(act, inboxes)
    with s.engine.begin() as conn:  # four failures already: the next one marks it unavailable
        conn.execute(ap_servers.insert().values(host="h.example", failures=4))
    jobs = {j.inbox: j for j in s.claim_deliveries(10, timedelta(seconds=30))}
    assert [j.payload for j in jobs.values()] == [{"id": "x"}] * 3
    now = datetime.now(UTC)
    s.finish_deliveries(
        [
            transition(jobs["https://h.example/a"], 503, "HTTP 503", now),  # 5th: marked
            transition(jobs["https://h.example/b"], 202, None, now, "cavage"),  # back: woken
            transition(jobs["https://g.example/inbox"], 202, None, now, "rfc9421"),  # first contact
        ],
        server_backoff=server_backoff,
        now=now,
    )
    with s.engine.connect() as conn:
        servers = {r.host: r for r in conn.execute(ap_servers.select())}
    h, g = servers["h.example"], servers["g.example"]
    assert (h.failures, h.retry_after, h.signature, h.last_error) == (0, None, "cavage", "HTTP 503")
    assert h.last_success_at is not None and h.last_failure_at is not None
    assert (g.failures, g.retry_after, g.signature) == (0, None, "rfc9421")
    rows = {d["inbox"]: d for d in s.deliveries()}
    assert rows["https://h.example/a"]["status"] == PENDING
    assert rows["https://h.example/a"]["next_attempt_at"] <= datetime.now(UTC)  # woken
    assert rows["https://h.example/b"]["status"] == DONE
    # Healthy servers come back as such on the next claim: no bookkeeping write needed.
    s.add_activity(
        NewActivity(
            id="act2", source_id="detailnews", type="Create", payload={"id": "y"}, published=now
        ),
        ["https://g.example/inbox"],
    )
    [job] = [j for j in s.claim_deliveries(10, timedelta(seconds=30)) if j.activity_id == "act2"]
    assert job.server_healthy and job.signature == "rfc9421"
    s.close()


def test_payload_round_trips_as_json(db_url: str) -> None:
    s = open_store(db_url)
    _queue(s, 1)
    [job] = s.claim_deliveries(1, timedelta(seconds=30))
    assert json.dumps(job.payload) == '{"id": "x"}'
    s.close()


async def test_an_unavailable_server_is_retried_as_soon_as_it_talks_to_us(instance, remote) -> None:
    await follow_all(instance, remote, ["a"])
    remote.inbox_status = 503
    instance.add_article(1)
    await instance.pump()
    await remote.wait_for(1)
    await asyncio.sleep(0.4)
    host = remote.base.removeprefix("http://")
    # Mark it as Mastodon would after many failures: nothing is tried before retry_after.
    from syndicate.store.tables import ap_servers

    with instance.store.engine.begin() as conn:
        conn.execute(
            ap_servers.update()
            .where(ap_servers.c.host == host)
            .values(failures=9, retry_after=datetime.now(UTC) + timedelta(hours=1))
        )
    remote.inbox_status = 202
    remote.received.clear()
    # The server sends us something signed (here a Like): its queue is tried again at once.
    a = remote.actors["a"]
    resp = await a.post(
        f"{instance.base}/inbox", {"id": f"{a.id}#x", "type": "Like", "actor": a.id, "object": "x"}
    )
    assert resp.status_code == 202
    instance.fed.wake()
    [got] = await remote.wait_for(1, timeout=5)
    assert got.json["type"] == "Create"
    [st] = instance.store.delivery_failures_by_server("detailnews")
    assert st.retry_after is None and st.consecutive_failures == 0
