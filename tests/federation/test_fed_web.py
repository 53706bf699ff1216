# ruff: noqa: F811  (pytest fixtures imported from fedutil)
"""Discovery and the JSON of actors, posts, activities and collections, checked against the
rules Mastodon, Misskey and GoToSocial apply (a structural schema per document)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from conftest import run_cli, write_config
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fedutil import instance, remote  # noqa: F401
from http_message_signatures import HTTPMessageVerifier, MappingKeyResolver
from http_message_signatures.algorithms import RSA_V1_5_SHA256
from http_message_signatures.structures import CaseInsensitiveDict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

AP = {"Accept": "application/activity+json"}
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

# ---- a small structural schema: key -> type or predicate ----------------------------------


def url_on(host: str):  # type: ignore[no-untyped-def]
    return lambda v: isinstance(v, str) and v.startswith(host + "/")


def is_iso(v: Any) -> bool:
    return isinstance(v, str) and bool(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v))


def check(doc: dict[str, Any], schema: dict[str, Any], where: str = "") -> None:
    for key, rule in schema.items():
        assert key in doc, f"{where}{key} missing"
        value = doc[key]
        if isinstance(rule, dict):
            assert isinstance(value, dict), f"{where}{key} is not an object"
            check(value, rule, f"{where}{key}.")
        elif isinstance(rule, type):
            assert isinstance(value, rule), f"{where}{key} is not {rule.__name__}"
        elif callable(rule):
            assert rule(value), f"{where}{key} = {value!r} breaks its rule"
        else:
            assert value == rule, f"{where}{key} = {value!r}, expected {rule!r}"


def actor_schema(base: str, sid: str) -> dict[str, Any]:
    actor = f"{base}/users/{sid}"
    on = url_on(base)
    return {
        "@context": lambda c: (
            "https://www.w3.org/ns/activitystreams" in c and "https://w3id.org/security/v1" in c
        ),
        "id": actor,
        "type": "Service",
        "preferredUsername": sid,
        "name": str,
        "summary": str,
        "url": f"{base}/sources/{sid}",
        "icon": {"type": "Image", "mediaType": "image/png", "url": on},
        "inbox": f"{actor}/inbox",
        "outbox": f"{actor}/outbox",
        "followers": f"{actor}/followers",
        "following": f"{actor}/following",
        "featured": f"{actor}/featured",
        "endpoints": {"sharedInbox": f"{base}/inbox"},
        "publicKey": {"id": f"{actor}#main-key", "owner": actor, "publicKeyPem": str},
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "indexable": True,
        "published": is_iso,
        "attributionDomains": list,
        "attachment": lambda a: any(p.get("type") == "PropertyValue" for p in a),
    }


def note_schema(base: str, sid: str) -> dict[str, Any]:
    actor = f"{base}/users/{sid}"
    return {
        "id": url_on(f"{actor}/statuses"),
        "type": "Note",
        "attributedTo": actor,
        "published": is_iso,
        "url": url_on(f"{base}/articles"),
        "to": [PUBLIC],
        "cc": [f"{actor}/followers"],
        "content": lambda c: c.startswith("<p><strong>"),
        "contentMap": lambda m: list(m) == ["id"],
        "sensitive": False,
        "tag": lambda tags: all(t["type"] == "Hashtag" and t["name"].startswith("#") for t in tags),
        "attachment": lambda a: all(
            x["type"] == "Image" and x["mediaType"].startswith("image/") and x["name"] for x in a
        ),
    }


def activity_schema(base: str, sid: str, kind: str) -> dict[str, Any]:
    return {
        "id": url_on(f"{base}/activities"),
        "type": kind,
        "actor": f"{base}/users/{sid}",
        "object": dict,
    }


def collection_schema(url: str) -> dict[str, Any]:
    return {"id": url, "type": "OrderedCollection", "totalItems": int, "first": f"{url}?page=1"}


# ---- discovery ----------------------------------------------------------------------------


async def test_webfinger(instance) -> None:
    host = instance.base.removeprefix("http://")
    async with httpx.AsyncClient() as c:
        for resource in (f"acct:detailnews@{host}", instance.actor()):
            r = await c.get(f"{instance.base}/.well-known/webfinger", params={"resource": resource})
            assert r.status_code == 200
            assert r.headers["content-type"] == "application/jrd+json"
            doc = r.json()
            assert doc["subject"] == f"acct:detailnews@{host}"
            assert instance.actor() in doc["aliases"]
            [self_link] = [link for link in doc["links"] if link["rel"] == "self"]
            assert self_link == {
                "rel": "self",
                "type": "application/activity+json",
                "href": instance.actor(),
            }
            [page] = [link for link in doc["links"] if link["rel"].endswith("profile-page")]
            assert page["href"] == f"{instance.base}/sources/detailnews"
        r = await c.get(
            f"{instance.base}/.well-known/webfinger", params={"resource": f"acct:nobody@{host}"}
        )
        assert r.status_code == 404
        r = await c.get(
            f"{instance.base}/.well-known/webfinger",
            params={"resource": "acct:detailnews@elsewhere.example"},
        )
        assert r.status_code == 404
        # the reverse check Mastodon does: preferredUsername@host resolves back to the same actor
        actor = (await c.get(instance.actor(), headers=AP)).json()
        r = await c.get(
            f"{instance.base}/.well-known/webfinger",
            params={"resource": f"acct:{actor['preferredUsername']}@{host}"},
        )
        assert r.json()["links"][0]["href"] == actor["id"]


async def test_nodeinfo_and_host_meta(instance) -> None:
    instance.add_article(1)
    async with httpx.AsyncClient() as c:
        links = (await c.get(f"{instance.base}/.well-known/nodeinfo")).json()["links"]
        rels = {link["rel"]: link["href"] for link in links}
        assert rels["https://www.w3.org/ns/activitystreams#Application"] == f"{instance.base}/actor"
        ni = (await c.get(rels["http://nodeinfo.diaspora.software/ns/schema/2.1"])).json()
        assert ni["version"] == "2.1" and ni["software"]["name"] == "syndicate"
        assert ni["protocols"] == ["activitypub"]
        assert ni["usage"]["users"]["total"] == 2 and ni["usage"]["localPosts"] == 1
        hm = await c.get(f"{instance.base}/.well-known/host-meta")
        assert "/.well-known/webfinger?resource={uri}" in hm.text
        # the instance actor is fetchable without a signature
        app = (await c.get(f"{instance.base}/actor", headers=AP)).json()
        assert app["type"] == "Application" and app["publicKey"]["owner"] == app["id"]


async def test_actor_json_and_content_negotiation(instance) -> None:
    async with httpx.AsyncClient() as c:
        for accept in (
            "application/activity+json",
            'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        ):
            r = await c.get(instance.actor(), headers={"Accept": accept})
            assert r.status_code == 200
            assert r.headers["content-type"] == "application/activity+json"
            assert r.headers["vary"] == "Accept"
            check(r.json(), actor_schema(instance.base, "detailnews"))
        doc = r.json()
        assert doc["attributionDomains"] == ["detailnews.id", "127.0.0.1"]  # + our host
        key = load_pem_public_key(doc["publicKey"]["publicKeyPem"].encode())
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
        # the key is generated once: a second fetch shows the same key
        again = (await c.get(instance.actor(), headers=AP)).json()
        assert again["publicKey"] == doc["publicKey"]
        browser = await c.get(
            instance.actor(), headers={"Accept": "text/html,application/xhtml+xml"}
        )
        assert (
            browser.status_code == 302
            and browser.headers["location"] == f"{instance.base}/sources/detailnews"
        )
        assert (await c.get(f"{instance.base}/users/nobody", headers=AP)).status_code == 404
        icon = await c.get(doc["icon"]["url"])
        assert icon.status_code == 200 and icon.content.startswith(b"\x89PNG")


async def test_note_activities_and_collections_follow_the_rules(instance) -> None:
    article = instance.add_article(1)
    await instance.pump()
    async with httpx.AsyncClient() as c:
        outbox_url = f"{instance.actor()}/outbox"
        outbox = (await c.get(outbox_url, headers=AP)).json()
        check(outbox, collection_schema(outbox_url))
        page = (await c.get(outbox["first"], headers=AP)).json()
        assert page["type"] == "OrderedCollectionPage" and page["partOf"] == outbox_url
        [create] = page["orderedItems"]
        check(create, activity_schema(instance.base, "detailnews", "Create"))
        note = create["object"]
        check(note, note_schema(instance.base, "detailnews"))
        assert "summary" not in note and "updated" not in note
        fetched = (await c.get(note["id"], headers=AP)).json()
        check(fetched, note_schema(instance.base, "detailnews"))
        browser = await c.get(note["id"], headers={"Accept": "text/html"})
        assert (
            browser.status_code == 302
            and browser.headers["location"] == f"{instance.base}/articles/{article.id}"
        )
        followers_url = f"{instance.actor()}/followers"
        check((await c.get(followers_url, headers=AP)).json(), collection_schema(followers_url))
        for name in ("following", "featured"):
            doc = (await c.get(f"{instance.actor()}/{name}", headers=AP)).json()
            assert doc["type"] == "OrderedCollection" and doc["totalItems"] == 0
    instance.store.record_missing(article.id, checks_needed=1)
    await instance.pump()
    [*_, (delete_id, kind, _sent)] = instance.store.activities_for_article(article.id)
    assert kind == "Delete"
    delete = instance.store.activity(delete_id)
    check(delete, activity_schema(instance.base, "detailnews", "Delete"))
    assert delete["object"]["type"] == "Tombstone"


async def test_article_object_type_is_an_article_with_a_preview(instance) -> None:
    e = {
        "url": "https://kabarkito.example/a",
        "title": "Judul",
        "content_html": "<p>Isi lengkap.</p>",
    }
    from syndicate.models import Entry

    article, _ = instance.store.upsert_entry("kabarkito", Entry(**e))
    async with httpx.AsyncClient() as c:
        doc = (
            await c.get(f"{instance.base}/users/kabarkito/statuses/{article.id}", headers=AP)
        ).json()
    assert doc["type"] == "Article" and doc["name"] == "Judul"
    assert "Isi lengkap." in doc["content"] and doc["preview"]["type"] == "Note"


# ---- RFC 9421 double knock ----------------------------------------------------------------


async def test_a_peer_that_only_accepts_rfc9421_gets_it(instance, remote) -> None:
    """An inbox that refuses draft-cavage (401) and checks RFC 9421 with http-message-signatures."""
    from conftest import free_port
    from fedutil import serve, stop_server

    got: list[dict] = []
    refused: list[str] = []

    async def strict_inbox(request: Request) -> Response:
        body = await request.body()
        if "signature-input" not in request.headers:
            refused.append(request.headers.get("signature", ""))
            return Response(status_code=401)
        async with httpx.AsyncClient() as c:
            actor = (await c.get(instance.actor(), headers=AP)).json()
        key = load_pem_public_key(actor["publicKey"]["publicKeyPem"].encode())
        verifier = HTTPMessageVerifier(
            signature_algorithm=RSA_V1_5_SHA256,
            key_resolver=MappingKeyResolver(
                public_keys={actor["publicKey"]["id"]: key}, private_keys={}
            ),
        )
        msg = type(
            "M",
            (),
            {
                "method": "POST",
                "url": str(request.url),
                "headers": CaseInsensitiveDict(dict(request.headers)),
            },
        )
        verifier.verify(
            msg, body=body, require_components=("@method", "@target-uri", "content-digest")
        )
        got.append(json.loads(body))
        return Response(status_code=202)

    port = free_port()
    app = Starlette(routes=[Route("/inbox", strict_inbox, methods=["POST"])])
    server, task = await serve(app, port)
    try:
        instance.store.add_follower(
            "detailnews",
            f"http://127.0.0.1:{port}/users/z",
            f"http://127.0.0.1:{port}/inbox",
            None,
            None,
        )
        instance.add_article(1)
        await instance.pump()
        import asyncio

        for _ in range(100):
            if got:
                break
            await asyncio.sleep(0.05)
        assert got and got[0]["type"] == "Create"
        assert len(refused) == 1  # cavage first, refused, then RFC 9421 at once
        await asyncio.sleep(0.4)
        # remembered: the next delivery goes out as RFC 9421 straight away
        instance.add_article(2)
        await instance.pump()
        for _ in range(100):
            if len(got) == 2:
                break
            await asyncio.sleep(0.05)
        assert len(got) == 2 and len(refused) == 1
        [st] = instance.store.delivery_failures_by_server("detailnews")
        assert st.consecutive_failures == 0 and st.dead_deliveries == 0
    finally:
        await stop_server(server, task)


# ---- CLI ----------------------------------------------------------------------------------


async def test_followers_command(instance, remote, tmp_path) -> None:
    alice = remote.add_actor("alice")
    await alice.post(
        f"{instance.base}/inbox",
        {"id": f"{alice.id}#f", "type": "Follow", "actor": alice.id, "object": instance.actor()},
    )
    await remote.wait_for(1)
    import asyncio

    await asyncio.sleep(0.5)  # the flusher writes the Accept's result
    cfg = write_config(
        tmp_path / "config.toml",
        f'[storage]\nurl = "{instance.store.url}"\n[[sources]]\nid = "detailnews"\nname = "D"\n'
        'url = "https://detailnews.id/"\n',
    )
    out = run_cli("followers", "detailnews", config=cfg)
    assert out.returncode == 0, out.stderr
    assert "1 follower(s) on 1 inbox(es)" in out.stdout
    assert remote.base.removeprefix("http://") in out.stdout
    js = run_cli("followers", "detailnews", "--json", config=cfg)
    [row] = json.loads(js.stdout)
    assert row["followers"] == 1 and row["actors"] == [alice.id] and row["last_delivery"]
    bad = run_cli("followers", "nosuch", config=cfg)
    assert bad.returncode == 2 and "unknown source id" in bad.stderr
