"""SIGKILL `syndicate run` with deliveries queued, start it again: every delivery arrives, and
only those in flight at the kill arrive twice (with the same activity id)."""

from __future__ import annotations

import asyncio
import collections
import json
import signal

import httpx
from conftest import free_port, queued_deliveries
from fedutil import serve, stop_server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syndicate.store import open_store

INBOXES = 20
ARTICLES = 5


async def test_sigkill_loses_nothing_and_repeats_only_in_flight(tmp_path, service_process) -> None:
    got: list[tuple[str, str]] = []

    async def inbox(request: Request) -> Response:
        body = json.loads(await request.body())
        await asyncio.sleep(0.05)  # a slow-ish server keeps deliveries queued
        got.append((body["id"], request.url.path))
        return Response(status_code=202)

    rport, port = free_port(), free_port()
    receiver, rtask = await serve(
        Starlette(routes=[Route("/inbox/{n}", inbox, methods=["POST"])]), rport
    )
    cfg, db = queued_deliveries(
        tmp_path, port, rport, INBOXES, ARTICLES, federation='delivery_lease = "3s"'
    )
    store = open_store(db)

    svc = service_process(cfg, port)  # every service it starts is stopped at teardown
    try:
        # generous bounds: a loaded CI machine may take many seconds just to start the child
        for _ in range(2400):
            if len(got) >= 30:
                break
            await asyncio.sleep(0.025)
        assert len(got) >= 30, svc.read() if svc.proc.poll() is not None else "too slow"
        svc.proc.send_signal(signal.SIGKILL)
        svc.proc.wait(10)
        received_before = len(got)
        rows = store.deliveries()
        in_flight = {
            (r["activity_id"], r["inbox"])
            for r in rows
            if r["status"] == "pending" and r["lease_token"]
        }
        total = len(rows)
        assert total == INBOXES * ARTICLES
        assert received_before < total, "everything was sent before the kill; nothing was tested"

        svc = service_process(cfg, port)
        for _ in range(1800):
            counts = store.delivery_counts()
            if counts.get("done") == total:
                break
            await asyncio.sleep(0.05)
        assert store.delivery_counts() == {"done": total}
        # the service is alive and answering after the restart
        async with httpx.AsyncClient() as c:
            assert (
                await c.get(
                    f"http://127.0.0.1:{port}/users/detailnews",
                    headers={"Accept": "application/activity+json"},
                )
            ).status_code == 200
    finally:
        svc.terminate()
        await stop_server(receiver, rtask)
        store.close()

    after = open_store(db)
    expected = {(r["activity_id"], r["inbox"]) for r in after.deliveries()}
    after.close()
    seen = collections.Counter(got)
    arrived = {(aid.rsplit("/", 1)[1], f"http://127.0.0.1:{rport}{path}") for aid, path in seen}
    assert arrived == expected, "some delivery never arrived"
    repeats = {
        (aid.rsplit("/", 1)[1], f"http://127.0.0.1:{rport}{path}")
        for (aid, path), n in seen.items()
        if n > 1
    }
    assert repeats <= in_flight, f"sent twice without being in flight: {repeats - in_flight}"
