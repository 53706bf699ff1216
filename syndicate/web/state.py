"""What every request handler can reach: settings, store, caches, health marks."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from syndicate.config import Settings
from syndicate.publish.feed_cache import FeedCache
from syndicate.store import Store


@dataclass
class AppState:
    settings: Settings
    store: Store
    feeds: FeedCache
    started: float = field(default_factory=time.monotonic)
    # Liveness marks written by background loops (scheduler, delivery workers): name -> monotonic time.
    heartbeats: dict[str, float] = field(default_factory=dict)
    # Longest silence each loop may have before /healthz fails.
    heartbeat_limits: dict[str, float] = field(default_factory=dict)
    extras: dict[str, Any] = field(
        default_factory=dict
    )  # services other layers attach (federation, metrics)

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
