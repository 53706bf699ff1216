"""Ingest's store work on one thread of its own, never on the event loop.

A pass's writes (an article and its events, folding, re-check and removal bookkeeping, HTTP
validators, source state, health) are synchronous SQLAlchemy calls, a few ms each and longer
when a fold has many candidates or the disk is slow; on the event loop they would stall the web
server that shares it. SQLite takes one writer at a time, so the work goes to ONE thread (a
queue in arrival order) rather than a thread per call, which would only make the writers wait
on each other's locks. Each call is its own unit: a pass still stores entries one by one.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, ParamSpec, TypeVar

log = logging.getLogger("syndicate.ingest.writer")

P = ParamSpec("P")
T = TypeVar("T")

_Job = tuple[Future[Any], contextvars.Context, Callable[[], Any]]


class WriterClosed(RuntimeError):
    pass


class StoreWriter:
    """A single daemon thread running store calls in the order they were submitted.

    `close()` never waits: jobs not yet started are cancelled, a call already running finishes
    on its own (a transaction is atomic; a daemon thread never holds up the process's exit)."""

    def __init__(self, name: str = "ingest-store") -> None:
        self.name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        fut: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise WriterClosed(f"{self.name} is closed")
            if self._thread is None:  # started on first use: a CLI command that writes nothing
                self._thread = threading.Thread(target=self._work, name=self.name, daemon=True)
                self._thread.start()
            self._jobs.put((fut, contextvars.copy_context(), lambda: fn(*args, **kwargs)))
        return fut

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run fn(*args, **kwargs) on the writer thread and wait for it without blocking the loop."""
        return await asyncio.wrap_future(self.submit(fn, *args, **kwargs))

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fut, ctx, call = job
            if not fut.set_running_or_notify_cancel():
                continue  # its caller was cancelled before it started
            try:
                result = ctx.run(call)
            except BaseException as exc:  # the caller gets it, the thread carries on
                fut.set_exception(exc)
            else:
                fut.set_result(result)

    def close(self) -> None:
        """No more jobs; those still queued are cancelled. Returns at once."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            while True:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is not None:
                    job[0].cancel()
            self._jobs.put(None)

    async def aclose(self, timeout: float = 2.0) -> None:
        """close(), then give a running call up to `timeout` seconds to finish (never more)."""
        self.close()
        thread = self._thread
        if thread is not None and thread.is_alive():
            await asyncio.to_thread(thread.join, timeout)
            if thread.is_alive():
                log.warning("%s: a store call is still running; leaving it to finish", self.name)

    async def __aenter__(self) -> StoreWriter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread
