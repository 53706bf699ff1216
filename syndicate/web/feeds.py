"""Feed endpoints and OPML."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from syndicate import metrics
from syndicate.publish.feed_cache import UnknownFeed
from syndicate.web.state import AppState


def _serve_feed(request: Request, key: str, fmt: str) -> Response:
    state: AppState = request.app.state.syndicate
    try:
        page = int(request.query_params.get("page", "1"))
    except ValueError:
        page = 1
    try:
        feed = state.feeds.get(key, fmt, max(page, 1))
    except UnknownFeed:
        metrics.record_feed_request(key, fmt, 404)
        return PlainTextResponse(f"no such feed: {key}.{fmt} (page {page})\n", status_code=404)
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


async def source_feed(request: Request) -> Response:
    return _serve_feed(request, request.path_params["key"], request.path_params["fmt"])


async def tag_feed(request: Request) -> Response:
    return _serve_feed(
        request, "tag/" + request.path_params["tag"].lower(), request.path_params["fmt"]
    )


def opml_document(state: AppState) -> bytes:
    s = state.settings
    base = s.server.base_url
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head><title>syndicate feeds</title></head>",
        "  <body>",
    ]
    for src in s.sources:
        if not src.enabled:
            continue
        lines.append(
            f'    <outline type="rss" text={quoteattr(src.name)} title={quoteattr(src.name)} '
            f"xmlUrl={quoteattr(f'{base}/feeds/{src.id}.rss')} htmlUrl={quoteattr(f'{base}/sources/{src.id}')}/>"
        )
    lines.append(
        f'    <outline type="rss" text="All sources" title="All sources" xmlUrl={quoteattr(f"{base}/feeds/all.rss")} htmlUrl={quoteattr(base + "/")}/>'
    )
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode()


async def opml(request: Request) -> Response:
    return Response(
        opml_document(request.app.state.syndicate), media_type="text/x-opml; charset=utf-8"
    )


routes = [
    Route("/feeds/tag/{tag}.{fmt:str}", tag_feed),
    Route("/feeds/{key}.{fmt:str}", source_feed),
    Route("/opml", opml),
    Route("/feeds.opml", opml),
]
