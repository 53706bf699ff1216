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

from syndicate.config import ConfigError, Settings, load_settings
from syndicate.scheduler import IngestScheduler
from syndicate.store import Store
from syndicate.web.app import create_app
from syndicate.web.state import AppState

log = logging.getLogger("syndicate.service")

# Background services other packages add (e.g. federation delivery workers):
# each is called with the AppState at start-up and returns an async stop function.
BackgroundService = Callable[[AppState], Awaitable[Callable[[], Awaitable[None]]]]
BACKGROUND_SERVICES: list[BackgroundService] = []


class Service:
    def __init__(self, settings: Settings, store: Store, config_path: Path | None = None) -> None:
        self.settings = settings
        self.store = store
        self.config_path = config_path
        self.scheduler: IngestScheduler | None = None
        self._stops: list[Callable[[], Awaitable[None]]] = []
        self.app: Starlette = create_app(settings, store, lifespan=self._lifespan)
        self.state: AppState = self.app.state.syndicate

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.scheduler = IngestScheduler(self.settings, self.store, beat=self.state.beat)
        self.state.extras["scheduler"] = self.scheduler
        self.scheduler.start()
        for start in BACKGROUND_SERVICES:
            self._stops.append(await start(self.state))
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGHUP, self.reload)
        try:
            yield
        finally:
            log.info("shutting down: stopping the scheduler and workers")
            for stop in reversed(self._stops):
                with contextlib.suppress(Exception):
                    await stop()
            await self.scheduler.shutdown()

    def reload(self) -> bool:
        """Re-read the config; a broken one is refused and the running one stays."""
        try:
            new = load_settings(self.config_path)
        except ConfigError as exc:
            log.error("reload refused, keeping the running config:\n%s", exc)
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
        return True

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
        server = uvicorn.Server(config)
        log.info("serving on http://%s:%d (public base URL %s)", s.host, s.port, s.base_url)
        await server.serve()
