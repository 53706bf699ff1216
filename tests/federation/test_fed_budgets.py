"""Federation budgets (issue 12): reactions are capped and one per actor, an activity id must be
on its sender's host, and old federation rows are pruned. Real HTTP on loopback; the store on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fedutil import instance, remote  # noqa: F401
from sqlalchemy import select

from syndicate.models.delivery_states import transition
from syndicate.models.federation import NewActivity, RemoteActor
from syndicate.publish.activitypub.delivery import prune
from syndicate.store import open_store
from syndicate.store.tables import ap_activities, ap_deliveries, ap_remote_actors

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


async def test_one_like_per_actor_and_emoji_are_short(instance, remote) -> None:  # noqa: F811
    alice = remote.add_actor("alice")
    article = instance.add_article()
    obj = f"{instance.actor()}/statuses/{article.id}"
    inbox = f"{instance.base}/inbox"
    for i in range(5):  # the same actor liking again under new ids
        like = {"id": f"{alice.id}#like{i}", "type": "Like", "actor": alice.id, "object": obj}
        assert (await alice.post(inbox, like)).status_code == 202
    huge = {"id": f"{alice.id}#big", "type": "Like", "actor": alice.id, "object": obj}
    huge["content"] = "x" * 100_000
    assert (await alice.post(inbox, huge)).status_code == 202
    for i in range(10):  # many different "emoji"
        emoji = {"id": f"{alice.id}#e{i}", "type": "EmojiReact", "actor": alice.id}
        emoji.update(object=obj, content=f":e{i}:")
        await alice.post(inbox, emoji)
    counts = instance.store.reaction_counts(article.id)
    assert counts == {"like": 1, "emoji": 5}
    # The kept like is the newest one, so its Undo removes it.
    undo = {"id": f"{alice.id}#u", "type": "Undo", "actor": alice.id}
    undo["object"] = {"id": f"{alice.id}#like4", "type": "Like"}
    await alice.post(inbox, undo)
    assert instance.store.reaction_counts(article.id).get("like", 0) == 0


async def test_an_activity_id_on_another_host_cannot_squat(instance, remote) -> None:  # noqa: F811
    mallory = remote.add_actor("mallory")
    article = instance.add_article()
    obj = f"{instance.actor()}/statuses/{article.id}"
    squat = {
        "id": "https://victim.example/likes/1",
        "type": "Like",
        "actor": mallory.id,
        "object": obj,
    }
    resp = await mallory.post(f"{instance.base}/inbox", squat)
    assert resp.status_code == 202
    assert instance.store.reaction_counts(article.id) == {}


def test_old_federation_rows_are_pruned(db_url: str) -> None:
    store = open_store(db_url)
    try:
        old, recent = NOW - timedelta(days=200), NOW - timedelta(days=1)
        # Our Create stays (the outbox); an old Accept with every copy sent goes; an old
        # Update still being delivered stays.
        for aid, kind in (("create1", "Create"), ("accept1", "Accept"), ("update1", "Update")):
            store.add_activity(NewActivity(aid, "src", kind, {"id": aid}, old), now=old)
        store.add_activity(
            NewActivity("update1b", "src", "Update", {"id": "u"}, old),
            ["https://busy.example/inbox"],
            now=old,
        )
        store.add_activity(
            NewActivity("create2", "src", "Create", {"id": "c2"}, recent),
            ["https://a.example/inbox", "https://b.example/inbox"],
            now=old,
        )
        jobs = store.claim_deliveries(10, timedelta(minutes=5), now=old)
        done = [transition(j, 202, None, old) for j in jobs if j.activity_id == "create2"]
        store.finish_deliveries(done, now=old)
        store.add_activity(
            NewActivity("create3", "src", "Create", {"id": "c3"}, recent),
            ["https://a.example/inbox"],
            now=recent,
        )
        jobs = store.claim_deliveries(10, timedelta(minutes=5), now=recent)
        store.finish_deliveries(
            [transition(j, 202, None, recent) for j in jobs if j.activity_id == "create3"],
            now=recent,
        )
        # Remote actors: an old follower stays, an old stranger goes, a fresh stranger stays.
        for name, fetched in (("follower", old), ("stranger", old), ("fresh", recent)):
            actor = f"https://r.example/users/{name}"
            store.save_remote_actor(
                RemoteActor(actor, f"{actor}#main-key", "PEM", f"{actor}/inbox", None, fetched)
            )
        store.add_follower(
            "src", "https://r.example/users/follower", "https://r.example/inbox", None, None
        )

        gone = prune(store, NOW)

        assert gone == {"deliveries": 2, "remote_actors": 1, "activities": 2}
        with store.engine.connect() as conn:
            acts = set(conn.execute(select(ap_activities.c.id)).scalars())
            rows = conn.execute(select(ap_deliveries.c.activity_id, ap_deliveries.c.status))
            left = sorted((r.activity_id, r.status) for r in rows)
            actors = set(conn.execute(select(ap_remote_actors.c.actor_id)).scalars())
        assert acts == {"create1", "create2", "create3", "update1b"}
        assert left == [("create3", "done"), ("update1b", "pending")]
        assert actors == {"https://r.example/users/follower", "https://r.example/users/fresh"}
    finally:
        store.close()


async def test_fresh_key_ids_cannot_make_us_send_unlimited_signed_gets(instance, remote) -> None:  # noqa: F811
    from syndicate.publish.activitypub.remote import KEY_FETCHES_PER_HOST_MINUTE

    alice = remote.add_actor("alice")
    follow = {"type": "Follow", "actor": alice.id, "object": instance.actor()}
    statuses = []
    for i in range(KEY_FETCHES_PER_HOST_MINUTE + 20):  # each names a keyId never seen before
        key_id = f"{remote.base}/users/ghost{i}#main-key"
        resp = await alice.post(
            f"{instance.base}/inbox", {**follow, "id": f"{alice.id}#f{i}"}, key_id=key_id
        )
        statuses.append(resp.status_code)
    fetched = len(remote.key_fetches)
    assert fetched <= KEY_FETCHES_PER_HOST_MINUTE  # (was one GET per POST)
    assert statuses.count(401) == fetched and statuses.count(503) == len(statuses) - fetched
    # A keyId that failed is answered from memory: no second GET for it.
    again = await alice.post(
        f"{instance.base}/inbox",
        {**follow, "id": f"{alice.id}#again"},
        key_id=f"{remote.base}/users/ghost0#main-key",
    )
    assert again.status_code == 401 and len(remote.key_fetches) == fetched
    assert instance.store.follower_count() == 0
