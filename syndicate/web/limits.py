"""Connection guards for the HTTP server (uvicorn's h11 protocol, subclassed).

uvicorn starts no timer before a connection's first request, so a client that sends its headers
a byte at a time (or never) holds a descriptor for ever; 300 of them under a 256-descriptor
limit made the server unreachable. Here every connection must finish its request headers within
HEADER_TIMEOUT, and one address may hold at most PER_IP connections: when a new one arrives over
the cap, the oldest connection of that address still without its headers after GRACE seconds is
dropped (a client that sends its requests promptly keeps working; a slow-loris loses its own
sockets), and if there is none the newcomer is refused.
Past LIMIT_CONCURRENCY connections in all, uvicorn answers 503 at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0  # seconds from connect to the end of the request headers
PER_IP = 32  # open connections per client address
LIMIT_CONCURRENCY = 512  # connections + running requests before uvicorn answers 503
# Also how many connections asyncio accepts in one go before any is looked at: at 256 one
# burst of slow clients took every descriptor of a 256-descriptor process (EMFILE).
BACKLOG = 64
GRACE = 0.5  # a newer connection may not have been read yet: it is never the one evicted

# Per server (uvicorn's ServerState, shared by its connections): address -> its connections.
_BY_SERVER: weakref.WeakKeyDictionary[Any, dict[str, list[GuardedH11]]] = (
    weakref.WeakKeyDictionary()
)


class GuardedH11(H11Protocol):
    _header_timer: asyncio.TimerHandle | None = None
    _waiting_headers = True
    _peer = ""
    _since = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._waiting_headers = True
        self._header_timer = self.loop.call_later(HEADER_TIMEOUT, self._too_slow)
        self._peer = self.client[0] if self.client else ""
        peers = _BY_SERVER.setdefault(self.server_state, {}).setdefault(self._peer, [])
        peers.append(self)
        self._since = time.monotonic()
        # Closed ones stay listed until their connection_lost runs (next loop turn): not counted.
        open_peers = [p for p in peers if not p.transport.is_closing()]
        if len(open_peers) > PER_IP:
            # The oldest connection still without its headers goes, preferably one older than
            # GRACE (a younger one may just not have been read yet). None waiting: refuse.
            old = self._since - GRACE
            waiting = [p for p in open_peers if p._waiting_headers and p is not self]
            slow = next((p for p in waiting if p._since < old), waiting[0] if waiting else None)
            (slow or self).transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_done()
        peers = _BY_SERVER.get(self.server_state, {}).get(self._peer)
        if peers is not None:
            if self in peers:
                peers.remove(self)
            if not peers:
                del _BY_SERVER[self.server_state][self._peer]
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None:  # a complete request head arrived
            self._headers_done()

    def _headers_done(self) -> None:
        self._waiting_headers = False
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if self._waiting_headers and not self.transport.is_closing():
            self.transport.close()


class OncePerMinute(logging.Filter):
    """uvicorn logs a warning for every refused or malformed request: under attack that wrote
    69 MB of log in 30 s. The same message is let through once a minute."""

    def __init__(self) -> None:
        super().__init__()
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = str(record.msg)
        now = time.monotonic()
        if now - self._last.get(key, -60.0) < 60.0:
            return False
        self._last[key] = now
        return True


def install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, OncePerMinute) for f in logger.filters):
        logger.addFilter(OncePerMinute())
