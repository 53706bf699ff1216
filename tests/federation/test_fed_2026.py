# ruff: noqa: F811  (pytest fixtures imported from fedutil)
"""Federation as Mastodon 4.5-4.7, Misskey and GoToSocial expect it in 2026 (issue 10), over real
HTTP on loopback on SQLite and PostgreSQL: quote policies and stamps, replies, counts, visible
corrections, attribution and link cards, 503 for keys that cannot be fetched now."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from conftest import free_port, run_cli, write_config
from fedutil import RemoteServer, instance, remote, remote_factory  # noqa: F401

from syndicate.models import Entry
from syndicate.normalize.changes import paragraph_edits
from syndicate.publish.activitypub import federation as federation_module
from syndicate.publish.corrections import correction_line, local_stamp

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_JSON = {"Accept": "application/activity+json"}


async def get(url: str, **kw: Any) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(url, headers=kw.pop("headers", AS_JSON), **kw)


async def follow(instance, server: RemoteServer, name: str = "alice"):  # type: ignore[no-untyped-def]
    actor = server.add_actor(name)
    follow = {
        "id": f"{actor.id}#f",
        "type": "Follow",
        "actor": actor.id,
        "object": instance.actor(),
    }
    resp = await actor.post(f"{instance.base}/inbox", follow)
    assert resp.status_code == 202
    await server.wait_for(1)
    server.received.clear()
    return actor


async def published(instance, remote: RemoteServer, **kw: Any):  # type: ignore[no-untyped-def]
    """A new article whose Create has reached the follower."""
    article = instance.add_article(1, **kw)
    await instance.pump()
    await remote.wait_for(1)
    remote.received.clear()
    return article


def quote_request(actor, note_id: str, n: int = 1, attempt: int = 1) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Shaped as Mastodon 4.5 sends it."""
    return {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            {"QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest"},
        ],
        "id": f"{actor.id}/quote_requests/{n}-{attempt}",
        "type": "QuoteRequest",
        "actor": actor.id,
        "object": note_id,
        "instrument": {
            "id": f"{actor.id}/statuses/{n}",
            "type": "Note",
            "attributedTo": actor.id,
            "content": "<p>Lihat ini</p>",
            "quote": note_id,
        },
    }


def reply(actor, note_id: str, n: int = 1, content: str = "<p>Terima kasih!</p>") -> dict:  # type: ignore[no-untyped-def]
    note = {
        "id": f"{actor.id}/statuses/r{n}",
        "type": "Note",
        "attributedTo": actor.id,
        "inReplyTo": note_id,
        "content": content,
        "published": "2026-03-01T10:00:00Z",
        "to": [PUBLIC],
    }
    return {"id": f"{note['id']}/activity", "type": "Create", "actor": actor.id, "object": note}


# ---- actors: attribution, consent, FEP-844e -----------------------------------------------


async def test_actor_lists_our_host_for_attribution_and_consents_to_featuring(instance) -> None:
    instance.add_article(1)
    doc = (await get(instance.actor())).json()
    # fediverse:creator on /articles/{id} counts only if our host is listed (Mastodon).
    assert doc["attributionDomains"] == ["detailnews.id", "127.0.0.1"]
    assert doc["interactionPolicy"]["canFeature"]["automaticApproval"] == [PUBLIC]
    tags = (await get(doc["featuredTags"])).json()
    assert tags["type"] == "Collection" and tags["totalItems"] == 2
    assert {"type": "Hashtag", "name": "#bitung", "href": f"{instance.base}/tags/bitung"} in tags[
        "items"
    ]
    app = (await get(f"{instance.base}/actor")).json()
    assert {i["href"] for i in app["implements"]} >= {
        "https://datatracker.ietf.org/doc/html/rfc9421",
        "https://w3id.org/fep/044f",
    }


async def test_article_page_is_a_link_card_with_creator(instance) -> None:
    article = instance.add_article(
        1,
        content_html='<p>Teks.</p><img src="https://detailnews.id/img/1.png" width="1200" height="675">',
    )
    html = (
        await get(f"{instance.base}/articles/{article.id}", headers={"Accept": "text/html"})
    ).text
    assert '<meta name="fediverse:creator" content="@detailnews@127.0.0.1:' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:title" content="Pemkot Bitung gelar rapat 1">' in html
    assert 'property="og:description" content="Wali Kota Bitung' in html
    assert '<meta property="og:image" content="https://detailnews.id/img/1.png">' in html
    assert '<meta property="og:image:width" content="1200">' in html
    assert '<meta property="og:image:height" content="675">' in html
    assert 'property="article:published_time" content="2026-03-01T09:30:00+00:00"' in html


