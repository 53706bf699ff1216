"""A real Fedify server (Node 22, @fedify/fedify 2.3.6) follows a source over loopback.

Fedify, not our code, verifies our signatures (draft-cavage, and RFC 9421 after a double knock),
parses each Create / Update / Delete with its own vocabulary, sends a Mastodon-shaped
QuoteRequest and dereferences the QuoteAuthorization stamp we answer with."""

from __future__ import annotations

import json

from fedify_peer import fedify_peer
from fedutil import running_instance

from syndicate.models import Entry

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def test_fedify_follows_reads_quotes_and_sees_removal(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'fedify.db'}"
    async with running_instance(db, tmp_path) as inst, fedify_peer() as peer:
        actor = inst.actor()
        looked_up = await peer.control("follow", actor=actor)
        assert looked_up["class"] == "Service" and looked_up["actor"] == actor
        accept = await peer.wait_for("the Accept of its Follow", lambda e: e["kind"] == "Accept")
        assert accept["actor"] == actor and accept["object"] == "Follow"
        [follower] = inst.store.followers("detailnews")
        assert follower.actor_id == peer.actor

        article = inst.add_article(1)
        await inst.pump()
        create = await peer.wait_for("the Create", lambda e: e["kind"] == "Create")
        note = create["object"]
        assert create["actor"] == actor and create["scheme"] == "cavage"
        assert note["class"] == "Note"
        assert note["id"] == f"{actor}/statuses/{article.id}"
        assert note["url"] == f"{inst.base}/articles/{article.id}"
        assert note["published"] == "2026-03-01T09:30:00Z"
        assert note["attributedTo"] == actor and PUBLIC in note["to"]
        assert "<strong>Pemkot Bitung gelar rapat 1</strong>" in note["content"]
        assert "#bitung" in note["tags"]
        # Mastodon >= 4.5 lets people quote only a post with a canQuote policy.
        assert note["canQuote"] == {"automatic": [PUBLIC], "manual": []}
        for coll in ("repliesId", "likesId", "sharesId"):
            assert note[coll], f"{coll} missing"

        # A server that wants RFC 9421: our draft-cavage POST is refused, we knock again.
        await peer.control("require-rfc9421", on=True)
        inst.store.upsert_entry(
            "detailnews",
            Entry(
                url="https://detailnews.id/berita/1",
                title="Pemkot Bitung gelar rapat koordinasi 1",
                summary="Wali Kota Bitung memimpin rapat koordinasi banjir.",
                content_text="Wali Kota Bitung memimpin rapat koordinasi banjir.",
                published=article.published,
                language="id",
            ),
        )
        await inst.pump()
        update = await peer.wait_for("the Update", lambda e: e["kind"] == "Update")
        assert update["scheme"] == "rfc9421"
        assert (await peer.state())["refusedForRfc9421"] >= 1
        assert "koordinasi 1</strong>" in update["object"]["content"]
        assert "judul diubah; paragraf 1 dikoreksi" in update["object"]["content"]  # visible
        assert update["object"]["updated"]
        await peer.control("require-rfc9421", on=False)

        # FEP-044f: a QuoteRequest is answered with Accept{result: stamp}, and the stamp
        # dereferences to a QuoteAuthorization Fedify can read.
        await peer.control("quote", object=note["id"])
        quoted = await peer.wait_for(
            "the Accept of its QuoteRequest",
            lambda e: e["kind"] == "Accept" and e["object"] == "QuoteRequest",
        )
        stamp = quoted["stamp"]
        print("Fedify stamp:", json.dumps(stamp, indent=1))
        assert quoted["result"] == stamp["id"]
        assert stamp["class"] == "QuoteAuthorization"
        assert stamp["attributedTo"] == actor
        assert stamp["interactionTarget"] == note["id"]
        assert stamp["interactingObject"] == f"{peer.base}/notes/quote-1"
        assert (await peer.control("lookup", url=stamp["id"]))["status"] == 200

        # Removal: a Delete with a Tombstone; the post and its stamp stop resolving.
        inst.store.remove_article(article.id)
        await inst.pump()
        delete = await peer.wait_for(
            "the Delete", lambda e: e["kind"] == "Delete" and e["objectId"] == note["id"]
        )
        assert delete["actor"] == actor and delete["object"] == "Tombstone"
        revoked = await peer.wait_for(
            "the Delete of its stamp",
            lambda e: e["kind"] == "Delete" and e["objectId"] == stamp["id"],
        )
        assert revoked["actor"] == actor
        gone_note = await peer.control("lookup", url=note["id"])
        gone_stamp = await peer.control("lookup", url=stamp["id"])
        assert gone_note["status"] == 410
        assert gone_stamp["status"] in (404, 410) and gone_stamp["parsed"] is None
        state = await peer.state()
        checks = [
            f"{e['kind']}({e.get('object') if isinstance(e.get('object'), str) else (e.get('object') or {}).get('class')}) "
            f"verified by Fedify, {e['scheme']}"
            for e in state["received"]
        ]
        print("Fedify checks:", json.dumps(checks, indent=1))
        print("after removal: note", gone_note["status"], "stamp", gone_stamp["status"])
        assert state["errors"] == []
