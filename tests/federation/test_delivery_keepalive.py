"""Fan-out keeps connections alive: a burst of deliveries to a few hosts, real HTTP on loopback,
uses at most two connections per inbox host (it used to open one per delivery, up to the pool
size at once to a single host) and every delivery arrives."""

from __future__ import annotations

import asyncio
import collections

from conftest import free_port
from fedutil import running_instance, serve, stop_server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

HOSTS, INBOXES, ARTICLES = 3, 6, 2  # personal inboxes: 12 deliveries per host


class CountingInbox:
    """A remote server whose inboxes answer slowly, noting which TCP connection each POST
    arrived on (the client's address and port are the connection's)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.connections: set[tuple[str, int]] = set()
        self.posts = 0
        self.app = Starlette(routes=[Route("/users/{name}/inbox", self.inbox, methods=["POST"])])

    async def inbox(self, request: Request) -> Response:
        await request.body()
        assert request.client is not None
        self.connections.add((request.client.host, request.client.port))
        self.posts += 1
        await asyncio.sleep(0.02)  # slow enough that senders overlap on one host
        return Response(status_code=202)


async def test_a_burst_reuses_at_most_two_connections_per_host(db_url, tmp_path) -> None:
    remotes = [CountingInbox() for _ in range(HOSTS)]
    started = [await serve(r.app, r.port) for r in remotes]
    try:
        async with running_instance(db_url, tmp_path, deliver=True) as inst:
            for r in remotes:
                for i in range(INBOXES):
                    actor = f"http://127.0.0.1:{r.port}/users/u{i}"
                    inst.store.add_follower("detailnews", actor, f"{actor}/inbox", None, None)
            for n in range(ARTICLES):
                inst.add_article(n + 1)
            await inst.pump()
            for _ in range(400):
                if inst.store.delivery_counts().get("done", 0) == HOSTS * INBOXES * ARTICLES:
                    break
                await asyncio.sleep(0.05)
            assert inst.store.delivery_counts() == {"done": HOSTS * INBOXES * ARTICLES}
    finally:
        for server, task in started:
            await stop_server(server, task)
    per_host = collections.Counter({r.port: len(r.connections) for r in remotes})
    assert all(r.posts == INBOXES * ARTICLES for r in remotes)
    assert max(per_host.values()) <= 2, per_host
