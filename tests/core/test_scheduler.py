"""The scheduler: every source on its own clock, a failing one backs off, none runs twice at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from conftest import REPO

from syndicate import scheduler as scheduler_module
from syndicate.config import settings_from_dict
from syndicate.ingest.runner import backoff_delay
from syndicate.scheduler import IngestScheduler
from syndicate.store import open_store


def settings(tmp_path: Path, interval: str = "1s") -> object:
    return settings_from_dict(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 's.db'}"},
            "fetch": {"timeout": "2s", "connect_timeout": "1s"},
            "sources": [
                {
                    "id": "good",
                    "name": "Good",
                    "url": str(REPO / "samples" / "posts"),
                    "kind": "folder",
                    "interval": interval,
                },
                {
                    "id": "down",
                    "name": "Down",
                    "url": "http://127.0.0.1:9/",
                    "kind": "feed",
                    "interval": interval,
                },
            ],
        }
    )


async def until(check, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    """Wait for a condition (generously: the machine may be busy), checking every 50 ms."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_backoff_grows_and_is_capped() -> None:
    delays = [backoff_delay(n).total_seconds() for n in range(1, 12)]
    assert delays[:4] == [60, 120, 240, 480]
    assert delays == sorted(delays) and delays[-1] == 6 * 3600


