"""The one backoff rule: exponential delays after consecutive failures, capped, optionally jittered.

Pure (no I/O, no clock). Every retry schedule in syndicate is a `Backoff` value: source polls
after failed passes, fetch retries, WebSub pings, ActivityPub deliveries and unavailable servers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class Backoff:
    base: float  # seconds waited at the `first` counted failure
    cap: float  # never wait longer than this (seconds)
    first: int = 1  # failures below this wait nothing
    factor: float = 2.0
    jitter: float = 0.0  # ± fraction, so many retries do not arrive in waves

    def seconds(self, failures: int, rng: random.Random | None = None) -> float:
        """base, base·factor, base·factor², … for failures = first, first+1, …; 0 below first."""
        if failures < self.first:
            return 0.0
        # min() before the power would overflow: 2 ** 5000 is a float error.
        steps = min(failures - self.first, 64)
        delay = min(self.base * self.factor**steps, self.cap)
        if self.jitter:
            delay *= (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return delay

    def delay(self, failures: int, rng: random.Random | None = None) -> timedelta:
        return timedelta(seconds=self.seconds(failures, rng))


# The schedules, declared once here so an operator reading this file sees all of them.
SOURCE = Backoff(base=60, cap=6 * 3600)  # failed ingest passes: 1, 2, 4 … min, at most 6 h
FETCH_RETRY = Backoff(base=1, cap=60, first=0)  # one request's retries: 1, 2, 4 … s
WEBSUB = Backoff(base=5, cap=300)  # a hub that refuses pings: 5, 10, 20 … s, at most 5 min
DELIVERY = Backoff(base=60, cap=12 * 3600, jitter=0.1)  # one inbox: 1 min … 12 h, ±10 %
SERVER = Backoff(base=300, cap=6 * 3600, first=5)  # a remote server after 5 failures in a row
