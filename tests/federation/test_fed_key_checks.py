# ruff: noqa: F811  (pytest fixtures imported from fedutil)
"""Whose key is it? Remote key and actor documents over real HTTP on loopback: a document is
only believed from the URL its id names (Mastodon CVE-2024-23832), keys that do not load or do
not verify are refused with 401 and never cached, and key fetches go through netguard."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fedutil import (  # noqa: F401
    RemoteServer,
    instance,
    remote,
    remote_factory,
    running_instance,
    serve,
    stop_server,
)
from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import Route

from syndicate import netguard
from syndicate.publish.activitypub.signatures import SignatureError, load_public_key


def follow(actor_id: str, target: str, n: int = 1) -> dict[str, Any]:
    return {"id": f"{actor_id}#follows/{n}", "type": "Follow", "actor": actor_id, "object": target}


def actor_doc(actor_id: str, key_id: str, pem: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": actor_id,
        "type": "Person",
        "inbox": f"{actor_id}/inbox",
        "publicKey": {"id": key_id, "owner": actor_id, "publicKeyPem": pem},
        **extra,
    }


async def alice_follows(instance, remote: RemoteServer):  # type: ignore[no-untyped-def]
    alice = remote.add_actor("alice")
    resp = await alice.post(f"{instance.base}/inbox", follow(alice.id, instance.actor()))
    assert resp.status_code == 202, resp.text
    assert instance.store.remote_actor(alice.id).public_pem == alice.public_pem
    return alice


# ---- 1. a document must be served from its own id -----------------------------------------


@pytest.mark.parametrize("kind", ["Undo", "Delete"])
async def test_a_document_claiming_another_actors_id_cannot_take_over_that_actor(
    instance, remote, kind: str
) -> None:
    alice = await alice_follows(instance, remote)
    mallory = remote.add_actor("mallory")
    # Any URL on alice's server that serves user-supplied JSON (an upload, say) claims to be her.
    evil = remote.file_url("media/evil.json")
    remote.files["media/evil.json"] = actor_doc(alice.id, f"{evil}#main-key", mallory.public_pem)
    remote.files["media/evil.json"]["inbox"] = alice.inbox
    if kind == "Undo":
        activity = {
            "id": f"{alice.id}#undo",
            "type": "Undo",
            "actor": alice.id,
            "object": follow(alice.id, instance.actor()),
        }
    else:
        activity = {"id": f"{alice.id}#delete", "type": "Delete", "actor": alice.id}
        activity["object"] = alice.id
    resp = await alice.post(
        f"{instance.base}/inbox",
        activity,
        key_id=f"{evil}#main-key",
        private_pem=mallory.private_pem,
    )
    assert resp.status_code == 401, resp.text
    assert "does not list key" in resp.text  # refetched from its id: the real alice
    assert instance.store.follower_count("detailnews") == 1
    cached = instance.store.remote_actor(alice.id)
    assert (cached.key_id, cached.public_pem) == (alice.key_id, alice.public_pem)


async def test_a_key_document_claiming_another_keys_id_is_refused(instance, remote) -> None:
    alice = await alice_follows(instance, remote)
    mallory = remote.add_actor("mallory")
    url = remote.file_url("k2")
    remote.files["k2"] = {
        "id": alice.key_id,
        "type": "Key",
        "owner": alice.id,
        "publicKeyPem": mallory.public_pem,
    }
    undo = {"id": f"{alice.id}#u", "type": "Undo", "actor": alice.id}
    undo["object"] = follow(alice.id, instance.actor())
    resp = await alice.post(
        f"{instance.base}/inbox", undo, key_id=url, private_pem=mallory.private_pem
    )
    assert resp.status_code == 401, resp.text
    assert instance.store.follower_count("detailnews") == 1


async def test_a_standalone_key_must_be_listed_by_its_owner(instance, remote) -> None:
    alice = await alice_follows(instance, remote)
    mallory = remote.add_actor("mallory")
    key = remote.file_url("key.json")
    remote.files["key.json"] = {
        "id": key,
        "type": "Key",
        "owner": alice.id,
        "publicKeyPem": mallory.public_pem,
    }
    undo = {"id": f"{alice.id}#u", "type": "Undo", "actor": alice.id}
    undo["object"] = follow(alice.id, instance.actor())
    resp = await alice.post(
        f"{instance.base}/inbox", undo, key_id=key, private_pem=mallory.private_pem
    )
    assert resp.status_code == 401 and "does not list key" in resp.text
    assert instance.store.follower_count("detailnews") == 1


async def test_a_standalone_key_whose_owner_is_not_served_as_itself_is_refused(
    instance, remote
) -> None:
    alice = await alice_follows(instance, remote)
    mallory = remote.add_actor("mallory")
    key, fake_owner = remote.file_url("dave-key"), remote.file_url("dave")
    remote.files["dave-key"] = {
        "id": key,
        "type": "Key",
        "owner": fake_owner,
        "publicKeyPem": mallory.public_pem,
    }
    # "dave" answers with alice's id and a key list naming dave-key.
    remote.files["dave"] = actor_doc(alice.id, key, mallory.public_pem)
    remote.files["dave"]["inbox"] = alice.inbox
    undo = {"id": f"{alice.id}#u", "type": "Undo", "actor": alice.id}
    undo["object"] = follow(alice.id, instance.actor())
    resp = await alice.post(
        f"{instance.base}/inbox", undo, key_id=key, private_pem=mallory.private_pem
    )
    assert resp.status_code == 401 and "does not serve itself" in resp.text
    assert instance.store.follower_count("detailnews") == 1
    assert instance.store.remote_actor(alice.id).public_pem == alice.public_pem


async def test_gotosocial_style_key_ids_and_standalone_keys_still_work(instance, remote) -> None:
    bob, carol = remote.add_actor("bob"), remote.add_actor("carol")
    # GoToSocial: keyId `…/main-key` answers a stub naming the actor as its id.
    bob_id, bob_key = remote.file_url("gts/bob"), remote.file_url("gts/bob/main-key")
    remote.files["gts/bob"] = actor_doc(bob_id, bob_key, bob.public_pem)
    remote.files["gts/bob/main-key"] = actor_doc(bob_id, bob_key, bob.public_pem)
    resp = await bob.post(
        f"{instance.base}/inbox", follow(bob_id, instance.actor()), key_id=bob_key
    )
    assert resp.status_code == 202, resp.text
    assert remote.file_fetches[-2:] == ["gts/bob/main-key", "gts/bob"]  # fetched again by id
    # A standalone Key whose owner lists it.
    carol_id, carol_key = remote.file_url("carol"), remote.file_url("keys/carol")
    remote.files["carol"] = actor_doc(carol_id, carol_key, carol.public_pem)
    remote.files["keys/carol"] = {
        "id": carol_key,
        "type": "Key",
        "owner": carol_id,
        "publicKeyPem": carol.public_pem,
    }
    resp = await carol.post(
        f"{instance.base}/inbox", follow(carol_id, instance.actor()), key_id=carol_key
    )
    assert resp.status_code == 202, resp.text
    assert {f.actor_id for f in instance.store.followers("detailnews")} == {bob_id, carol_id}


@pytest.mark.parametrize("field", ["inbox", "endpoints.sharedInbox", "sharedInbox"])
async def test_an_actor_with_an_inbox_on_another_host_is_refused(
    instance, remote, remote_factory, field: str
) -> None:
    victim = await remote_factory()
    eve = remote.add_actor("eve")
    eve_id = remote.file_url("eve")
    doc = actor_doc(eve_id, f"{eve_id}#main-key", eve.public_pem)
    if field == "inbox":
        doc["inbox"] = f"{victim.base}/inbox"
    elif field == "sharedInbox":
        doc["sharedInbox"] = f"{victim.base}/inbox"
    else:
        doc["endpoints"] = {"sharedInbox": f"{victim.base}/inbox"}
    remote.files["eve"] = doc
    resp = await eve.post(
        f"{instance.base}/inbox", follow(eve_id, instance.actor()), key_id=f"{eve_id}#main-key"
    )
    assert resp.status_code == 401 and "on another host" in resp.text
    assert instance.store.follower_count() == 0
    assert instance.store.delivery_counts() == {}
    assert instance.store.remote_actor(eve_id) is None


# ---- 2. keys that do not load or do not verify ------------------------------------------------


def _ec_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@pytest.mark.parametrize(
    "pem",
    [
        "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n",
        "",
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n",
        "ec",
    ],
    ids=["garbage", "empty", "truncated", "ec-key"],
)
async def test_a_malformed_remote_key_is_a_401_and_is_not_cached(instance, remote, pem) -> None:
    mallory = remote.add_actor("mallory")
    actor_id = remote.file_url("broken")
    remote.files["broken"] = actor_doc(
        actor_id, f"{actor_id}#main-key", _ec_pem() if pem == "ec" else pem
    )
    resp = await mallory.post(
        f"{instance.base}/inbox",
        follow(actor_id, instance.actor()),
        key_id=f"{actor_id}#main-key",
    )
    assert resp.status_code == 401, resp.text
    assert "Traceback" not in resp.text
    assert instance.store.remote_actor(actor_id) is None
    assert instance.store.remote_actor_by_key(f"{actor_id}#main-key") is None
    assert instance.store.follower_count() == 0


def test_load_public_key_raises_signature_error() -> None:
    for pem in ("nonsense", "-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----\n"):
        with pytest.raises(SignatureError, match="does not load"):
            load_public_key(pem)
    with pytest.raises(SignatureError, match="unsupported public key type"):
        load_public_key(_ec_pem())


async def test_a_key_that_does_not_verify_is_not_cached_nor_refetched_at_once(
    instance, remote
) -> None:
    alice, mallory = remote.add_actor("alice"), remote.add_actor("mallory")
    forged = await alice.post(
        f"{instance.base}/inbox",
        follow(alice.id, instance.actor()),
        private_pem=mallory.private_pem,
    )
    assert forged.status_code == 401 and "does not verify" in forged.text
    assert instance.store.remote_actor(alice.id) is None
    assert len(remote.key_fetches) == 1
    # Alice herself, a moment later: the key fetched for the forgery is used, not fetched again.
    resp = await alice.post(f"{instance.base}/inbox", follow(alice.id, instance.actor()))
    assert resp.status_code == 202, resp.text
    assert len(remote.key_fetches) == 1
    assert instance.store.remote_actor(alice.id).public_pem == alice.public_pem


# ---- 4. key fetches go through syndicate.netguard ----------------------------------------------


async def test_key_fetches_use_the_shared_netguard(db_url, tmp_path, remote) -> None:
    alice = remote.add_actor("alice")
    async with running_instance(db_url, tmp_path, allow_private_networks=["10.0.0.0/8"]) as inst:
        guard = inst.fed.guard.net
        assert isinstance(guard, netguard.NetGuard)
        assert [str(n) for n in guard.allow] == ["10.0.0.0/8"]
        resp = await alice.post(f"{inst.base}/inbox", follow(alice.id, inst.actor()))
        assert resp.status_code == 401
        assert "not a public address" in resp.text and "loopback" in resp.text
        assert remote.key_fetches == []
        # [federation] allow_private_networks is read again after a reload.
        settings = inst.state.settings
        inst.state.settings = settings.model_copy(
            update={
                "federation": settings.federation.model_copy(
                    update={"allow_private_networks": ["127.0.0.0/8"]}
                )
            }
        )
        resp = await alice.post(f"{inst.base}/inbox", follow(alice.id, inst.actor(), 2))
        assert resp.status_code == 202, resp.text


async def test_key_fetches_do_not_follow_redirects(instance, remote) -> None:
    alice = remote.add_actor("alice")
    hits: list[str] = []

    async def moved(request):  # type: ignore[no-untyped-def]
        hits.append(request.url.path)
        return RedirectResponse(alice.id, status_code=302)

    from conftest import free_port

    port = free_port()
    server, task = await serve(Starlette(routes=[Route("/users/alice", moved)]), port)
    try:
        other_key = f"http://127.0.0.1:{port}/users/alice#main-key"
        resp = await alice.post(
            f"{instance.base}/inbox", follow(alice.id, instance.actor()), key_id=other_key
        )
    finally:
        await stop_server(server, task)
    assert resp.status_code == 401 and "HTTP 302" in resp.text
    assert hits == ["/users/alice"] and remote.key_fetches == []


async def test_resolve_key_refuses_a_document_naming_an_id_on_another_host() -> None:
    from syndicate.publish.activitypub.remote import resolve_key

    key = "https://victim.example/system/media_attachments/files/evil.json"
    docs = {
        key: actor_doc("https://elsewhere.example/users/alice", key, _ec_pem()),
    }

    async def fetch(url: str) -> dict[str, Any]:
        return docs[url.split("#")[0]]

    with pytest.raises(SignatureError, match="on another host"):
        await resolve_key(key, fetch)
