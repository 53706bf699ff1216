"""DeliveryService.stop() while a claim (or the event poller) is in progress: the claim's UPDATE … RETURNING has leased
rows in its thread, and stop() must neither cancel the hand-over (rows leased until the lease runs
out, so a restart waits) nor let the claim refill a queue it already emptied. Nothing is left
leased after stop() returns, and a restart sends each delivery exactly once."""

from __future__ import annotations

import asyncio
import collections
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from fedutil import RemoteServer, running_instance, serve, stop_server

from syndicate.models.delivery_states import DONE
from syndicate.models.federation import DeliveryJob, NewActivity
from syndicate.publish.activitypub.delivery import DeliveryService
from syndicate.store import Store

INBOXES = 6


def _queue(store: Store, remote: RemoteServer) -> list[str]:
    inboxes = [f"{remote.base}/users/u{i}/inbox" for i in range(INBOXES)]
    act = NewActivity(
        id="https://example.test/act/1",
        source_id="detailnews",
        type="Create",
        payload={"id": "https://example.test/act/1", "type": "Create"},
        published=datetime.now(UTC),
    )
    store.add_activity(act, inboxes)
    return inboxes


class HeldClaim:
    """Wraps store.claim_deliveries: the first claim that leases rows waits (after its commit)
    until `go` is set, as a claim does on a busy machine."""

    def __init__(self, store: Store) -> None:
        self.real = store.claim_deliveries
        self.leased = threading.Event()
        self.go = threading.Event()
        self.returned = threading.Event()

    def __call__(self, limit: int, lease: Any, now: Any = None) -> list[DeliveryJob]:
        jobs = self.real(limit, lease, now)
        if jobs and not self.leased.is_set():
            self.leased.set()
            try:
                self.go.wait(60)
            finally:
                self.returned.set()
        return jobs


async def _restart_sends_each_once(inst: Any, remote: RemoteServer, inboxes: list[str]) -> None:
    """A fresh service (a restart) sends every queued delivery, each exactly once."""
    again = DeliveryService(inst.state)
    again.start()
    try:
        await remote.wait_for(len(inboxes), timeout=60)
    finally:
        await again.stop()
    assert inst.store.delivery_counts() == {DONE: len(inboxes)}
    seen = collections.Counter(r.path for r in remote.received)
    assert set(seen) == {i.removeprefix(remote.base) for i in inboxes}
    assert all(n == 1 for n in seen.values()), seen


def _leased(store: Store) -> list[dict[str, Any]]:
    return [r for r in store.deliveries() if r["lease_token"]]


async def _stop_during_claim(
    db_url: str,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    grace: float,
    *,
    end_claim_after_stop: bool = False,
) -> None:
    remote = RemoteServer()
    server, task = await serve(remote.app, remote.port)
    try:
        await _stop_during_claim_of(
            db_url, tmp_path, remote, monkeypatch, grace, end_claim_after_stop
        )
    finally:
        await stop_server(server, task)


async def _stop_during_claim_of(
    db_url: str,
    tmp_path: Any,
    remote: RemoteServer,
    monkeypatch: pytest.MonkeyPatch,
    grace: float,
    end_claim_after_stop: bool,
) -> None:
    async with running_instance(db_url, tmp_path, deliver=False) as inst:
        inboxes = _queue(inst.store, remote)
        svc = DeliveryService(inst.state)
        held = HeldClaim(svc.fed.store)
        monkeypatch.setattr(svc.fed.store, "claim_deliveries", held)
        svc.start()
        assert await asyncio.to_thread(held.leased.wait, 60), "no claim started"
        assert len(_leased(inst.store)) == INBOXES  # the claim committed its lease
        stopping = asyncio.create_task(svc.stop(grace=grace))
        while not svc.stopping:  # stop() has begun (and, on the old code, cancelled everything)
            await asyncio.sleep(0)
        if end_claim_after_stop:
            await stopping  # must not hang on the claim
            held.go.set()
        else:
            held.go.set()  # the claim ends while stop() waits for it
            await stopping
        assert await asyncio.to_thread(held.returned.wait, 60)
        # An abandoned claim gives its rows back in its own thread, right after it returns.
        for _ in range(600):
            if not _leased(inst.store):
                break
            await asyncio.sleep(0.05)
        assert not _leased(inst.store), "a lease was left behind by the claim stop() cut short"
        assert not remote.received, "rows claimed during the stop were sent"

        monkeypatch.undo()
        await _restart_sends_each_once(inst, remote, inboxes)


async def test_stop_waits_for_a_claim_in_progress_and_gives_its_rows_back(
    db_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _stop_during_claim(db_url, tmp_path, monkeypatch, grace=60.0)


async def test_a_claim_that_outlives_the_grace_gives_its_own_rows_back(
    db_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # grace 0: stop() gives up on the claim at once; it must not hang, and the claim, ending
    # after stop() returned, un-leases its rows itself.
    await _stop_during_claim(db_url, tmp_path, monkeypatch, grace=0.0, end_claim_after_stop=True)


class HeldQueueing:
    """Wraps store.add_event_activity: the first call that leases rows as it inserts them waits
    (after its commit) until `go` is set, as the event poller does on a busy machine."""

    def __init__(self, store: Store) -> None:
        self.real = store.add_event_activity
        self.leased = threading.Event()
        self.go = threading.Event()

    def __call__(self, *args: Any, **kw: Any) -> Any:
        queued = self.real(*args, **kw)
        if queued.leased and not self.leased.is_set():
            self.leased.set()
            self.go.wait(60)
        return queued


async def test_stop_waits_for_the_event_poller_and_gives_back_the_rows_it_leased(
    db_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The poller inserts a new article's rows leased to this node; stop() begins while that
    poll is still in its thread. It used to be cancelled there: its rows, handed over after
    the stop, stayed leased until the lease ran out, so a restart waited for them."""
    remote = RemoteServer()
    server, task = await serve(remote.app, remote.port)
    try:
        async with running_instance(db_url, tmp_path, deliver=False) as inst:
            for i in range(INBOXES):
                actor = f"{remote.base}/users/u{i}"
                inst.store.add_follower("detailnews", actor, f"{actor}/inbox", None, None)
            svc = DeliveryService(inst.state)
            held = HeldQueueing(svc.fed.store)
            monkeypatch.setattr(svc.fed.store, "add_event_activity", held)
            svc.start()
            inst.add_article(1)
            assert await asyncio.to_thread(held.leased.wait, 60), "the poller leased nothing"
            assert len(_leased(inst.store)) == INBOXES
            stopping = asyncio.create_task(svc.stop(grace=60.0))
            while not svc.stopping:
                await asyncio.sleep(0)
            held.go.set()  # the poll ends while stop() waits for it
            await stopping
            assert not _leased(inst.store), "rows the poller leased were left leased"
            assert not remote.received

            monkeypatch.undo()
            inboxes = [f"{remote.base}/users/u{i}/inbox" for i in range(INBOXES)]
            await _restart_sends_each_once(inst, remote, inboxes)
    finally:
        await stop_server(server, task)
