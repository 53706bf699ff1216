"""Feed endpoints and OPML."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from syndicate import metrics
from syndicate.publish.feed_cache import MAX_PAGE, RenderedFeed, UnknownFeed
from syndicate.publish.feeds import FORMATS, ICON_SIZES
from syndicate.web.state import AppState


def _page(request: Request) -> int | None:
    """?page=N as a positive int; None when it is not one (a 400)."""
    raw = request.query_params.get("page", "1")
    if not raw.isascii() or not raw.isdigit():
        return None
    # A 30-digit page is past the end (404), and never converted or handed to the database.
    return max(int(raw), 1) if len(raw) <= 9 else MAX_PAGE + 1


# Run in the thread pool (see _feed), so rendering and the database never block the event
# loop (a 4 s render or a held write lock used to stall /healthz).
def _serve_feed(request: Request, key: str, fmt: str) -> Response:
    state: AppState = request.app.state.syndicate
    # Metric labels stay a small fixed set: unknown feeds and formats share one series.
    fmt_label = fmt if fmt in FORMATS else "other"
    page = _page(request)
    if page is None:
        metrics.record_feed_request("unknown", fmt_label, 400)
        return PlainTextResponse("page: expected a positive whole number\n", status_code=400)
    try:
        feed = state.feeds.get(key, fmt, page)
    except UnknownFeed:
        metrics.record_feed_request("unknown", fmt_label, 404)
        shown = key[:80]
        return PlainTextResponse(
            f"no such feed: {shown}.{fmt[:10]} (page {page})\n", status_code=404
        )
    return _answer(request, feed, key, fmt)


def _answer(request: Request, feed: RenderedFeed, key: str, fmt: str) -> Response:
    headers = {
        "ETag": feed.etag,
        "Last-Modified": feed.last_modified,
        "Cache-Control": "public, max-age=300",
    }
    if feed.matches(request.headers.get("if-none-match"), request.headers.get("if-modified-since")):
        metrics.record_feed_request(key, fmt, 304)
        return Response(status_code=304, headers=headers)
    metrics.record_feed_request(key, fmt, 200)
    return Response(feed.body, media_type=feed.content_type, headers=headers)


async def _feed(request: Request, key: str, fmt: str) -> Response:
    """A feed that is cached and current is answered on the event loop (a dict lookup); the
    rest (a render, a version check against the store) goes to the thread pool."""
    state: AppState = request.app.state.syndicate
    if request.query_params.get("page", "1") == "1":
        feed = state.feeds.peek(key, fmt)
        if feed is not None:
            return _answer(request, feed, key, fmt)
    return await run_in_threadpool(_serve_feed, request, key, fmt)


async def source_feed(request: Request) -> Response:
    return await _feed(request, request.path_params["key"], request.path_params["fmt"])


async def tag_feed(request: Request) -> Response:
    return await _feed(request, "tag/" + request.path_params["tag"], request.path_params["fmt"])


def opml_document(state: AppState, aggregate: bool = False) -> bytes:
    """OPML 2.0 of every source's own feed, or (aggregate) of the one all-sources feed.

    Never both in one file: a reader that imports it would show every article twice."""
    s = state.settings
    base = s.server.base_url
    title = "syndicate: semua sumber / all sources" if aggregate else "syndicate feeds"
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{escape(title)}</title></head>",
        "  <body>",
    ]
    site_names = {} if aggregate else state.store.site_names()
    outlines = (
        [("Semua sumber / All sources", f"{base}/feeds/all.rss", f"{base}/")]
        if aggregate
        else [
            (
                src.display_name(site_names.get(src.id)),
                f"{base}/feeds/{src.id}.rss",
                f"{base}/sources/{src.id}",
            )
            for src in s.sources
            if src.enabled
        ]
    )
    for text, xml_url, html_url in outlines:
        lines.append(
            f'    <outline type="rss" text={quoteattr(text)} title={quoteattr(text)} '
            f"xmlUrl={quoteattr(xml_url)} htmlUrl={quoteattr(html_url)}/>"
        )
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode()


def opml(request: Request) -> Response:
    aggregate = request.query_params.get("all", "") not in ("", "0")
    return Response(
        opml_document(request.app.state.syndicate, aggregate),
        media_type="text/x-opml; charset=utf-8",
    )


async def feed_icon(request: Request) -> Response:
    """The square a feed names as its icon/logo/favicon: per source, or "all" for the rest."""
    from syndicate.web.federation import icon_png

    state: AppState = request.app.state.syndicate
    name, size = request.path_params["name"], request.path_params["size"]
    known = name == "all" or any(s.id == name and s.enabled for s in state.settings.sources)
    if not known or size not in ICON_SIZES.values():
        return PlainTextResponse("no such icon\n", status_code=404)
    return Response(
        icon_png(name, size),
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400"},
    )


routes = [
    Route("/feeds/tag/{tag}.{fmt:str}", tag_feed),
    Route("/feeds/{key}.{fmt:str}", source_feed),
    Route("/icons/{name}-{size:int}.png", feed_icon),
    Route("/opml", opml),
    Route("/feeds.opml", opml),
]
