"""The long-running service: web server, ingest scheduler and background workers in one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from syndicate import files
from syndicate.config import ConfigError, Settings, load_settings
from syndicate.publish.activitypub.delivery import start as start_federation_delivery
from syndicate.scheduler import IngestScheduler
from syndicate.store import Store
from syndicate.web.app import create_app
from syndicate.web.state import AppState

log = logging.getLogger("syndicate.service")

# Background services other packages add (e.g. federation delivery workers):
# each is called with the AppState at start-up and returns an async stop function.
BackgroundService = Callable[[AppState], Awaitable[Callable[[], Awaitable[None]]]]
BACKGROUND_SERVICES: list[BackgroundService] = []
PID_FILE = "syndicate.pid"


async def _start_websub(state: AppState) -> Callable[[], Awaitable[None]]:
    from syndicate.publish import websub

    cursor = data_dir(state.settings) / "websub.cursor"
    return await websub.start(
        lambda: state.settings, state.store, cursor, state.beat, before_ping=state.feeds.check_now
    )


BACKGROUND_SERVICES.append(_start_websub)
BACKGROUND_SERVICES.append(start_federation_delivery)


def data_dir(settings: Settings) -> Path:
    """Where the service keeps its small state files (pid file, WebSub cursor): next to the SQLite
    database, else next to the config file, else the working directory."""
    from syndicate.config import resolve_storage_url

    url = resolve_storage_url(settings)
    if url.startswith("sqlite:///") and ":memory:" not in url:
        return Path(url.removeprefix("sqlite:///")).parent
    return settings.path.parent if settings.path else Path.cwd()


def pid_path(settings: Settings) -> Path:
    return data_dir(settings) / PID_FILE


def running_pid(path: Path) -> int | None:
    """The pid of the live process holding the pid file's lock, else None (syndicate.files)."""
    return files.pid_file_holder(path)


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


INGEST_GRACE = 3.0  # seconds running passes may finish in after SIGTERM (systemd waits 90)


class _DropCancelled(logging.Filter):
    """At shutdown a cancelled ingest pass is expected, not an error worth a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, asyncio.CancelledError)


class Service:
    def __init__(self, settings: Settings, store: Store, config_path: Path | None = None) -> None:
        self.settings = settings
        self.store = store
        self.config_path = config_path
        self.scheduler: IngestScheduler | None = None
        self._stops: list[Callable[[], Awaitable[None]]] = []
        self._server: uvicorn.Server | None = None
        self.app: Starlette = create_app(settings, store, lifespan=self._lifespan)
        self.state: AppState = self.app.state.syndicate

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        pid_file = pid_path(self.settings)
        write_pid_file(pid_file)
        self.state.extras["reloads"] = {"count": 0, "last": "started", "pid_file": str(pid_file)}
        self.scheduler = IngestScheduler(self.settings, self.store, beat=self.state.beat)
        self.state.extras["scheduler"] = self.scheduler
        self.scheduler.start()
        for start in BACKGROUND_SERVICES:
            self._stops.append(await start(self.state))
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGHUP, self.reload)
            # Ours, not uvicorn's: a clean SIGTERM stop then exits 0 instead of re-raising.
            loop.add_signal_handler(signal.SIGTERM, self._terminate)
        try:
            yield
        finally:
            log.info("shutting down: stopping the scheduler and workers")
            if self.scheduler.scheduler.running:
                self.scheduler.scheduler.pause()  # no new passes from here on
            for stop in reversed(self._stops):
                with contextlib.suppress(Exception):
                    await stop()
            await self._finish_passes()
            remove_pid_file(pid_file)

    def _terminate(self) -> None:
        log.info("SIGTERM: finishing in-flight work, then exiting")
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
        quiet = _DropCancelled()
        logging.getLogger("apscheduler.executors.default").addFilter(quiet)
        try:
            await self.scheduler.shutdown()
            await asyncio.sleep(0)  # let cancelled jobs unwind while the filter is on
        finally:
            logging.getLogger("apscheduler.executors.default").removeFilter(quiet)

    def reload(self) -> bool:
        """Re-read the config; a broken one is refused and the running one stays."""
        try:
            new = load_settings(self.config_path)
        except ConfigError as exc:
            log.error("reload refused, keeping the running config:\n%s", exc)
            self._reloaded(f"refused: {exc}")
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
        # Shown in /healthz so `syndicate reload` can tell the operator what happened.
        info = self.state.extras.setdefault("reloads", {"count": 0})
        info["count"] = info.get("count", 0) + 1
        info["last"] = outcome

    async def serve(self) -> None:
        s = self.settings.server
        config = uvicorn.Config(
            self.app,
            host=s.host,
            port=s.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=8,
        )
        other = running_pid(pid_path(self.settings))
        if other is not None:
            log.error("another syndicate (pid %d) is already running on this data directory", other)
            raise SystemExit(1)
        server = self._server = uvicorn.Server(config)
        log.info("serving on http://%s:%d (public base URL %s)", s.host, s.port, s.base_url)
        await server.serve()
