"""POST /api/posts over real HTTP: bearer token, precise 4xx messages, new / correction / unchanged."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from conftest import free_port

from syndicate.config import settings_from_dict
from syndicate.store import open_store
from syndicate.web.app import create_app

TOKEN = "s3cret-token"
POST = {
    "source": "newsroom",
    "id": "2026-001",
    "title": "Posyandu Lansia Dibuka",
    "content_html": "<p>TOMOHON – Posyandu lansia dibuka di Kelurahan Matani.</p><p>Warga antusias.</p>",
    "published": "2026-01-05T11:42:18+08:00",
    "authors": "Rina, Budi",
    "tags": ["Kesehatan"],
}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[str, object]]:
    settings = settings_from_dict(
        {
            "api": {"token": TOKEN},
            "sources": [
                {"id": "newsroom", "name": "Newsroom", "url": "push", "kind": "api"},
                {"id": "site", "name": "Site", "url": "http://127.0.0.1:9/", "kind": "feed"},
            ],
        }
    )
    store = open_store(f"sqlite:///{tmp_path / 'api.db'}")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, store), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/api/posts", store
    server.should_exit = True
    thread.join(5)
    store.close()


def post(url: str, body: object, token: str | None = TOKEN, **kw: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(url, json=body, headers=headers, timeout=10, **kw)  # type: ignore[arg-type]


def test_new_then_correction_then_unchanged(api) -> None:  # type: ignore[no-untyped-def]
    url, store = api
    r = post(url, POST)
    assert r.status_code == 201, r.text
    [res] = r.json()["results"]
    assert res["change"] == "new"
    article = store.get_article(res["id"])
    assert article.title == "Posyandu Lansia Dibuka"
    assert article.authors == ["Rina", "Budi"]
    assert article.published.isoformat() == "2026-01-05T11:42:18+08:00"
    r = post(url, {**POST, "title": "Posyandu Lansia Resmi Dibuka"})
    assert r.status_code == 200 and r.json()["results"][0]["change"] == "updated"
    assert r.json()["results"][0]["id"] == res["id"]  # same article, corrected
    r = post(url, {"posts": [{**POST, "title": "Posyandu Lansia Resmi Dibuka"}]})
    assert r.json()["results"][0]["change"] == "unchanged"


def test_auth_is_required(api) -> None:  # type: ignore[no-untyped-def]
    url, store = api
    assert post(url, POST, token=None).status_code == 401
    r = post(url, POST, token="wrong")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert store.count_articles() == 0


def test_bad_payloads_get_precise_messages(api) -> None:  # type: ignore[no-untyped-def]
    url, store = api
    r = httpx.post(
        url,
        content=b"{not json",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and "line 1 column 2" in r.json()["error"]
    r = httpx.post(
        url,
        content=b"x",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/plain"},
    )
    assert r.status_code == 415
    r = post(url, {**POST, "published": "2026-01-05T11:42:18", "titel": "x"})
    assert r.status_code == 422
    problems = r.json()["problems"]
    assert any(p.startswith("published: needs a UTC offset") for p in problems)
    assert "titel: unknown field" in problems
    r = post(url, [POST, {**POST, "source": "site"}, {**POST, "source": "nope"}])
    assert r.status_code == 422
    problems = r.json()["problems"]
    assert "posts[1].source: source 'site' is kind 'feed', not \"api\"" in problems
    assert any(p.startswith("posts[2].source: unknown source 'nope'") for p in problems)
    r = post(url, {k: v for k, v in POST.items() if k != "title"})
    assert r.status_code == 422 and "title: required field is missing" in r.json()["problems"]
    assert store.count_articles() == 0  # a batch with one bad post stores nothing
