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
                {"id": "dinkes", "name": "Dinkes", "url": "https://dinkes.example/", "kind": "api"},
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


def test_a_post_needs_an_id_or_url(api) -> None:  # type: ignore[no-untyped-def]
    url, store = api
    bare = {k: v for k, v in POST.items() if k != "id"}
    r = post(url, bare)
    assert r.status_code == 422 and "id: give id or url" in r.json()["problems"]
    r = post(url, [POST, bare])
    assert r.status_code == 422 and "posts[1].id: give id or url" in r.json()["problems"]
    assert store.count_articles() == 0


def test_conflicting_urls_answer_409(api) -> None:  # type: ignore[no-untyped-def]
    url, store = api
    a = {**POST, "id": "a", "url": "https://news.example/a"}
    b = {**POST, "id": "b", "url": "https://news.example/b", "title": "Lain"}
    assert post(url, a).status_code == 201 and post(url, b).status_code == 201
    # Post a moves to b's url: two stored posts would share one canonical url.
    r = post(url, {**a, "url": "https://news.example/b", "title": "Pindah"})
    assert r.status_code == 409, r.text
    assert "id 'a'" in r.json()["error"]


def test_relative_links_resolve_against_the_post_or_source_url(api) -> None:  # type: ignore[no-untyped-def]
    url, store = api
    html = '<p>Lihat <a href="/data/dbd">data</a> <img src="img/peta.jpg" alt="peta"></p>'
    with_url = {**POST, "id": "r1", "url": "https://news.example/2026/berita", "content_html": html}
    r = post(url, with_url)
    stored = store.get_article(r.json()["results"][0]["id"])
    assert 'href="https://news.example/data/dbd"' in stored.content_html
    assert 'src="https://news.example/2026/img/peta.jpg"' in stored.content_html
    r = post(url, {**POST, "source": "dinkes", "id": "r2", "content_html": html})
    stored = store.get_article(r.json()["results"][0]["id"])
    assert 'href="https://dinkes.example/data/dbd"' in stored.content_html


def test_body_cap_is_checked_while_reading(api) -> None:  # type: ignore[no-untyped-def]
    """A chunked body that never ends is refused once it passes 2 MB, not read to the end."""
    import socket
    from urllib.parse import urlsplit

    u = urlsplit(api[0])
    with socket.create_connection((u.hostname, u.port), timeout=5) as sock:
        sock.sendall(
            b"POST /api/posts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        chunk = b" " * 65536
        for _ in range(40):  # 2.6 MB, and no terminating chunk
            sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        sock.settimeout(5)
        answer = sock.recv(200)
    assert answer.startswith(b"HTTP/1.1 413"), answer


def test_delete_retracts_a_post_once(api) -> None:  # type: ignore[no-untyped-def]
    url, store = api
    r = post(url, POST)
    article_id = r.json()["results"][0]["id"]
    auth = {"Authorization": f"Bearer {TOKEN}"}
    target = f"{url}/newsroom/{POST['id']}"
    assert httpx.delete(target).status_code == 401
    mark = store.last_event_id()
    assert httpx.delete(target, headers=auth).status_code == 204
    assert httpx.delete(target, headers=auth).status_code == 204  # idempotent
    kinds = [(e.kind.value, e.article_id) for e in store.events_after(mark)]
    assert kinds == [("removed", article_id)]
    assert store.get_article(article_id).status.value == "removed"
    r = httpx.delete(f"{url}/newsroom/nope", headers=auth)
    assert r.status_code == 404 and "nope" in r.json()["error"]
    assert httpx.delete(f"{url}/site/x", headers=auth).status_code == 404
    # Posting it again revives it as an update.
    r = post(url, {**POST, "title": "Posyandu Lansia Dibuka Lagi"})
    assert r.json()["results"][0] == {"id": article_id, "source": "newsroom", "change": "updated"}