# ---- 503 when a key cannot be fetched now (Mastodon 4.6) ----------------------------------


async def test_unreachable_key_is_503_so_the_sender_retries_and_a_missing_key_401(
    instance, remote
) -> None:
    alice = remote.add_actor("alice")
    body = {"id": f"{alice.id}#f", "type": "Follow", "actor": alice.id, "object": instance.actor()}
    dead = f"http://127.0.0.1:{free_port()}/users/alice#main-key"  # nothing listens there
    resp = await alice.post(f"{instance.base}/inbox", body, key_id=dead)
    assert resp.status_code == 503, resp.text
    assert resp.headers["retry-after"] == "60"
    missing = remote.file_url("nobody#main-key")  # the server answers 404: a real refusal
    resp = await alice.post(f"{instance.base}/inbox", body, key_id=missing)
    assert resp.status_code == 401
    assert instance.store.followers("detailnews") == []


# ---- quotes (FEP-044f) --------------------------------------------------------------------


async def test_quote_request_gets_accept_with_stamp_and_removal_revokes_it(
    instance, remote
) -> None:
    alice = await follow(instance, remote)
    article = await published(instance, remote)
    note_id = f"{instance.actor()}/statuses/{article.id}"
    note = (await get(note_id)).json()
    assert note["interactionPolicy"]["canQuote"] == {"automaticApproval": [PUBLIC]}
    resp = await alice.post(f"{instance.base}/inbox", quote_request(alice, note_id))
    assert resp.status_code == 202
    [got] = await remote.wait_for(1)
    accept = got.json
    assert got.verified_owner == instance.actor()
    assert accept["type"] == "Accept" and accept["actor"] == instance.actor()
    assert accept["object"]["type"] == "QuoteRequest"
    assert accept["object"]["id"] == f"{alice.id}/quote_requests/1-1"
    stamp = (await get(accept["result"])).json()
    assert stamp["type"] == "QuoteAuthorization" and stamp["id"] == accept["result"]
    assert stamp["attributedTo"] == instance.actor()
    assert stamp["interactingObject"] == f"{alice.id}/statuses/1"
    assert stamp["interactionTarget"] == note_id
    # the same quote asked again: the same stamp
    remote.received.clear()
    await alice.post(f"{instance.base}/inbox", quote_request(alice, note_id, attempt=2))
    [again] = await remote.wait_for(1)
    assert again.json["result"] == accept["result"]
    remote.received.clear()
    instance.store.remove_article(article.id)
    await instance.pump()
    # the quoter is told: a signed Delete of the stamp (and the post's Delete, as a follower)
    await remote.wait_for(2)
    revoked = [r for r in remote.of_type("Delete") if r.json["object"] == accept["result"]]
    assert len(revoked) == 1 and revoked[0].verified_owner == instance.actor()
    assert (await get(accept["result"])).status_code in (404, 410)
    assert instance.store.quote_stamps(article.id) == []
    assert (await get(f"{instance.actor()}/quote_authorizations/nosuch")).status_code == 404


async def test_followers_only_quotes_reject_strangers(instance, remote, monkeypatch) -> None:
    settings = instance.state.settings
    sources = [
        s.model_copy(update={"quotes": "followers"}) if s.id == "detailnews" else s
        for s in settings.sources
    ]
    monkeypatch.setattr(
        instance.state, "settings", settings.model_copy(update={"sources": sources})
    )
    article = instance.add_article(1)
    note_id = f"{instance.actor()}/statuses/{article.id}"
    rule = (await get(note_id)).json()["interactionPolicy"]["canQuote"]
    assert rule == {"automaticApproval": [f"{instance.actor()}/followers"]}
    stranger = remote.add_actor("stranger")
    await stranger.post(f"{instance.base}/inbox", quote_request(stranger, note_id))
    [got] = await remote.wait_for(1)
    assert got.json["type"] == "Reject" and "result" not in got.json
    assert instance.store.quote_stamps(article.id) == []


