"""GET /healthz: is this node doing its job? Status words only (the reasons are in the log and
on the operator's CLI: `syndicate sources`, `syndicate check-config`), per role this node runs.

It fails (503) when a role's loop stalled, when the database cannot be read, or when it cannot
be written: the write probe records this node as seen (cluster_nodes), so a full disk or a
read-only database shows here instead of as silently lost articles.
"""

from __future__ import annotations

import threading
import time

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from syndicate.web.state import AppState

# Which heartbeat loops belong to which role.
ROLE_LOOPS = {"ingest": ("scheduler",), "deliver": ("delivery", "websub"), "web": ()}
PROBE_EVERY = 5.0  # seconds between write probes: /healthz may be polled every second
PROBE_STALL = 3.0  # a write probe still waiting this long means writes are failing


def _probe_writes(state: AppState, started: float) -> None:
    try:
        state.store.node_seen(state.node, sorted(state.roles))
        state.write_probe = (started, "ok")
    except Exception:
        state.write_probe = (started, "failing")
    finally:
        state.write_probe_started = None


def _database(state: AppState) -> tuple[str, str]:
    """('ok'|'failing' reading, 'ok'|'failing' writing).

    The write probe runs in a thread of its own, at most every PROBE_EVERY s: a write lock held
    elsewhere (SQLite waits up to its busy timeout) must not hold up the health answer. A probe
    still waiting after PROBE_STALL s counts as failing writes.
    """
    try:
        state.store.last_event_id()
        read = "ok"
    except Exception:
        return "failing", "failing"
    now = time.monotonic()
    started = state.write_probe_started
    if started is not None:
        return read, "failing" if now - started > PROBE_STALL else state.write_probe[1]
    if now - state.write_probe[0] >= PROBE_EVERY:
        state.write_probe_started = now
        threading.Thread(target=_probe_writes, args=(state, now), daemon=True).start()
    return read, state.write_probe[1]


def healthz(request: Request) -> JSONResponse:
    # Plain def: Starlette runs it in its thread pool, so a slow database never blocks the loop.
    state: AppState = request.app.state.syndicate
    stalled = state.stalled()
    read, write = _database(state)
    roles = {
        role: "stalled" if any(loop in stalled for loop in ROLE_LOOPS[role]) else "ok"
        for role in sorted(state.roles)
    }
    if "web" in roles and read != "ok":
        roles["web"] = "failing"
    ok = not stalled and read == "ok" and write == "ok"
    now = time.monotonic()
    loops = {
        name: {
            "seconds_since_beat": round(now - t, 1),
            "limit": state.heartbeat_limits.get(name, 120.0),
        }
        for name, t in state.heartbeats.items()
    }
    return JSONResponse(
        {
            "status": "ok" if ok else "failing",
            "roles": roles,
            "database": read,
            "writes": write,
            "stalled": stalled,
            "loops": loops,
            "config": {"count": state.reloads.count, "last": state.reloads.last},
        },
        status_code=200 if ok else 503,
        headers={"Cache-Control": "no-store"},
    )


routes = [Route("/healthz", healthz)]
