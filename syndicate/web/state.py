"""The runtime: what every request handler and background service of one process can reach.

Built once (by `service.py` for `syndicate run`, by `create_app` for tests and tools); every
field is typed, so nothing is looked up by name in an untyped bag or probed with hasattr.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from syndicate.config import Settings
from syndicate.publish.feed_cache import FeedCache
from syndicate.store import Store

if TYPE_CHECKING:  # typing only: the web layer does not start these, service.py does
    from syndicate.publish.activitypub.delivery import DeliveryService
    from syndicate.publish.activitypub.federation import Federation

ROLES = ("web", "ingest", "deliver")


def node_name() -> str:
    """This process's name in leases and cursors: host and pid, so a restart is a new holder."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Schedule(Protocol):
    """What pages need from the ingest scheduler (when a source is polled next)."""

    def next_run(self, source_id: str) -> datetime | None: ...

    def wake(self) -> None:
        """Look for due sources now (the scheduler otherwise sleeps until its next run)."""


@dataclass
class ReloadStatus:
    """The outcome of the last SIGHUP / `syndicate reload`; the detail stays in the log."""

    count: int = 0
    last: str = "started"  # started / ok / refused — status words only, never an error text
    pid_file: str | None = None


@dataclass
class AppState:
    settings: Settings
    store: Store
    feeds: FeedCache
    node: str = field(default_factory=node_name)
    roles: frozenset[str] = frozenset(ROLES)
    started: float = field(default_factory=time.monotonic)
    # Liveness marks written by background loops (scheduler, delivery workers): name -> monotonic time.
    heartbeats: dict[str, float] = field(default_factory=dict)
    # Longest silence each loop may have before /healthz fails.
    heartbeat_limits: dict[str, float] = field(default_factory=dict)
    reloads: ReloadStatus = field(default_factory=ReloadStatus)
    schedule: Schedule | None = None  # set while this process runs the ingest role
    federation: Federation | None = None  # created on first use (federation_for)
    delivery: DeliveryService | None = None  # set while this process runs the deliver role
    # /healthz's last write probe: (monotonic time, "ok" | "failing")
    write_probe: tuple[float, str] = (float("-inf"), "ok")
    # when the write probe now running began (None: none running); see web/health.py
    write_probe_started: float | None = None

    def beat(self, name: str, limit: float = 120.0) -> None:
        self.heartbeats[name] = time.monotonic()
        self.heartbeat_limits[name] = limit

    def stalled(self) -> list[str]:
        now = time.monotonic()
        return [
            n for n, t in self.heartbeats.items() if now - t > self.heartbeat_limits.get(n, 120.0)
        ]

    def reload(self, settings: Settings) -> None:
        self.settings = settings
        self.feeds.reset(settings)