# ---- replies, likes, shares ---------------------------------------------------------------


async def test_replies_are_stored_sanitised_shown_and_counted(instance, remote, tmp_path) -> None:
    alice = await follow(instance, remote)
    article = await published(instance, remote)
    note_id = f"{instance.actor()}/statuses/{article.id}"
    evil = '<p>Terima kasih!<script>alert(1)</script> <a href="javascript:x">x</a></p>'
    resp = await alice.post(f"{instance.base}/inbox", reply(alice, note_id, content=evil))
    assert resp.status_code == 202 and "stored" in resp.text
    like = {"id": f"{alice.id}#like", "type": "Like", "actor": alice.id, "object": note_id}
    assert (await alice.post(f"{instance.base}/inbox", like)).status_code == 202
    note = (await get(note_id)).json()
    assert note["replies"]["totalItems"] == 1
    assert note["replies"]["first"]["items"] == [f"{alice.id}/statuses/r1"]
    assert note["likes"]["totalItems"] == 1 and note["shares"]["totalItems"] == 0
    assert (await get(note["likes"]["id"])).json()["totalItems"] == 1
    page = (await get(f"{note['replies']['id']}?page=1")).json()
    assert page["items"] == [f"{alice.id}/statuses/r1"]
    html = (
        await get(f"{instance.base}/articles/{article.id}", headers={"Accept": "text/html"})
    ).text
    assert "Terima kasih!" in html and "<script>" not in html and "javascript:" not in html
    # moderation: `syndicate replies hide ACTIVITY_ID`
    cfg = write_config(
        tmp_path / "config.toml",
        f'[storage]\nurl = "{instance.store.url}"\n[[sources]]\nid = "detailnews"\nname = "D"\n'
        'url = "https://detailnews.id/"\n',
    )
    listed = run_cli("replies", "list", article.id, config=cfg)
    assert listed.returncode == 0 and f"shown\t{alice.id}/statuses/r1/activity" in listed.stdout
    out = run_cli("replies", "hide", f"{alice.id}/statuses/r1/activity", config=cfg)
    assert out.returncode == 0, out.stderr
    assert run_cli("replies", "hide", "https://nowhere/x", config=cfg).returncode == 2
    html = (
        await get(f"{instance.base}/articles/{article.id}", headers={"Accept": "text/html"})
    ).text
    assert "Terima kasih!" not in html
    assert (await get(note_id)).json()["replies"]["totalItems"] == 0


async def test_replies_are_refused_when_forged_too_big_or_too_many(
    instance, remote, monkeypatch
) -> None:
    alice = await follow(instance, remote)
    article = await published(instance, remote)
    note_id = f"{instance.actor()}/statuses/{article.id}"
    forged = reply(alice, note_id)
    forged["object"]["attributedTo"] = f"{remote.base}/users/bob"
    assert (await alice.post(f"{instance.base}/inbox", forged)).status_code == 403
    huge = reply(alice, note_id, 2, "<p>" + "kata " * 5000 + "</p>")
    assert (await alice.post(f"{instance.base}/inbox", huge)).status_code == 413
    monkeypatch.setattr(federation_module, "REPLIES_PER_HOST_HOUR", 2)
    codes = [
        (await alice.post(f"{instance.base}/inbox", reply(alice, note_id, n))).status_code
        for n in range(3, 6)
    ]
    assert codes == [202, 202, 429]
    assert instance.store.reply_count(article.id) == 2
    gone = {
        "id": f"{alice.id}#del",
        "type": "Delete",
        "actor": alice.id,
        "object": f"{alice.id}/statuses/r3",
    }
    assert "reply removed" in (await alice.post(f"{instance.base}/inbox", gone)).text
    assert instance.store.reply_count(article.id) == 1


# ---- visible corrections ------------------------------------------------------------------


def test_correction_line_reads_like_a_newsroom_note() -> None:
    at = datetime(2026, 1, 7, 0, 10, tzinfo=UTC)
    edits = paragraph_edits("Satu.\n\nDua.\n\nTiga.", "Satu!\n\nDua.\n\nTiga.\n\nEmpat.")
    assert correction_line(at, "Asia/Jayapura", "id", True, edits) == (
        "Diperbarui 7 Januari 2026 09:10 WIT: judul diubah; paragraf 1 dikoreksi; "
        "paragraf 4 ditambahkan"
    )
    assert correction_line(at, "Asia/Makassar", "en", False, paragraph_edits("A", "B")) == (
        "Updated 7 January 2026 08:10 WITA: paragraph 1 corrected"
    )
    assert local_stamp(at, "Asia/Jakarta", "id") == "7 Januari 2026 07:10 WIB"


