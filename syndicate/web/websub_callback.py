"""The WebSub subscriber's callback, /websub/{source_id}: the hub verifies our intent (GET) and
delivers content (POST, HMAC-signed). The rules are in syndicate.websub_subscriber."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from syndicate import websub_subscriber
from syndicate.web.state import AppState

log = logging.getLogger("syndicate.websub.subscriber")


def _source_id(request: Request, state: AppState) -> str | None:
    sid = request.path_params["source_id"]
    return sid if any(s.id == sid and s.enabled for s in state.settings.sources) else None


async def verify(request: Request) -> Response:
    state: AppState = request.app.state.syndicate
    sid = _source_id(request, state)
    if sid is None:
        return PlainTextResponse("unknown subscription\n", status_code=404)
    source_state = await asyncio.to_thread(state.store.source_state, sid)
    updated, challenge = websub_subscriber.verify_intent(
        source_state.cursor.get("websub"), request.query_params, datetime.now(UTC)
    )
    if updated is None or challenge is None:
        return PlainTextResponse("unknown subscription\n", status_code=404)
    # Re-read and write only our key: a pass may be saving this source's state right now.
    fresh = await asyncio.to_thread(state.store.source_state, sid)
    fresh.cursor["websub"] = updated
    await asyncio.to_thread(state.store.save_source_state, fresh)
    if updated["state"] == "active":  # pushes expected now: the next poll is the fallback one
        src = state.settings.source(sid)
        later = datetime.now(UTC) + websub_subscriber.fallback_interval(
            state.settings.interval(src)
        )
        await asyncio.to_thread(state.store.reschedule_source, sid, later)
    log.info("source %s: hub %s: subscription %s", sid, updated.get("hub"), updated["state"])
    return PlainTextResponse(challenge)


async def deliver(request: Request) -> Response:
    state: AppState = request.app.state.syndicate
    sid = _source_id(request, state)
    if sid is None:
        return PlainTextResponse("unknown subscription\n", status_code=404)
    limit = state.settings.fetch.max_body_bytes
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return PlainTextResponse("too large\n", status_code=413)
    source_state = await asyncio.to_thread(state.store.source_state, sid)
    sub = source_state.cursor.get("websub") or {}
    signature = request.headers.get("x-hub-signature")
    if not websub_subscriber.signature_ok(sub.get("secret", ""), body, signature):
        # WebSub 5.3: acknowledge, but ignore content whose signature does not match.
        log.warning("source %s: ignored a WebSub delivery with a bad or missing signature", sid)
        return Response(status_code=202)
    # Due now: the store's sources_due signal wakes the scheduler holding the ingest role (this
    # node's, or on PostgreSQL any node's), which reads it in a normal pass.
    await asyncio.to_thread(state.store.reschedule_source, sid, datetime.now(UTC))
    log.info("source %s: WebSub delivery (%d bytes): fetching now", sid, len(body))
    return Response(status_code=202)


routes = [
    Route("/websub/{source_id}", verify, methods=["GET"]),
    Route("/websub/{source_id}", deliver, methods=["POST"]),
]
