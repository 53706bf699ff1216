"""Server-rendered pages for people."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from syndicate.models import ArticleStatus
from syndicate.publish.feeds import article_link
from syndicate.web.state import AppState

HERE = Path(__file__).parent
templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
)


def render(request: Request, name: str, status_code: int = 200, **ctx: object) -> HTMLResponse:
    state: AppState = request.app.state.syndicate
    base = state.settings.server.base_url
    html = templates.get_template(name).render(base_url=base, host=urlsplit(base).netloc, **ctx)
    return HTMLResponse(html, status_code=status_code)


async def index(request: Request) -> Response:
    state: AppState = request.app.state.syndicate
    states = state.store.all_source_states()
    sources = []
    for src in state.settings.sources:
        if not src.enabled:
            continue
        sources.append(
            {
                "id": src.id,
                "name": src.name,
                "description": src.description,
                "latest": state.store.latest_articles([src.id], limit=5),
                "state": states.get(src.id),
            }
        )
    return render(request, "index.html", sources=sources)


async def article_page(request: Request) -> Response:
    state: AppState = request.app.state.syndicate
    article = state.store.get_article(request.path_params["id"])
    if article is None:
        return render(request, "base.html", status_code=404)
    if article.status == ArticleStatus.REMOVED:
        return HTMLResponse(
            "<h1>410 Gone</h1><p>Artikel ini telah dihapus oleh sumbernya.</p>", status_code=410
        )
    settings = state.settings
    try:
        src = settings.source(article.source_id)
    except KeyError:
        return HTMLResponse("<h1>404</h1>", status_code=404)
    tz = ZoneInfo(settings.timezone(src))
    published_local = (
        article.published.astimezone(tz).strftime("%d/%m/%Y %H:%M %Z") if article.published else ""
    )
    return render(
        request,
        "article.html",
        article=article,
        source=src,
        link=article_link(article, settings.server.base_url),
        full=settings.content(src) == "full",
        published_local=published_local,
    )


async def healthz(request: Request) -> Response:
    state: AppState = request.app.state.syndicate
    stalled = state.stalled()
    try:
        state.store.last_event_id()
        db = "ok"
    except Exception as exc:  # the health check reports, it must not crash
        db = f"error: {type(exc).__name__}"
    ok = not stalled and db == "ok"
    return JSONResponse(
        {"status": "ok" if ok else "failing", "database": db, "stalled": stalled},
        status_code=200 if ok else 503,
    )


routes = [
    Route("/", index),
    Route("/articles/{id}", article_page),
    Route("/healthz", healthz),
    Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
]
