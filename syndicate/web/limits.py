"""Connection guards for the HTTP server (uvicorn's h11 protocol, subclassed).

uvicorn starts no timer before a connection's first request, so a client that sends its headers
a byte at a time (or never) holds a descriptor for ever; 300 of them under a 256-descriptor
limit made the server unreachable. Here every connection must finish its request headers within
HEADER_TIMEOUT, and one address may hold at most PER_IP connections: when a new one arrives over
the cap, the oldest connection of that address still reading its headers is dropped (a browser
or proxy that sends its requests promptly keeps working; a slow-loris loses its own sockets).
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
BACKLOG = 256

# Per server (uvicorn's ServerState, shared by its connections): address -> its connections.
_BY_SERVER: weakref.WeakKeyDictionary[Any, dict[str, list[GuardedH11]]] = (
    weakref.WeakKeyDictionary()
)


class GuardedH11(H11Protocol):
    _header_timer: asyncio.TimerHandle | None = None
    _waiting_headers = True
    _peer = ""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._waiting_headers = True
        self._header_timer = self.loop.call_later(HEADER_TIMEOUT, self._too_slow)
        self._peer = self.client[0] if self.client else ""
        peers = _BY_SERVER.setdefault(self.server_state, {}).setdefault(self._peer, [])
        peers.append(self)
        if len(peers) > PER_IP:
            slow = next((p for p in peers if p._waiting_headers and p is not self), None)
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
