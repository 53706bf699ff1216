"""Federation fixtures: our server and "remote" Fediverse servers, all real HTTP on loopback.

A RemoteServer plays another instance: it serves its own actors (with their own RSA keys) and a
shared inbox that records every POST. Signatures it receives are checked with bovine, an
independent implementation, never with our own verifier.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import uvicorn
from bovine.crypto import generate_rsa_public_private_key
from bovine.crypto.http_signature import build_signature
from bovine.crypto.signature_checker import SignatureChecker
from bovine.crypto.types import CryptographicIdentifier, CryptographicSecret
from bovine.utils import get_gmt_now
from conftest import free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syndicate.config import settings_from_dict
from syndicate.models import Entry
from syndicate.publish.activitypub.delivery import DeliveryService, process_events
from syndicate.publish.activitypub.federation import federation_for
from syndicate.store import Store, open_store
from syndicate.web.app import create_app

AS_JSON = "application/activity+json"


async def serve(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    """Run an ASGI app on 127.0.0.1:port inside the test's event loop."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.01)
    return server, task


async def stop_server(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    server.should_exit = True
    with contextlib.suppress(Exception):
        await asyncio.wait_for(task, 5)


async def fetch_public_key(key_id: str) -> CryptographicIdentifier | None:
    """bovine's key retriever: an unsigned GET of the keyId, as a third-party server would."""
    async with httpx.AsyncClient() as client:
        resp = await client.get(key_id.split("#")[0], headers={"Accept": AS_JSON})
    if resp.status_code != 200:
        return None
    doc = resp.json()
    key = doc.get("publicKey", doc)
    return CryptographicIdentifier.from_pem(key["publicKeyPem"], key["owner"])


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified_owner: str | None  # what bovine's SignatureChecker says (None: not valid)

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class RemoteActor:
    server: RemoteServer
    name: str
    public_pem: str
    private_pem: str
    gone: bool = False

    @property
    def id(self) -> str:
        return f"{self.server.base}/users/{self.name}"

    @property
    def key_id(self) -> str:
        return f"{self.id}#main-key"

    @property
    def inbox(self) -> str:
        return f"{self.id}/inbox"

    def document(self) -> dict[str, Any]:
        doc = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.id,
            "type": "Person",
            "preferredUsername": self.name,
            "inbox": self.inbox,
            "outbox": f"{self.id}/outbox",
            "publicKey": {"id": self.key_id, "owner": self.id, "publicKeyPem": self.public_pem},
        }
        if self.server.shared_inbox:
            doc["endpoints"] = {"sharedInbox": f"{self.server.base}/inbox"}
        return doc

    def signed_headers(
        self,
        url: str,
        body: bytes,
        *,
        date: str | None = None,
        digest: str | None = None,
        key_id: str | None = None,
        private_pem: str | None = None,
    ) -> dict[str, str]:
        """Sign a POST with bovine (draft-cavage, rsa-sha256)."""
        from urllib.parse import urlsplit

        from bovine.crypto.helper import content_digest_sha256

        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        date = date or get_gmt_now()
        digest = digest or content_digest_sha256(body, prefix="SHA-256")
        sig = (
            build_signature(parts.netloc, "post", target)
            .with_field("date", date)
            .with_field("digest", digest)
        )
        secret = CryptographicSecret.from_pem(
            key_id or self.key_id, private_pem or self.private_pem
        )
        return {
            "Host": parts.netloc,
            "Date": date,
            "Digest": digest,
            "Signature": sig.sign_for_http_draft(secret),
            "Content-Type": AS_JSON,
        }

    async def post(self, url: str, activity: dict[str, Any], **kw: Any) -> httpx.Response:
        body = json.dumps(activity).encode()
        headers = self.signed_headers(url, body, **kw)
        async with httpx.AsyncClient() as client:
            return await client.post(url, content=body, headers=headers)


class RemoteServer:
    """Another Fediverse server on loopback: actors, inboxes, and a log of what arrived."""

    def __init__(self, *, shared_inbox: bool = True, inbox_status: int = 202) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.shared_inbox = shared_inbox
        self.inbox_status = inbox_status
        self.actors: dict[str, RemoteActor] = {}
        self.received: list[Received] = []
        self.arrived = asyncio.Event()
        self.key_fetches: list[dict[str, str]] = []
        # Anything else the server hands out as JSON (uploads, API echoes, hand-made actors and
        # keys): path under /files/ -> document. Every GET of them is logged in file_fetches.
        self.files: dict[str, dict[str, Any]] = {}
        self.file_fetches: list[str] = []
        self.checker = SignatureChecker(fetch_public_key)
        self.app = Starlette(
            routes=[
                Route("/users/{name}", self._actor),
                Route("/users/{name}/inbox", self._inbox, methods=["POST"]),
                Route("/inbox", self._inbox, methods=["POST"]),
                Route("/files/{path:path}", self._file),
            ]
        )

    def file_url(self, path: str) -> str:
        return f"{self.base}/files/{path}"

    async def _file(self, request: Request) -> Response:
        path = request.path_params["path"]
        self.file_fetches.append(path)
        doc = self.files.get(path)
        if doc is None:
            return Response(status_code=404)
        return JSONResponse(doc, media_type="application/json")

    def add_actor(self, name: str) -> RemoteActor:
        public, private = _their_key(name)
        actor = RemoteActor(self, name, public, private)
        self.actors[name] = actor
        return actor

    async def _actor(self, request: Request) -> Response:
        self.key_fetches.append(dict(request.headers))
        actor = self.actors.get(request.path_params["name"])
        if actor is None:
            return Response(status_code=404)
        if actor.gone:
            return Response(status_code=410)
        return JSONResponse(actor.document(), media_type=AS_JSON)

    async def _inbox(self, request: Request) -> Response:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        owner = await self.checker.validate_signature(
            "post", str(request.url), headers, lambda: _const(body)
        )
        self.received.append(Received(request.url.path, headers, body, owner))
        self.arrived.set()
        return Response(status_code=self.inbox_status)

    async def wait_for(self, n: int, timeout: float = 10.0) -> list[Received]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.received) < n:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"expected {n} deliveries, got {len(self.received)}")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), left)
        return self.received

    def of_type(self, kind: str) -> list[Received]:
        return [r for r in self.received if r.json.get("type") == kind]


