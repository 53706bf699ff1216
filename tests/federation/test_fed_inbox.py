# ruff: noqa: F811  (pytest fixtures imported from fedutil)
"""The inbox over real HTTP: a remote server on loopback follows, unfollows, likes and deletes;
every Accept we send is checked with bovine's SignatureChecker, not with our own code."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from fedutil import RemoteServer, instance, remote, running_instance  # noqa: F401

from syndicate.publish.activitypub.signatures import http_date

AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def follow(actor_id: str, target: str, n: int = 1) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor_id}#follows/{n}",
        "type": "Follow",
        "actor": actor_id,
        "object": target,
    }


async def test_follow_is_stored_and_accepted_with_a_signature_others_verify(
    instance, remote
) -> None:
    alice = remote.add_actor("alice")
    resp = await alice.post(f"{instance.actor()}/inbox", follow(alice.id, instance.actor()))
    assert resp.status_code == 202, resp.text
    [f] = instance.store.followers("detailnews")
    assert (f.actor_id, f.inbox, f.shared_inbox) == (alice.id, alice.inbox, f"{remote.base}/inbox")
    [got] = await remote.wait_for(1)
    accept = got.json
    assert accept["type"] == "Accept" and accept["actor"] == instance.actor()
    assert (
        accept["object"]["id"] == f"{alice.id}#follows/1" and accept["object"]["type"] == "Follow"
    )
    assert got.path == "/users/alice/inbox"
    # bovine fetched our key itself and says the signature is by our actor
    assert got.verified_owner == instance.actor()
    assert got.headers["content-type"] == "application/activity+json"
    sig = got.headers["signature"]
    assert 'headers="(request-target) host date digest"' in sig
    # the key fetch that checked Alice's signature was signed by our instance actor
    assert any(
        f"{instance.base}/actor#main-key" in h.get("signature", "") for h in remote.key_fetches
    )
    # the Accept's id dereferences to the same JSON
    async with httpx.AsyncClient() as c:
        r = await c.get(accept["id"], headers={"Accept": "application/activity+json"})
    assert r.status_code == 200 and r.json() == accept


async def test_repeated_follow_is_idempotent_and_answered_again(instance, remote) -> None:
    alice = remote.add_actor("alice")
    for n in (1, 2):
        resp = await alice.post(f"{instance.base}/inbox", follow(alice.id, instance.actor(), n))
        assert resp.status_code == 202
    await remote.wait_for(2)
    assert len(instance.store.followers("detailnews")) == 1
    assert len(remote.of_type("Accept")) == 2


async def test_undo_follow_removes_the_follower(instance, remote) -> None:
    alice = remote.add_actor("alice")
    f = follow(alice.id, instance.actor())
    await alice.post(f"{instance.base}/inbox", f)
    assert instance.store.follower_count("detailnews") == 1
    undo = {"id": f"{alice.id}#undo/1", "type": "Undo", "actor": alice.id, "object": f}
    resp = await alice.post(f"{instance.base}/inbox", undo)
    assert resp.status_code == 202
    assert instance.store.follower_count("detailnews") == 0


async def test_delete_of_the_remote_actor_removes_it(instance, remote) -> None:
    alice = remote.add_actor("alice")
    await alice.post(f"{instance.base}/inbox", follow(alice.id, instance.actor()))
    await alice.post(
        f"{instance.base}/inbox", follow(alice.id, f"{instance.base}/users/kabarkito", 2)
    )
    assert instance.store.follower_count() == 2
    alice.gone = True  # the account is deleted: its actor URL answers 410 now
    delete = {
        "id": f"{alice.id}#delete",
        "type": "Delete",
        "actor": alice.id,
        "object": alice.id,
        "to": [AS_PUBLIC],
    }
    resp = await alice.post(f"{instance.base}/inbox", delete)
    assert resp.status_code == 202
    assert instance.store.follower_count() == 0


async def test_likes_announces_and_emoji_reactions_are_counted(instance, remote) -> None:
    alice, bob = remote.add_actor("alice"), remote.add_actor("bob")
    article = instance.add_article()
    obj = f"{instance.actor()}/statuses/{article.id}"
    await alice.post(
        f"{instance.base}/inbox",
        {"id": f"{alice.id}#l1", "type": "Like", "actor": alice.id, "object": obj},
    )
    await bob.post(
        f"{instance.base}/inbox",
        {"id": f"{bob.id}#l1", "type": "Like", "actor": bob.id, "object": obj, "content": "👍"},
    )
    await bob.post(
        f"{instance.base}/inbox",
        {"id": f"{bob.id}#a1", "type": "Announce", "actor": bob.id, "object": obj},
    )
    await bob.post(
        f"{instance.base}/inbox",
        {
            "id": f"{bob.id}#e1",
            "type": "EmojiReact",
            "actor": bob.id,
            "object": obj,
            "content": "🔥",
        },
    )
    # the same Like delivered twice counts once
    await alice.post(
        f"{instance.base}/inbox",
        {"id": f"{alice.id}#l1", "type": "Like", "actor": alice.id, "object": obj},
    )
    assert instance.store.reaction_counts(article.id) == {"like": 1, "emoji": 2, "announce": 1}
    undo = {
        "id": f"{alice.id}#u",
        "type": "Undo",
        "actor": alice.id,
        "object": {"id": f"{alice.id}#l1", "type": "Like"},
    }
    await alice.post(f"{instance.base}/inbox", undo)
    assert instance.store.reaction_counts(article.id).get("like", 0) == 0


async def test_other_activities_are_accepted_and_ignored(instance, remote) -> None:
    alice = remote.add_actor("alice")
    resp = await alice.post(
        f"{instance.base}/inbox",
        {
            "id": f"{alice.id}#c",
            "type": "Create",
            "actor": alice.id,
            "object": {"type": "Note", "content": "hi"},
        },
    )
    assert resp.status_code == 202


# ---- refusals: 401 and nothing stored --------------------------------------------------------


async def _assert_refused(instance, resp: httpx.Response) -> None:
    assert resp.status_code == 401, resp.text
    await asyncio.sleep(0.2)
    assert instance.store.follower_count() == 0
    assert instance.store.delivery_counts() == {}


async def test_unsigned_follow_is_refused(instance, remote) -> None:
    alice = remote.add_actor("alice")
    async with httpx.AsyncClient() as c:
        resp = await c.post(
            f"{instance.base}/inbox",
            json=follow(alice.id, instance.actor()),
            headers={"Content-Type": "application/activity+json"},
        )
    await _assert_refused(instance, resp)


async def test_follow_signed_with_the_wrong_key_is_refused(instance, remote) -> None:
    alice, mallory = remote.add_actor("alice"), remote.add_actor("mallory")
    resp = await alice.post(
        f"{instance.base}/inbox",
        follow(alice.id, instance.actor()),
        private_pem=mallory.private_pem,
    )
    await _assert_refused(instance, resp)


async def test_follow_signed_by_someone_else_is_refused(instance, remote) -> None:
    alice, mallory = remote.add_actor("alice"), remote.add_actor("mallory")
    # Mallory signs correctly with her own key but claims to be Alice.
    resp = await mallory.post(f"{instance.base}/inbox", follow(alice.id, instance.actor()))
    await _assert_refused(instance, resp)


async def test_follow_with_a_bad_digest_is_refused(instance, remote) -> None:
    alice = remote.add_actor("alice")
    resp = await alice.post(
        f"{instance.base}/inbox",
        follow(alice.id, instance.actor()),
        digest="SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    )
    await _assert_refused(instance, resp)


async def test_stale_follow_is_refused(instance, remote) -> None:
    alice = remote.add_actor("alice")
    stale = http_date(datetime.now(UTC) - timedelta(hours=2))
    resp = await alice.post(
        f"{instance.base}/inbox", follow(alice.id, instance.actor()), date=stale
    )
    await _assert_refused(instance, resp)


async def test_replayed_follow_is_refused(instance, remote) -> None:
    alice = remote.add_actor("alice")
    import json

    body = json.dumps(follow(alice.id, instance.actor())).encode()
    headers = alice.signed_headers(f"{instance.base}/inbox", body)
    async with httpx.AsyncClient() as c:
        first = await c.post(f"{instance.base}/inbox", content=body, headers=headers)
        again = await c.post(f"{instance.base}/inbox", content=body, headers=headers)
    assert first.status_code == 202
    assert again.status_code == 401 and "replay" in again.text


async def test_oversized_body_is_refused(instance, remote) -> None:
    alice = remote.add_actor("alice")
    big = follow(alice.id, instance.actor())
    big["padding"] = "x" * 300_000
    resp = await alice.post(f"{instance.base}/inbox", big)
    assert resp.status_code == 413
    assert instance.store.follower_count() == 0


async def test_inbox_of_unknown_actor_is_404(instance, remote) -> None:
    alice = remote.add_actor("alice")
    resp = await alice.post(
        f"{instance.base}/users/nobody/inbox", follow(alice.id, instance.actor())
    )
    assert resp.status_code == 404


async def test_keys_are_not_fetched_from_private_addresses_unless_allowed(
    db_url, tmp_path, remote: RemoteServer
) -> None:
    alice = remote.add_actor("alice")
    async with running_instance(db_url, tmp_path, allow_private_networks=[]) as inst:
        resp = await alice.post(f"{inst.base}/inbox", follow(alice.id, inst.actor()))
        assert resp.status_code == 401
        assert "not a public address" in resp.text
        assert remote.key_fetches == []  # we never even asked
        assert inst.store.follower_count() == 0


async def test_delete_from_an_actor_whose_key_is_gone_is_checked_with_its_server(
    instance, remote
) -> None:
    # Bob follows (stored), but we never cached his key; then his account is deleted.
    bob = remote.add_actor("bob")
    instance.store.add_follower("detailnews", bob.id, bob.inbox, None, None)
    bob.gone = True
    delete = {"id": f"{bob.id}#delete", "type": "Delete", "actor": bob.id, "object": bob.id}
    resp = await bob.post(f"{instance.base}/inbox", delete)
    assert resp.status_code == 202  # his server confirmed: 410 for the actor
    assert instance.store.follower_count() == 0


async def test_a_forged_delete_for_a_live_actor_changes_nothing(instance, remote) -> None:
    alice, mallory = remote.add_actor("alice"), remote.add_actor("mallory")
    instance.store.add_follower("detailnews", alice.id, alice.inbox, None, None)
    delete = {"id": f"{alice.id}#delete", "type": "Delete", "actor": alice.id, "object": alice.id}
    resp = await alice.post(f"{instance.base}/inbox", delete, private_pem=mallory.private_pem)
    assert resp.status_code == 401
    assert instance.store.follower_count() == 1
