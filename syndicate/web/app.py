"""ASGI application factory."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from syndicate.config import Settings
from syndicate.publish.feed_cache import FeedCache
from syndicate.store import Store
from syndicate.web import api, feeds, health, pages
from syndicate.web import federation as federation_routes
from syndicate.web import metrics as metrics_routes
from syndicate.web.state import ROLES, AppState


def create_app(  # type: ignore[no-untyped-def]
    settings: Settings, store: Store, *, lifespan=None, roles: frozenset[str] = frozenset(ROLES)
) -> Starlette:
    """The app of one node. Without the web role only /healthz and /metrics are served (a
    worker node behind no proxy still answers its health checks)."""
    state = AppState(settings=settings, store=store, feeds=FeedCache(settings, store), roles=roles)
    routes: list[BaseRoute] = [*health.routes, *metrics_routes.routes]
    if "web" in roles:
        routes += [*api.routes, *feeds.routes, *pages.routes, *federation_routes.routes]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.syndicate = state
    return app
