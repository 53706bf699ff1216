"""SIGTERM `syndicate run` while ActivityPub deliveries are queued and in flight, start it again:
every delivery arrives exactly once (a graceful stop finishes or hands back what it holds)."""

from __future__ import annotations

import collections
import json
import threading
import time
from pathlib import Path

import pytest
from conftest import free_port, queued_deliveries
from opsutil import Running, ThreadServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syndicate.store import open_store

INBOXES = 12
ARTICLES = 5


def test_sigterm_with_deliveries_queued_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    pytest.importorskip("syndicate.publish.activitypub.delivery")
    got: list[tuple[str, str]] = []
    lock = threading.Lock()

    async def inbox(request: Request) -> Response:
        import asyncio

        body = json.loads(await request.body())
        await asyncio.sleep(0.08)  # a slow-ish server: deliveries are in flight at the signal
        with lock:
            got.append((body["id"], request.url.path))
        return Response(status_code=202)

    rport, port = free_port(), free_port()
    receiver = ThreadServer(Starlette(routes=[Route("/inbox/{n}", inbox, methods=["POST"])]), rport)
    cfg, db = queued_deliveries(tmp_path, port, rport, INBOXES, ARTICLES)
    store = open_store(db)
    total = INBOXES * ARTICLES
    svc = Running(cfg, port)
    try:
        deadline = time.monotonic() + 30
        while len(got) < 10 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(got) >= 10, svc.read() if svc.proc.poll() is not None else "too slow"
        took = svc.terminate()
        log = svc.read()
        assert svc.proc.returncode == 0, log
        assert took < 10, f"took {took:.1f}s"
        before = len(got)
        assert before < total, "everything was sent before the signal; nothing was tested"
        assert not [r for r in store.deliveries() if r["lease_token"]], (
            f"a lease was left behind (stop took {took:.1f}s)\n{log}"
        )

        svc = Running(cfg, port)
        deadline = time.monotonic() + 60
        while store.delivery_counts().get("done") != total and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.delivery_counts() == {"done": total}
        time.sleep(0.3)
    finally:
        svc.terminate()
        receiver.stop()
    expected = {(r["activity_id"], r["inbox"]) for r in store.deliveries()}
    store.close()
    seen = collections.Counter(got)
    arrived = {(aid.rsplit("/", 1)[1], f"http://127.0.0.1:{rport}{path}") for aid, path in seen}
    assert arrived == expected, "some delivery never arrived"
    twice = [k for k, n in seen.items() if n > 1]
    assert not twice, f"{len(twice)} delivered twice after a graceful stop"
    print(f"SIGTERM after {before}/{total} deliveries; stopped in {took:.2f}s; all {total} once")