async def test_a_correction_is_a_dated_line_in_the_update_the_feed_and_the_page(
    instance, remote
) -> None:
    await follow(instance, remote)
    article = await published(instance, remote, published=datetime.now(UTC) - timedelta(hours=2))
    fixed_at = datetime.now(UTC).replace(second=0, microsecond=0)
    instance.store.upsert_entry(
        "detailnews",
        Entry(
            url="https://detailnews.id/berita/1",
            title="Pemkot Bitung gelar rapat koordinasi",
            summary="Wali Kota Bitung memimpin rapat koordinasi.\n\nRapat membahas banjir rob.",
            content_text="Wali Kota Bitung memimpin rapat koordinasi.\n\nRapat membahas banjir rob.",
            published=article.published,
            language="id",
        ),
        now=fixed_at,
    )
    await instance.pump()
    [got] = await remote.wait_for(1)
    when = local_stamp(fixed_at, "Asia/Makassar", "id")  # e.g. "7 Januari 2026 09:10 WITA"
    line = f"Diperbarui {when}: judul diubah; paragraf 2 dikoreksi"
    update = got.json
    assert update["type"] == "Update"
    assert line in update["object"]["content"]
    assert "banjir rob" in update["object"]["content"]  # the new text itself
    assert line in (await get(update["object"]["id"])).json()["content"]
    page = (
        await get(f"{instance.base}/articles/{article.id}", headers={"Accept": "text/html"})
    ).text
    assert line in page and f"/articles/{article.id}/versions" in page
    versions = (
        await get(
            f"{instance.base}/articles/{article.id}/versions", headers={"Accept": "text/html"}
        )
    ).text
    assert "Pemkot Bitung gelar rapat 1" in versions  # the title readers saw first
    assert "Rapat membahas banjir." in versions
    feed = (await get(f"{instance.base}/feeds/detailnews.rss", headers={})).text
    assert line in feed
    await asyncio.sleep(0)


# ---- FEP-8fcf followers synchronisation ---------------------------------------------------


async def test_deliveries_carry_a_signed_followers_digest_and_the_partial_collection(
    instance, remote_factory
) -> None:
    import hashlib

    from bovine.crypto.http_signature import build_signature
    from bovine.crypto.types import CryptographicSecret
    from bovine.utils import get_gmt_now

    mastodon = await remote_factory()
    other = await remote_factory()
    alice = await follow(instance, mastodon, "alice")
    await follow(instance, mastodon, "bob")
    await follow(instance, other, "carol")
    instance.add_article(1)
    await instance.pump()
    [got] = await mastodon.wait_for(1)
    await other.wait_for(1)
    assert got.verified_owner == instance.actor()
    header = got.headers["collection-synchronization"]
    assert "collection-synchronization" in got.headers["signature"]  # signed with the rest
    mine = [f"{mastodon.base}/users/alice", f"{mastodon.base}/users/bob"]
    xor = 0
    for actor_id in mine:
        xor ^= int.from_bytes(hashlib.sha256(actor_id.encode()).digest(), "big")
    sync_url = f"{instance.actor()}/followers_synchronization"
    assert header == (
        f'collectionId="{instance.actor()}/followers", url="{sync_url}", digest="{xor:064x}"'
    )
    assert (
        f'collectionId="{instance.actor()}/followers"'
        in other.received[0].headers["collection-synchronization"]
    )
    # the partial collection: only the signer's server's followers, and only signed
    assert (await get(sync_url)).status_code == 401
    date = get_gmt_now()
    host = sync_url.split("/")[2]
    sig = build_signature(host, "get", "/users/detailnews/followers_synchronization").with_field(
        "date", date
    )
    secret = CryptographicSecret.from_pem(alice.key_id, alice.private_pem)
    headers = {**AS_JSON, "Date": date, "Signature": sig.sign_for_http_draft(secret)}
    doc = (await get(sync_url, headers=headers)).json()
    assert sorted(doc["orderedItems"]) == sorted(mine)
