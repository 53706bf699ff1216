"""A pass's store work runs on one writer thread, never on the event loop the web server shares."""

from __future__ import annotations

import asyncio
import threading

import httpx
import uvicorn
from conftest import free_port
from ingest_util import corpus_settings, store  # noqa: F401

from syndicate.ingest import runner
from syndicate.ingest.runner import make_fetcher, run_sources
from syndicate.ingest.writer import StoreWriter, WriterClosed
from syndicate.web.app import create_app


def _where() -> tuple[bool, str]:
    """(a loop runs in this thread, thread name): asking, not timing, stays true on a busy box."""
    try:
        asyncio.get_running_loop()
        return True, threading.current_thread().name
    except RuntimeError:
        return False, threading.current_thread().name


# Each is asserted called: the conditional GETs' validator read (the fetcher's own store call)
# as much as the runner's writes.
STORE_CALLS = (
    "source_state",
    "save_source_state",
    "http_validators",
    "save_http_validators",
    "add_health_pass",
)


def test_store_calls_run_on_one_writer_thread(corpus_server, store, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    server = corpus_server("sulutaktual", "t0", "--quiet")
    settings = corpus_settings(store.url, {"s": server.base})
    calls: dict[str, list[tuple[bool, str]]] = {}

    def watch(owner: object, name: str) -> None:
        real = getattr(owner, name)

        def watched(*args, **kw):  # type: ignore[no-untyped-def]
            calls.setdefault(name, []).append(_where())
            return real(*args, **kw)

        monkeypatch.setattr(owner, name, watched)

    watch(runner, "store_article")  # the article, its events and its folding
    for name in STORE_CALLS:
        watch(store, name)
    watch(store, "health_passes")

    async def go() -> None:
        async with make_fetcher(settings, store) as f:
            [result] = await run_sources(settings, store, fetcher=f)
        assert result.new > 0 and not result.failed

    asyncio.run(go())
    assert len(calls.get("store_article", [])) > 0, "nothing was stored; nothing was tested"
    for name in STORE_CALLS:
        assert calls.get(name), f"{name} was never called; nothing was tested"
    on_loop = {name: sum(c[0] for c in cs) for name, cs in calls.items()}
    assert not any(on_loop.values()), f"store calls on the event loop: {on_loop}"
    threads = {c[1] for cs in calls.values() for c in cs}
    assert len(threads) == 1, f"store calls ran on several threads: {threads}"


def test_the_web_app_answers_while_a_store_call_is_held(corpus_server, store, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    site = corpus_server("sulutaktual", "t0", "--quiet")
    settings = corpus_settings(store.url, {"s": site.base})
    real = runner.store_article
    release = threading.Event()
    answered: list[int] = []

    async def go() -> None:
        loop = asyncio.get_running_loop()
        held = asyncio.Event()

        def held_store(*args, **kw):  # type: ignore[no-untyped-def]
            if not release.is_set():
                loop.call_soon_threadsafe(held.set)
                # On the loop's own thread this wait would starve the request below: the guard
                # only keeps a regression from hanging the run (the assert is on `answered`).
                if not release.wait(60):
                    release.set()  # starved: what the request below sees as "not answered"
            return real(*args, **kw)

        monkeypatch.setattr(runner, "store_article", held_store)
        port = free_port()
        web = uvicorn.Server(
            uvicorn.Config(
                create_app(settings, store), host="127.0.0.1", port=port, log_level="warning"
            )
        )
        serving = loop.create_task(web.serve())
        while not web.started:
            await asyncio.sleep(0.01)
        passes = loop.create_task(run_sources(settings, store))
        await held.wait()
        if not release.is_set():  # the store call is held right now
            async with httpx.AsyncClient(timeout=30) as client:
                resp = await client.get(f"http://127.0.0.1:{port}/healthz")
            if not release.is_set():
                answered.append(resp.status_code)
        release.set()
        [result] = await passes
        web.should_exit = True
        await serving
        assert result.new > 0 and not result.failed

    asyncio.run(go())
    assert answered, "the web app did not answer while a store call was held"


def test_writer_runs_in_order_and_close_never_waits() -> None:
    order: list[int] = []
    started, gate = threading.Event(), threading.Event()

    def hold() -> bool:
        started.set()
        return gate.wait()

    async def go() -> None:
        writer = StoreWriter()
        first = asyncio.ensure_future(writer.run(hold))
        later = [asyncio.ensure_future(writer.run(order.append, i)) for i in range(3)]
        await asyncio.to_thread(started.wait)  # the writer is inside hold(), the rest queued
        writer.close()  # the gate is shut: a waiting close would hang here
        try:
            writer.submit(order.append, 9)
        except WriterClosed:
            pass
        else:
            raise AssertionError("a closed writer took a job")
        gate.set()
        assert await first is True
        results = await asyncio.gather(*later, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results), results
        await writer.aclose()

    asyncio.run(go())
    assert order == []  # queued behind the held call when closed: cancelled, never run

    async def in_order() -> list[int]:
        async with StoreWriter() as writer:
            await asyncio.gather(*(writer.run(order.append, i) for i in range(50)))
        return order

    assert asyncio.run(in_order()) == list(range(50))
