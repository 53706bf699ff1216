# ruff: noqa: F811  (pytest fixtures imported from fedutil)
"""An unsigned Delete{actor} makes us GET the actor to confirm it is gone. Such requests prove
nothing, so they must not let anyone aim our GETs at a server: actors we do not know are not
fetched at all, and known ones at most once per 10 minutes, a few per host per minute."""

from __future__ import annotations

from typing import Any

import httpx
from fedutil import instance, remote  # noqa: F401

from syndicate.publish.activitypub import federation

PER_HOST = getattr(federation, "GONE_CHECKS_PER_HOST_MINUTE", 3)


def delete(actor_id: str, n: int = 0) -> dict[str, Any]:
    return {"id": f"{actor_id}#delete/{n}", "type": "Delete", "actor": actor_id, "object": actor_id}


async def unsigned(url: str, activity: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient() as c:
        return await c.post(
            url, json=activity, headers={"Content-Type": "application/activity+json"}
        )


async def test_repeated_unsigned_deletes_fetch_a_live_actor_once(instance, remote) -> None:
    alice = remote.add_actor("alice")
    instance.store.add_follower("detailnews", alice.id, alice.inbox, None, None)
    for n in range(6):
        resp = await unsigned(f"{instance.base}/inbox", delete(alice.id, n))
        assert resp.status_code == 401
    assert len(remote.key_fetches) == 1
    assert instance.store.follower_count() == 1


async def test_unsigned_deletes_are_limited_per_host(instance, remote) -> None:
    names = [f"user{i}" for i in range(PER_HOST + 4)]
    for name in names:
        a = remote.add_actor(name)
        instance.store.add_follower("detailnews", a.id, a.inbox, None, None)
    for name in names:
        resp = await unsigned(f"{instance.base}/inbox", delete(remote.actors[name].id))
        assert resp.status_code == 401
    assert len(remote.key_fetches) == PER_HOST
    assert instance.store.follower_count() == len(names)


async def test_unsigned_delete_of_an_unknown_actor_fetches_nothing(instance, remote) -> None:
    stranger = remote.add_actor("stranger")
    resp = await unsigned(f"{instance.base}/inbox", delete(stranger.id))
    assert resp.status_code == 202 and "not an actor we know" in resp.text
    assert remote.key_fetches == []


async def test_a_rate_limited_gone_actor_is_removed_on_a_later_check(instance, remote) -> None:
    bob = remote.add_actor("bob")
    instance.store.add_follower("detailnews", bob.id, bob.inbox, None, None)
    assert (await unsigned(f"{instance.base}/inbox", delete(bob.id))).status_code == 401
    bob.gone = True
    # Within 10 minutes: not asked again.
    assert (await unsigned(f"{instance.base}/inbox", delete(bob.id, 1))).status_code == 401
    assert len(remote.key_fetches) == 1 and instance.store.follower_count() == 1
    instance.fed.gone_checks.by_actor.clear()  # ... 10 minutes later
    assert (await unsigned(f"{instance.base}/inbox", delete(bob.id, 2))).status_code == 202
    assert instance.store.follower_count() == 0


def test_fetch_budget() -> None:
    budget = federation.FetchBudget()
    a = "https://a.example/users/x"
    assert budget.allow(a, now=0.0)
    assert not budget.allow(a, now=federation.GONE_CHECK_PER_ACTOR - 1)
    assert budget.allow(a, now=federation.GONE_CHECK_PER_ACTOR + 1)
    # The global budget per minute, across hosts.
    budget = federation.FetchBudget()
    allowed = [
        budget.allow(f"https://h{i}.example/users/x", now=1000.0 + i / 100) for i in range(40)
    ]
    assert sum(allowed) == federation.GONE_CHECKS_PER_MINUTE
    assert budget.allow("https://late.example/users/x", now=1061.0)