async def _const(body: bytes) -> bytes:
    return body


@dataclass
class Instance:
    """Our own server: settings, store, app served on loopback and delivery workers running."""

    base: str
    store: Store
    state: Any
    delivery: DeliveryService | None
    servers: list[Any] = field(default_factory=list)

    @property
    def fed(self):  # type: ignore[no-untyped-def]
        return federation_for(self.state)

    def actor(self, sid: str = "detailnews") -> str:
        return f"{self.base}/users/{sid}"

    def add_article(self, n: int = 1, *, backfill: bool = False, **kw: Any):  # type: ignore[no-untyped-def]
        base = {
            "url": f"https://detailnews.id/berita/{n}",
            "title": f"Pemkot Bitung gelar rapat {n}",
            "summary": "Wali Kota Bitung memimpin rapat koordinasi.\n\nRapat membahas banjir.",
            "content_text": "Wali Kota Bitung memimpin rapat koordinasi.\n\nRapat membahas banjir.",
            "content_html": "<p>Wali Kota Bitung memimpin rapat koordinasi.</p>",
            "published": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
            "tags": ["Bitung", "Pemerintahan"],
            "image": f"https://detailnews.id/img/{n}.png",
            "image_alt": "Rapat di kantor wali kota",
            "language": "id",
        }
        base.update(kw)
        article, _ = self.store.upsert_entry("detailnews", Entry(**base), backfill=backfill)
        return article

    async def pump(self) -> None:
        """Turn pending article events into activities now (the poller does it within ~1 s)."""
        await asyncio.to_thread(process_events, self.fed)
        self.fed.wake()


def offline_federation(db_url: str):  # type: ignore[no-untyped-def]
    """A store and its Federation with one source and no web server: for process_events."""
    settings = settings_from_dict(
        {
            "server": {"base_url": "https://news.example"},
            "sources": [
                {
                    "id": "detailnews",
                    "name": "DetailNews.id",
                    "url": "https://detailnews.id/",
                    "kind": "feed",
                }
            ],
        }
    )
    store = open_store(db_url)
    return store, federation_for(
        SimpleNamespace(settings=settings, store=store, federation=None, node="local")
    )


def make_settings(base: str, tmp_path: Any, db: str, **federation: Any):  # type: ignore[no-untyped-def]
    fed = {"allow_private_networks": ["127.0.0.0/8"], "workers": 4, "delivery_lease": "5s"}
    fed.update(federation)
    return settings_from_dict(
        {
            "server": {"base_url": base},
            "storage": {"url": db},
            "federation": fed,
            "sources": [
                {
                    "id": "detailnews",
                    "name": "DetailNews.id (Bitung)",
                    "url": "https://detailnews.id/",
                    "description": "Berita Kota Bitung",
                    "kind": "feed",
                    "feed_url": "https://detailnews.id/feed/",
                },
                {
                    "id": "kabarkito",
                    "name": "Kabar Kito",
                    "url": "https://kabarkito.example/",
                    "kind": "feed",
                    "object_type": "Article",
                },
            ],
        }
    )


@functools.cache
def _our_key(owner: str) -> tuple[str, str]:
    from syndicate.publish.activitypub.signatures import generate_key

    return generate_key()


@functools.cache
def _their_key(name: str) -> tuple[str, str]:
    return generate_rsa_public_private_key()


@contextlib.asynccontextmanager
async def running_instance(
    db_url: str, tmp_path: Any, *, deliver: bool = True, **federation: Any
) -> AsyncIterator[Instance]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(base, tmp_path, db_url, **federation)
    store = open_store(db_url)
    for owner in ("~instance", "detailnews", "kabarkito"):  # RSA keygen is slow; reuse per session
        store.save_ap_key(owner, *_our_key(owner))
    app = create_app(settings, store)
    state = app.state.syndicate
    server, task = await serve(app, port)
    delivery = None
    if deliver:
        delivery = DeliveryService(state)
        delivery.start()
    try:
        yield Instance(base, store, state, delivery)
    finally:
        if delivery is not None:
            await delivery.stop()
        else:
            await federation_for(state).aclose()
        await stop_server(server, task)
        store.close()


@pytest.fixture
async def instance(db_url: str, tmp_path: Any) -> AsyncIterator[Instance]:
    async with running_instance(db_url, tmp_path) as inst:
        yield inst


@pytest.fixture
async def remote() -> AsyncIterator[RemoteServer]:
    srv = RemoteServer()
    server, task = await serve(srv.app, srv.port)
    yield srv
    await stop_server(server, task)


@pytest.fixture
async def remote_factory() -> AsyncIterator[Any]:
    started: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def make(**kw: Any) -> RemoteServer:
        srv = RemoteServer(**kw)
        started.append(await serve(srv.app, srv.port))
        return srv

    yield make
    for server, task in started:
        await stop_server(server, task)