async def test_a_failing_source_backs_off_and_the_others_keep_running(tmp_path: Path) -> None:
    s = settings(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    beats: list[str] = []
    sched = IngestScheduler(s, store, beat=lambda name, limit: beats.append(name))
    sched.start()
    try:
        await until(
            lambda: (
                store.count_articles("good") == 2
                and store.source_state("down").consecutive_failures >= 1
            )
        )
        # Two more intervals: without the backoff the failing source would be retried by now.
        await asyncio.sleep(2.0)
    finally:
        await sched.shutdown()
    good, down = store.source_state("good"), store.source_state("down")
    assert store.count_articles("good") == 2 and good.consecutive_failures == 0
    assert down.consecutive_failures == 1, (
        "a failing source must wait for its backoff, not retry every interval"
    )
    assert down.backoff_until is not None and down.backoff_until > datetime.now(UTC)
    assert "127.0.0.1:9" in (down.last_error or "")
    assert "scheduler" in beats
    store.close()


async def test_a_restart_keeps_the_backoff(tmp_path: Path) -> None:
    s = settings(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    state = store.source_state("down")
    state.consecutive_failures = 4
    state.backoff_until = datetime(2099, 1, 1, tzinfo=UTC)
    store.save_source_state(state)
    sched = IngestScheduler(s, store)
    sched.start()
    try:
        assert sched.next_run("down") >= state.backoff_until
        assert sched.next_run("good") < state.backoff_until
    finally:
        await sched.shutdown()
    store.close()


async def test_never_two_passes_of_one_source_at_once(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    running: dict[str, int] = {}
    most: dict[str, int] = {}
    starts: dict[str, int] = {}

    async def slow_pass(settings, source, store, fetcher, **kw):  # type: ignore[no-untyped-def]
        starts[source.id] = starts.get(source.id, 0) + 1
        running[source.id] = running.get(source.id, 0) + 1
        most[source.id] = max(most.get(source.id, 0), running[source.id])
        await asyncio.sleep(2.5)  # longer than the 1 s interval
        running[source.id] -= 1
        from syndicate.models import PassResult

        return PassResult(source_id=source.id)

    monkeypatch.setattr(scheduler_module, "run_source", slow_pass)
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    sched = IngestScheduler(settings(tmp_path), store)
    sched.start()
    try:
        # Each source's second pass has started: the first ran past two intervals meanwhile.
        await until(lambda: starts.get("good", 0) >= 2 and starts.get("down", 0) >= 2)
    finally:
        await sched.shutdown()
    assert most == {"good": 1, "down": 1}
    store.close()


async def test_reload_starts_new_sources_and_stops_removed_ones(tmp_path: Path) -> None:
    s = settings(tmp_path, interval="1h")
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    sched = IngestScheduler(s, store)
    sched.start()
    try:
        data = s.model_dump(exclude={"path"})
        data["sources"] = [
            data["sources"][0],
            {**data["sources"][0], "id": "extra", "name": "Extra"},
        ]
        added, removed = sched.reload(settings_from_dict(data))
        assert added == ["extra"] and removed == ["down"]
        assert sorted(sched.source_jobs()) == ["extra", "good"]
    finally:
        await sched.shutdown()
    store.close()


def test_idle_seconds_is_the_wait_until_the_first_claimable_source() -> None:
    from datetime import timedelta

    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    rows = {
        "soon": {"next_run_at": now + timedelta(seconds=12), "lease_until": None},
        "held": {"next_run_at": now, "lease_until": now + timedelta(seconds=5)},  # other node
        "late": {"next_run_at": (now + timedelta(hours=2)).replace(tzinfo=None)},  # naive UTC
    }
    idle = scheduler_module.idle_seconds
    assert idle(now, rows, ["soon", "late"], limit=600) == 12
    assert idle(now, rows, ["soon", "held"], limit=600) == 5
    assert idle(now, rows, ["late"], limit=600) == 600
    assert idle(now, rows, ["late"], limit=10_000) == 7200
    assert idle(now, rows, ["unknown"], limit=600) == 600
    overdue = {"x": {"next_run_at": now - timedelta(minutes=5), "lease_until": None}}
    assert idle(now, overdue, ["x"]) == scheduler_module.MIN_IDLE


def one_source(tmp_path: Path, interval: str) -> object:
    data = settings(tmp_path, interval).model_dump(exclude={"path"})  # type: ignore[attr-defined]
    data["sources"] = data["sources"][:1]
    return settings_from_dict(data)


async def test_an_idle_scheduler_sleeps_until_the_next_run_and_a_reload_wakes_it(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    # No polling left to rely on: were the loop still waking every TICK, "extra" would wait 1 h.
    monkeypatch.setattr(scheduler_module, "TICK", 3600.0)
    monkeypatch.setattr(scheduler_module, "MAX_IDLE", 3600.0)
    s = one_source(tmp_path, "1h")
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    sched = IngestScheduler(s, store)
    waits: list[float] = []
    real_idle = sched._idle

    async def recording(seconds: float) -> None:
        waits.append(seconds)
        await real_idle(seconds)

    monkeypatch.setattr(sched, "_idle", recording)
    sched.start()
    try:
        await until(lambda: "good" in sched.last_results and not sched.running)
        await until(lambda: len(waits) >= 2 and waits[-1] > 3000)  # the next run, 1 h away
        data = s.model_dump(exclude={"path"})  # type: ignore[attr-defined]
        data["sources"].append({**data["sources"][0], "id": "extra", "name": "Extra"})
        sched.reload(settings_from_dict(data))
        await until(lambda: "extra" in sched.last_results)
    finally:
        await sched.shutdown()
    assert sched._loop_task is not None and sched._loop_task.done()
    store.close()


async def test_a_source_made_due_by_another_node_wakes_an_idle_scheduler(
    pg_url: str, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A WebSub push answered by a web-only node reschedules the source in the database; the
    node running the ingest role hears it (LISTEN/NOTIFY) and polls now, not after its planned
    look (an hour here)."""
    monkeypatch.setattr(scheduler_module, "TICK", 3600.0)
    monkeypatch.setattr(scheduler_module, "MAX_IDLE", 3600.0)
    data = one_source(tmp_path, "1h").model_dump(exclude={"path"})  # type: ignore[attr-defined]
    data["storage"] = {"url": pg_url}
    s = settings_from_dict(data)
    store, web_node = open_store(pg_url), open_store(pg_url)
    sched = IngestScheduler(s, store)
    sched.start()
    try:
        await until(lambda: "good" in sched.last_results and not sched.running)
        first = sched.last_results["good"]
        await asyncio.to_thread(web_node.reschedule_source, "good", datetime.now(UTC))
        await until(lambda: sched.last_results["good"] is not first)
    finally:
        await sched.shutdown()
        web_node.close()
        store.close()
