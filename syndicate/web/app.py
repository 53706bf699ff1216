"""ASGI application factory."""

from __future__ import annotations

from starlette.applications import Starlette

from syndicate.config import Settings
from syndicate.publish.feed_cache import FeedCache
from syndicate.store import Store
from syndicate.web import api, feeds, pages
from syndicate.web import federation as federation_routes
from syndicate.web import metrics as metrics_routes
from syndicate.web.state import AppState


def create_app(settings: Settings, store: Store, *, lifespan=None) -> Starlette:  # type: ignore[no-untyped-def]
    state = AppState(settings=settings, store=store, feeds=FeedCache(settings, store))
    app = Starlette(
        routes=[
            *api.routes,
            *feeds.routes,
            *pages.routes,
            *metrics_routes.routes,
            *federation_routes.routes,
        ],
        lifespan=lifespan,
    )
    app.state.syndicate = state
    return app
