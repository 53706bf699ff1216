# ruff: noqa: F811  (pytest fixtures imported from fedutil)
"""The inbox under hostile bodies (issue 12; by hostile): wrong Content-Type is 415, JSON nested
100k deep is a 4xx (it was a 500), and neither stores a follower."""

from __future__ import annotations

import json

import httpx
from fedutil import instance, remote  # noqa: F401


def follow(actor_id: str, target: str) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor_id}#follows/1",
        "type": "Follow",
        "actor": actor_id,
        "object": target,
    }


async def test_a_validly_signed_follow_sent_as_text_plain_is_415(instance, remote) -> None:
    alice = remote.add_actor("alice")
    url = f"{instance.actor()}/inbox"
    body = json.dumps(follow(alice.id, instance.actor())).encode()
    headers = {**alice.signed_headers(url, body), "Content-Type": "text/plain"}
    async with httpx.AsyncClient() as client:
        r = await client.post(url, content=body, headers=headers)
    assert r.status_code == 415, r.text
    assert instance.store.followers("detailnews") == []
    # the same request with the right type is accepted
    headers["Content-Type"] = "application/activity+json"
    async with httpx.AsyncClient() as client:
        r = await client.post(url, content=body, headers=headers)
    assert r.status_code == 202, r.text


async def test_json_nested_100k_deep_on_the_inbox_is_refused_not_500(instance, remote) -> None:
    alice = remote.add_actor("alice")
    url = f"{instance.base}/inbox"
    body = b"[" * 100_000 + b"]" * 100_000
    async with httpx.AsyncClient() as client:
        r = await client.post(url, content=body, headers=alice.signed_headers(url, body))
    assert r.status_code == 400, r.text
    unsigned = {"Content-Type": "application/activity+json"}
    async with httpx.AsyncClient() as client:
        r = await client.post(url, content=body, headers=unsigned)
    assert 400 <= r.status_code < 500, r.text


async def test_escaped_nul_and_lone_surrogates_in_signed_activities_are_not_500(
    instance, remote
) -> None:
    """On PostgreSQL a "\\u0000" in a reaction's content was a 500; "\\ud800" failed everywhere."""
    alice = remote.add_actor("alice")
    article = instance.add_article(1)
    note = f"{instance.actor()}/statuses/{article.id}"
    url = f"{instance.base}/inbox"
    async with httpx.AsyncClient() as client:
        for n, (kind, extra) in enumerate(
            [
                ("EmojiReact", {"content": "\u0000\u2764\ud800"}),
                ("Like", {"content": "\ud800"}),
                ("Undo", {}),
            ]
        ):
            activity = {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{alice.id}#r{n}\u0000",
                "type": kind,
                "actor": alice.id,
                "object": note if kind != "Undo" else "\ud800",
                **extra,
            }
            body = json.dumps(activity).encode()  # ensure_ascii: the escapes travel as \\u0000
            r = await client.post(url, content=body, headers=alice.signed_headers(url, body))
            assert r.status_code < 500, (kind, r.status_code, r.text)
