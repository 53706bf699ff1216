"""ASGI application factory."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syndicate.config import Settings
from syndicate.publish.feed_cache import FeedCache
from syndicate.store import Store
from syndicate.web import api, feeds, health, pages, websub_callback
from syndicate.web import federation as federation_routes
from syndicate.web import metrics as metrics_routes
from syndicate.web.state import ROLES, AppState


def create_app(  # type: ignore[no-untyped-def]
    settings: Settings, store: Store, *, lifespan=None, roles: frozenset[str] = frozenset(ROLES)
) -> Starlette:
    """The app of one node. Without the web role only /healthz and /metrics are served (a
    worker node behind no proxy still answers its health checks)."""
    state = AppState(settings=settings, store=store, feeds=FeedCache(settings, store), roles=roles)
    # Served feeds follow changes at once (a one-off export needs no listener, so not in FeedCache).
    store.signals.events.subscribe(state.feeds.check_now)
    routes: list[BaseRoute] = [*health.routes, *metrics_routes.routes]
    if "web" in roles:
        # Feeds first: the most requested paths match on the first routes tried (no route
        # pattern elsewhere overlaps /feeds/…).
        routes = [*feeds.routes, *routes, *api.routes, *pages.routes, *federation_routes.routes]
        routes += websub_callback.routes
    app = Starlette(routes=routes, lifespan=lifespan)
    # Starlette's own slash redirect builds Location from the request's Host header.
    app.router.redirect_slashes = False
    app.add_middleware(SlashRedirect, routes=routes)
    app.state.syndicate = state
    return app


class SlashRedirect:
    """/sources/x/ -> /sources/x (and back) when only the other spelling is a route; the
    Location is built from base_url, never from the Host header a client sent."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app, self.routes = app, routes

    def _routed(self, scope: Scope) -> bool:
        return any(route.matches(scope)[0] != Match.NONE for route in self.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path == "/":
            await self.app(scope, receive, send)
            return
        # Matching every route on every request cost feed GETs ~10% (bench/feeds.py): look at
        # the other spelling only when the app answered 404, and drop that 404's body then.
        redirected = False

        async def send_or_redirect(message: Message) -> None:
            nonlocal redirected
            if message["type"] == "http.response.start" and message["status"] == 404:
                other = path.rstrip("/") if path.endswith("/") else path + "/"
                if other and not self._routed(scope) and self._routed({**scope, "path": other}):
                    redirected = True
                    base = scope["app"].state.syndicate.settings.server.base_url
                    query = scope.get("query_string", b"").decode("latin-1")
                    location = base + other + (f"?{query}" if query else "")
                    await RedirectResponse(location, status_code=307)(scope, receive, send)
                    return
            if not redirected:
                await send(message)

        await self.app(scope, receive, send_or_redirect)
