"""Property-based fuzzing of the inbox with *validly signed* activities (issue 12; by hostile):
whatever type, object, nesting or junk a real, verified peer sends, the answer is a 2xx or a
4xx, never a 500 or a hang. Unsigned junk is fuzzed in tests/web/test_fuzz.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LiveServer, free_port
from fedutil import RemoteServer, _our_key, make_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syndicate.models import Entry
from syndicate.store import open_store
from syndicate.web.app import create_app

FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
TYPES = [
    "Follow",
    "Undo",
    "Like",
    "EmojiReact",
    "Announce",
    "Create",
    "Update",
    "Delete",
    "Accept",
    "Reject",
    "Move",
    "Block",
    "Flag",
    "Add",
    "Remove",
    "Note",
    "Question",
    "",
    "💥",
]

text = st.lists(
    st.one_of(st.characters(codec=None), st.sampled_from(["\x00", "\ufffe", "\ud800", "&#1;"])),
    max_size=40,
).map("".join)


class Peer:
    def __init__(self, tmp: Path) -> None:
        self.remote = RemoteServer()
        self.remote_server = LiveServer(self.remote.app, self.remote.port)
        self.alice = self.remote.add_actor("alice")
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        db = f"sqlite:///{tmp / 'fuzz.db'}"
        self.store = open_store(db)
        for owner in ("~instance", "detailnews", "kabarkito"):
            self.store.save_ap_key(owner, *_our_key(owner))
        article, _ = self.store.upsert_entry(
            "detailnews",
            Entry(
                url="https://detailnews.id/berita/1",
                title="Rapat",
                content_text="Isi",
                published=datetime(2026, 3, 1, tzinfo=UTC),
            ),
        )
        self.article = f"{self.base}/users/detailnews/statuses/{article.id}"
        self.server = LiveServer(create_app(make_settings(self.base, tmp, db), self.store), port)
        self.client = httpx.Client(timeout=30)

    def post(self, path: str, activity: Any) -> httpx.Response:
        url = self.base + path
        body = json.dumps(activity).encode()
        return self.client.post(url, content=body, headers=self.alice.signed_headers(url, body))

    def stop(self) -> None:
        self.client.close()
        self.server.stop()
        self.remote_server.stop()
        self.store.close()


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    p = Peer(tmp_path_factory.mktemp("inboxfuzz"))
    yield p
    p.stop()


def objects(peer_urls: list[str]) -> st.SearchStrategy[Any]:
    leaf = st.one_of(st.none(), st.booleans(), st.integers(), text, st.sampled_from(peer_urls))
    return st.recursive(
        leaf,
        lambda kids: (
            st.lists(kids, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "id",
                        "type",
                        "actor",
                        "object",
                        "content",
                        "inReplyTo",
                        "to",
                        "cc",
                        "attributedTo",
                        "tag",
                        "url",
                        "name",
                        "published",
                    ]
                )
                | text,
                kids | st.sampled_from(TYPES),
                max_size=6,
            )
        ),
        max_leaves=25,
    )


@st.composite
def activities(draw: st.DrawFn, peer: Peer) -> dict[str, Any]:
    urls = [peer.article, f"{peer.base}/users/detailnews", peer.alice.id, "https://x.example/a"]
    doc: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.alice.id}#a{draw(st.integers(0, 10**9))}",
        "type": draw(st.sampled_from(TYPES) | text),
        "actor": peer.alice.id,
        "object": draw(objects(urls)),
    }
    for key, value in draw(st.dictionaries(text, objects(urls), max_size=3)).items():
        doc.setdefault(key, value)
    return doc


@FUZZ
@given(data=st.data(), path=st.sampled_from(["/inbox", "/users/detailnews/inbox"]))
def test_any_signed_activity_gets_a_clean_answer(
    peer: Peer, data: st.DataObject, path: str
) -> None:
    activity = data.draw(activities(peer))
    r = peer.post(path, activity)
    assert r.status_code < 500, (r.status_code, r.text[:300], activity)
    # the service still answers after it
    assert peer.server.get("/healthz").status_code in (200, 503)


def test_the_fuzzed_requests_pass_the_signature_check(peer: Peer) -> None:
    """The fuzzing above reaches activity handling: a plain signed Follow is accepted."""
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.alice.id}#follow-check",
        "type": "Follow",
        "actor": peer.alice.id,
        "object": f"{peer.base}/users/detailnews",
    }
    assert peer.post("/users/detailnews/inbox", follow).status_code == 202
