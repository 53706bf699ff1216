"""The push API under hostile input (issue 12), over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import LiveServer, free_port

from syndicate.config import settings_from_dict
from syndicate.models import Entry
from syndicate.store import Store, open_store
from syndicate.web.app import create_app

TOKEN = "shared-token"
DINKES_TOKEN = "dinkes-own-token"


def body(n: int, **kw: Any) -> dict[str, Any]:
    return {
        "source": "newsroom",
        "id": f"p{n}",
        "url": f"https://news.example/{n}",
        "title": f"Berita {n}",
        "content_text": f"Isi berita nomor {n}.",
        "published": "2026-01-05T11:42:18+08:00",
        **kw,
    }


class Api:
    def __init__(self, server: LiveServer, store: Store) -> None:
        self.server, self.store = server, store

    def post(self, data: Any, token: str = TOKEN, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
        if "content" not in kw:
            kw["json"] = data
        return self.server.client.post("/api/posts", headers=headers, **kw)

    def delete(self, path: str, token: str = TOKEN) -> httpx.Response:
        return self.server.client.delete(
            f"/api/posts/{path}", headers={"Authorization": f"Bearer {token}"}
        )


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    port = free_port()
    settings = settings_from_dict(
        {
            "server": {"base_url": f"http://127.0.0.1:{port}", "port": port},
            "api": {"token": TOKEN},
            "sources": [
                {"id": "newsroom", "name": "Newsroom", "url": "push", "kind": "api"},
                {
                    "id": "dinkes",
                    "name": "Dinkes",
                    "url": "push",
                    "kind": "api",
                    "token": DINKES_TOKEN,
                },
            ],
        }
    )
    store = open_store(db_url)
    server = LiveServer(create_app(settings, store), port)
    yield Api(server, store)
    server.stop()
    store.close()


def test_a_nul_in_a_batch_stores_every_post_clean(api: Api) -> None:
    r = api.post([body(1), body(2, title="Ber\x00ita\x01 dua", content_text="a\x00b"), body(3)])
    assert r.status_code == 201, r.text
    ids = [x["id"] for x in r.json()["results"]]
    assert len(ids) == 3 and api.store.count_articles("newsroom") == 3
    assert api.store.get_article(ids[1]).title == "Berita dua"


def test_a_batch_is_all_or_nothing(api: Api) -> None:
    assert api.post(body(1)).status_code == 201
    # The second post reuses post 1's url under another id: nothing of the batch is stored.
    r = api.post([body(2), body(3, url="https://news.example/1"), body(4)])
    assert r.status_code == 409, r.text
    assert "posts[1].url" in r.json()["error"]
    assert api.store.count_articles("newsroom") == 1


def test_reusing_another_posts_url_is_409_and_both_stay_deletable(api: Api) -> None:
    assert api.post(body(1)).status_code == 201
    r = api.post(body(2, url="https://news.example/1", title="Penyerobot"))
    assert r.status_code == 409, r.text
    first = api.store.find_article("newsroom", guid="api:newsroom:p1")
    assert first is not None and first.title == "Berita 1"  # not rewritten
    assert api.delete("newsroom/p1").status_code == 204


def test_json_nested_100k_deep_is_400_not_500(api: Api) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    r = api.post(None, content=deep, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "deeper" in r.json()["error"]
    nested: Any = body(1)
    for _ in range(40):
        nested = {"posts": [nested]}
    r = api.post(nested)
    assert r.status_code == 400, r.text
    r = api.post(None, content=b"[1e999999, NaN]", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert api.store.count_articles() == 0


def test_over_long_fields_get_a_422_naming_each_field(api: Api) -> None:
    r = api.post(
        [
            body(1, tags=[f"t{i}" for i in range(51)]),
            body(2, url="https://news.example/" + "a" * 3000),
            body(3, summary="s" * 10_000, authors=["x" * 300]),
        ]
    )
    assert r.status_code == 422, r.text
    problems = " ".join(r.json()["problems"])
    for field in ("posts[0].tags", "posts[1].url", "posts[2].summary", "posts[2].authors"):
        assert field in problems, problems
    assert api.store.count_articles() == 0


def test_ids_with_a_slash_are_refused_and_old_ones_deletable(api: Api) -> None:
    r = api.post(body(1, id="2026/001"))
    assert r.status_code == 422 and "id" in r.json()["problems"][0]
    # A post stored before the rule (its guid holds a '/') can still be retracted.
    old, _ = api.store.upsert_entry(
        "newsroom",
        Entry(url="https://news.example/old", title="Lama", guid="api:newsroom:2025/9"),
    )
    assert api.delete("newsroom/2025/9").status_code == 204
    assert api.store.get_article(old.id).status.value == "removed"


def test_each_api_source_takes_only_its_own_token(api: Api) -> None:
    # dinkes has its own token: the shared one may not write there, and vice versa.
    r = api.post(body(1, source="dinkes"))
    assert r.status_code == 403 and "dinkes" in r.json()["error"]
    assert api.post(body(2), token=DINKES_TOKEN).status_code == 403
    assert api.post(body(3, source="dinkes"), token=DINKES_TOKEN).status_code == 201
    assert api.delete("dinkes/p3").status_code == 403
    assert api.post(body(4), token="wrong").status_code == 401
    assert api.store.count_articles("dinkes") == 1 and api.store.count_articles("newsroom") == 0
