"""The long-running service: web server, ingest scheduler and background workers in one process."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from syndicate import files
from syndicate.config import ConfigError, Settings, load_settings
from syndicate.datadir import pid_path, running_pid, uses_pid_file
from syndicate.publish.activitypub import delivery
from syndicate.scheduler import IngestScheduler
from syndicate.store import Store
from syndicate.web import limits
from syndicate.web.app import create_app
from syndicate.web.state import ROLES, AppState

log = logging.getLogger("syndicate.service")

# SIGTERM: the whole stop (connections, deliveries, passes) fits in these seconds; after
# HARD_DEADLINE the process exits whatever is still in flight (a thread stuck on a lock, a
# slow peer): systemd and operators expect a stop to be a stop. Leased work is taken up again
# when its lease ends, so nothing is lost.
HARD_DEADLINE = 9.0
CONNECTIONS_GRACE = 2.0  # open HTTP requests may finish in this long
DELIVERY_GRACE = 4.0  # in-flight deliveries may finish in this long


class AlreadyRunning(Exception):
    pass


def write_pid_file(path: Path) -> None:
    """Claim the data directory: two services on one database would deliver everything twice.
    The pid file stays locked while we run (syndicate.files), so the claim cannot race."""
    try:
        files.claim_pid_file(path)
    except files.PidFileLocked as exc:
        raise AlreadyRunning(str(exc)) from None


def remove_pid_file(path: Path) -> None:
    files.release_pid_file(path)


INGEST_GRACE = 1.5  # seconds running passes may finish in after SIGTERM


class Service:
    """One `syndicate run` process: the runtime (AppState) is built here once, and each role
    starts its own parts — web: the HTTP app; ingest: the scheduler; deliver: ActivityPub
    delivery and WebSub pings. Without the web role the port still answers /healthz."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        config_path: Path | None = None,
        roles: frozenset[str] = frozenset(ROLES),
    ) -> None:
        self.settings = settings
        self.store = store
        self.config_path = config_path
        self.roles = roles
        self.scheduler: IngestScheduler | None = None
        self._stops: list[Callable[[], Awaitable[None]]] = []
        self._server: uvicorn.Server | None = None
        self._hard_exit: threading.Timer | None = None
        self.app: Starlette = create_app(settings, store, lifespan=self._lifespan, roles=roles)
        self.state: AppState = self.app.state.syndicate

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        pid_file = pid_path(self.settings) if uses_pid_file(self.settings) else None
        if pid_file is not None:
            write_pid_file(pid_file)
            self.state.reloads.pid_file = str(pid_file)
        await asyncio.to_thread(self.store.node_seen, self.state.node, sorted(self.roles))
        if "ingest" in self.roles:
            self.scheduler = IngestScheduler(
                self.settings,
                self.store,
                beat=self.state.beat,
                node=self.state.node,
                lease=self.settings.cluster.lease,
            )
            self.state.schedule = self.scheduler
            self.scheduler.start()
        if "deliver" in self.roles:
            self._start_delivery()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGHUP, self.reload)
            # Ours, not uvicorn's: a clean SIGTERM stop then exits 0 instead of re-raising.
            loop.add_signal_handler(signal.SIGTERM, self._terminate)
        settle_heap()
        try:
            yield
        finally:
            log.info("shutting down: stopping the scheduler and workers")
            if self.scheduler is not None:
                self.scheduler.pause()  # no new passes from here on
            for stop in reversed(self._stops):
                with contextlib.suppress(Exception):
                    await stop()
            if self.scheduler is not None:
                await self._finish_passes()
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.store.node_gone, self.state.node)
            if pid_file is not None:
                remove_pid_file(pid_file)

    def _start_delivery(self) -> None:
        from syndicate.publish import websub

        service = self.state.delivery = delivery.start(self.state)
        self._stops.append(lambda: service.stop(grace=DELIVERY_GRACE))
        publisher = websub.start(
            lambda: self.state.settings,
            self.store,
            beat=self.state.beat,
            before_ping=self.state.feeds.check_now,
            node=self.state.node,
        )
        self._stops.append(publisher)

    def _terminate(self) -> None:
        log.info("SIGTERM: finishing in-flight work, then exiting")
        if self._hard_exit is None:
            # A timer thread, not a task: it fires even if the event loop itself is blocked.
            self._hard_exit = threading.Timer(HARD_DEADLINE, _exit_now)
            self._hard_exit.daemon = True
            self._hard_exit.start()
        if self._server is not None:
            self._server.should_exit = True

    async def _finish_passes(self) -> None:
        """Give running ingest passes a few seconds; the rest are cancelled, which loses nothing:
        each article is stored as it comes and HTTP validators are saved only after processing,
        so the next start fetches again what an interrupted pass did not finish."""
        assert self.scheduler is not None
        deadline = asyncio.get_running_loop().time() + INGEST_GRACE
        while self.scheduler.running and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        if self.scheduler.running:
            log.info(
                "interrupting %s; the next start picks them up again",
                ", ".join(sorted(self.scheduler.running)),
            )
        await self.scheduler.shutdown()

    def reload(self) -> bool:
        """Re-read the config; a broken one is refused and the running one stays."""
        try:
            new = load_settings(self.config_path)
        except ConfigError as exc:
            log.error("reload refused, keeping the running config:\n%s", exc)
            self._reloaded("refused")  # the reason is in the log and `syndicate check-config`
            return False
        self.settings = new
        self.state.reload(new)
        if self.scheduler:
            added, removed = self.scheduler.reload(new)
            log.info(
                "config reloaded: %d source(s); started %s; stopped %s",
                len(new.sources),
                added or "none",
                removed or "none",
            )
        self._reloaded("ok")
        return True

    def _reloaded(self, outcome: str) -> None:
        # Shown in /healthz (a status word only) so `syndicate reload` can tell what happened.
        self.state.reloads.count += 1
        self.state.reloads.last = outcome

    async def serve(self) -> None:
        s = self.settings.server
        config = uvicorn.Config(
            self.app,
            host=s.host,
            port=s.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=int(CONNECTIONS_GRACE),
            http=limits.GuardedH11,
            limit_concurrency=limits.LIMIT_CONCURRENCY,
            backlog=limits.BACKLOG,
            timeout_keep_alive=5,
        )
        limits.install_log_filter()
        other = running_pid(pid_path(self.settings)) if uses_pid_file(self.settings) else None
        if other is not None:
            log.error("another syndicate (pid %d) is already running on this data directory", other)
            raise SystemExit(1)
        server = self._server = uvicorn.Server(config)
        log.info(
            "serving on http://%s:%d (public base URL %s) as %s, roles %s",
            s.host,
            s.port,
            s.base_url,
            self.state.node,
            ",".join(sorted(self.roles)),
        )
        await server.serve()


def settle_heap() -> None:
    """Move everything start-up made (modules, classes, the app, settings) out of the cyclic
    collector's reach. A full collection otherwise walks those ~10^5 long-lived objects every
    time, a 0.1-0.4 s stall of the event loop under load (requests, inbox, delivery all wait);
    frozen objects are still freed normally when their count drops to zero."""
    gc.collect()
    gc.freeze()


def _exit_now() -> None:
    log.warning(
        "shutdown took longer than %.0fs; exiting now (leases hand the rest over)", HARD_DEADLINE
    )
    logging.shutdown()
    os._exit(0)
