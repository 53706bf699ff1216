"""ActivityPub and discovery endpoints: WebFinger, NodeInfo, host-meta, actors, inboxes,
collections, objects and activities. Browsers asking for an actor or post get our HTML page."""

from __future__ import annotations

import asyncio
import hashlib
import json
import struct
import zlib
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from syndicate import __version__
from syndicate.models import ArticleStatus
from syndicate.publish.activitypub import vocab
from syndicate.publish.activitypub.federation import (
    MAX_INBOX_BYTES,
    Federation,
    KeyUnavailable,
    Unauthorized,
    federation_for,
)
from syndicate.publish.activitypub.outbox import render_object
from syndicate.publish.corrections import article_corrections
from syndicate.store import Store
from syndicate.web.state import AppState

AP_HEADERS = {"Vary": "Accept", "Access-Control-Allow-Origin": "*"}


def _fed(request: Request) -> Federation:
    state: AppState = request.app.state.syndicate
    return federation_for(state)


def _enabled(request: Request) -> bool:
    return request.app.state.syndicate.settings.federation.enabled


def wants_html(request: Request) -> bool:
    """A browser: asks for HTML and not for ActivityStreams JSON."""
    accept = request.headers.get("accept", "").lower()
    if "application/activity+json" in accept or "application/ld+json" in accept:
        return False
    return "text/html" in accept


def ap_json(doc: dict[str, Any], status: int = 200, cache: int = 60) -> Response:
    headers = {**AP_HEADERS, "Cache-Control": f"public, max-age={cache}"}
    return Response(
        json.dumps(doc, ensure_ascii=False).encode(),
        status_code=status,
        media_type=vocab.AS_MEDIA,
        headers=headers,
    )


def not_found(what: str = "not found") -> Response:
    return PlainTextResponse(f"{what}\n", status_code=404, headers=AP_HEADERS)


def _page(request: Request) -> int | None:
    raw = request.query_params.get("page")
    if raw is None:
        return None
    if raw == "true":
        return 1
    try:
        return max(1, int(raw))
    except ValueError:
        return 1


# ---- discovery ----------------------------------------------------------------------------


def resolve_resource(fed: Federation, resource: str) -> tuple[bool, str | None]:
    """(found, source id or None for the instance actor) for a WebFinger resource."""
    urls = fed.urls
    resource = unquote(resource.strip())
    hosts = {urls.host.lower(), (urlsplit(urls.base).hostname or "").lower()}
    if resource.startswith("acct:") or ("@" in resource and "://" not in resource):
        user, _, host = resource.removeprefix("acct:").lstrip("@").rpartition("@")
        if host.lower() not in hosts:
            return False, None
        if user in fed.sources():
            return True, user
        if user == urls.host.split(":")[0]:
            return True, None
        return False, None
    resource = resource.split("#", 1)[0].rstrip("/")
    if resource == urls.instance_actor:
        return True, None
    for prefix in (f"{urls.base}/users/", f"{urls.base}/sources/", f"{urls.base}/@"):
        if resource.startswith(prefix):
            sid = resource[len(prefix) :]
            if sid in fed.sources():
                return True, sid
    return False, None


async def webfinger(request: Request) -> Response:
    resource = request.query_params.get("resource")
    if not resource:
        return PlainTextResponse("give ?resource=acct:user@host\n", status_code=400)
    fed = _fed(request)
    found, sid = resolve_resource(fed, resource) if _enabled(request) else (False, None)
    if not found:
        return PlainTextResponse(f"no such account: {resource}\n", status_code=404)
    return JSONResponse(
        vocab.webfinger(fed.urls, sid),
        media_type="application/jrd+json",
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300"},
    )


async def host_meta(request: Request) -> Response:
    base = request.app.state.syndicate.settings.server.base_url
    return Response(vocab.host_meta(base), media_type="application/xrd+xml")


async def nodeinfo_links(request: Request) -> Response:
    return JSONResponse(vocab.nodeinfo_links(_fed(request).urls))


async def nodeinfo(request: Request) -> Response:
    fed = _fed(request)
    store = fed.store
    users = len(fed.sources())
    posts = await asyncio.to_thread(store.count_articles)
    doc = vocab.nodeinfo(__version__, users, posts, fed.urls.host)
    return JSONResponse(
        doc,
        media_type='application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"',
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=1800"},
    )


# ---- actors -------------------------------------------------------------------------------


async def instance_actor(request: Request) -> Response:
    fed = _fed(request)
    _, public = await fed.key(vocab.INSTANCE)
    created = await asyncio.to_thread(fed.store.ap_key_created, vocab.INSTANCE)
    return ap_json(vocab.instance_actor(fed.urls, public, created), cache=300)


async def actor(request: Request) -> Response:
    fed = _fed(request)
    sid = request.path_params["id"]
    src = fed.sources().get(sid)
    if src is None or not _enabled(request):
        return not_found("no such actor")
    if wants_html(request):
        return RedirectResponse(
            fed.urls.profile_page(sid), status_code=302, headers={"Vary": "Accept"}
        )
    _, public = await fed.key(sid)
    created = await asyncio.to_thread(fed.store.ap_key_created, sid)
    name = src.name
    if not src.has_name:  # the site's own name, once discovery found it
        name = src.display_name((await asyncio.to_thread(fed.store.source_state, sid)).site_name)
    doc = vocab.source_actor(
        fed.urls,
        source_id=sid,
        name=name,
        description=src.description,
        site_url=src.url,
        public_key_pem=public,
        published=created,
        other_urls=tuple(u for u in (src.feed_url,) if u),
    )
    return ap_json(doc, cache=300)


async def featured_tags(request: Request) -> Response:
    fed = _fed(request)
    sid = request.path_params["id"]
    if sid not in fed.sources():
        return not_found("no such actor")
    slugs = await asyncio.to_thread(fed.store.top_tags, sid)
    return ap_json(vocab.featured_tags(fed.urls, sid, slugs))


async def profile_alias(request: Request) -> Response:
    """/@detailnews, the path people type, goes to the source page."""
    fed = _fed(request)
    sid = request.path_params["id"]
    if sid not in fed.sources():
        return not_found("no such actor")
    if wants_html(request):
        return RedirectResponse(fed.urls.profile_page(sid), status_code=302)
    return RedirectResponse(fed.urls.actor(sid), status_code=302)


@lru_cache(maxsize=256)
def icon_png(source_id: str, size: int = 128) -> bytes:
    """A plain square in a colour drawn from the source id: an avatar that never 404s."""
    r, g, b = hashlib.sha256(source_id.encode()).digest()[:3]
    r, g, b = (64 + r // 2, 64 + g // 2, 64 + b // 2)
    row = b"\x00" + bytes((r, g, b)) * size
    raw = zlib.compress(row * size, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


async def icon(request: Request) -> Response:
    sid = request.path_params["id"]
    if sid not in _fed(request).sources():
        return not_found()
    return Response(
        icon_png(sid), media_type="image/png", headers={"Cache-Control": "public, max-age=86400"}
    )


# ---- inboxes ------------------------------------------------------------------------------


async def _read_body(request: Request, cap: int) -> bytes | None:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > cap:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            return None
    return bytes(body)


# What ActivityPub servers send (ld+json with the AS profile); plain JSON is tolerated.
INBOX_TYPES = ("application/activity+json", "application/ld+json", "application/json")


async def _inbox(request: Request, source_id: str | None) -> Response:
    if not _enabled(request):
        return not_found()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in INBOX_TYPES:
        return PlainTextResponse(
            f"expected Content-Type: application/activity+json, got {ctype or 'none'}\n",
            status_code=415,
        )
    body = await _read_body(request, MAX_INBOX_BYTES)
    if body is None:
        return PlainTextResponse(f"body larger than {MAX_INBOX_BYTES} bytes\n", status_code=413)
    headers: dict[str, str] = {}
    for name in request.headers:
        headers.setdefault(name, ", ".join(request.headers.getlist(name)))
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    path = raw_path.decode("latin-1").split("?", 1)[0]
    query = request.scope.get("query_string", b"").decode("latin-1")
    result = await _fed(request).receive(source_id, "POST", path, query, headers, body)
    retry = {"Retry-After": "60"} if result.status == 503 else None
    return PlainTextResponse(result.message + "\n", status_code=result.status, headers=retry)


async def user_inbox(request: Request) -> Response:
    return await _inbox(request, request.path_params["id"])


async def shared_inbox(request: Request) -> Response:
    return await _inbox(request, None)


# ---- collections --------------------------------------------------------------------------


async def _paged_collection(request: Request, name: str, count: Any, page_items: Any) -> Response:
    """An OrderedCollection with its total, and ?page=N pages of PAGE_SIZE items, newest first."""
    fed = _fed(request)
    sid = request.path_params["id"]
    if sid not in fed.sources():
        return not_found("no such actor")
    url = fed.urls.collection(sid, name)
    total = await asyncio.to_thread(count, fed.store, sid)
    page = _page(request)
    if page is None:
        return ap_json(vocab.ordered_collection(url, total))
    offset = (page - 1) * vocab.PAGE_SIZE
    items = await asyncio.to_thread(
        page_items, fed.store, sid, limit=vocab.PAGE_SIZE, offset=offset
    )
    return ap_json(vocab.ordered_page(url, page, total, items))


async def outbox(request: Request) -> Response:
    return await _paged_collection(request, "outbox", Store.outbox_count, Store.outbox_page)


async def followers(request: Request) -> Response:
    return await _paged_collection(request, "followers", Store.follower_count, Store.follower_ids)


async def followers_synchronization(request: Request) -> Response:
    """FEP-8fcf partial followers collection: our followers on the requesting server only. The
    GET must be signed; the signer's host says which part of the collection it gets."""
    fed = _fed(request)
    sid = request.path_params["id"]
    if sid not in fed.sources():
        return not_found("no such actor")
    headers = {name: ", ".join(request.headers.getlist(name)) for name in request.headers}
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"").decode("latin-1")
    try:
        signer = await fed.authenticate(
            "GET", raw_path.decode("latin-1").split("?", 1)[0], query, headers, None
        )
    except Unauthorized as exc:
        status = 503 if isinstance(exc, KeyUnavailable) else 401
        return PlainTextResponse(f"{exc}\n", status_code=status, headers=AP_HEADERS)
    host = urlsplit(signer.actor_id).netloc
    ids = await asyncio.to_thread(fed.followers_on_host, sid, host)
    url = fed.urls.collection(sid, "followers_synchronization")
    doc = {
        "@context": vocab.AS,
        "id": url,
        "type": "OrderedCollection",
        "totalItems": len(ids),
        "orderedItems": ids,
    }
    return ap_json(doc, cache=0)


async def empty_collection(request: Request) -> Response:
    fed = _fed(request)
    sid = request.path_params["id"]
    if sid not in fed.sources():
        return not_found("no such actor")
    name = request.url.path.rsplit("/", 1)[1]
    return ap_json(vocab.ordered_collection(fed.urls.collection(sid, name), 0, paged=False))


async def instance_outbox(request: Request) -> Response:
    return ap_json(
        vocab.ordered_collection(f"{_fed(request).urls.instance_actor}/outbox", 0, paged=False)
    )


# ---- objects and activities ---------------------------------------------------------------


async def status(request: Request) -> Response:
    fed = _fed(request)
    sid, aid = request.path_params["id"], request.path_params["article_id"]
    article = await asyncio.to_thread(fed.store.get_article, aid)
    if article is None or article.source_id != sid or sid not in fed.sources():
        return not_found("no such post")
    if wants_html(request):
        return RedirectResponse(
            fed.urls.article_page(aid), status_code=302, headers={"Vary": "Accept"}
        )
    if article.status == ArticleStatus.REMOVED:
        return ap_json(vocab.tombstone(fed.urls, sid, aid, article.removed_at), status=410)
    counts = await asyncio.to_thread(post_counts, fed.store, aid)
    fixes = await asyncio.to_thread(article_corrections, fed.store, fed.settings, article)
    return ap_json(render_object(fed.settings, article, counts=counts, corrections=fixes))


def post_counts(store: Store, article_id: str) -> vocab.PostCounts:
    """Live counts for a post's collections (Mastodon >= 4.4 shows them for remote posts)."""
    reactions = store.reaction_counts(article_id)
    first = store.replies(article_id, limit=vocab.PAGE_SIZE)
    return vocab.PostCounts(
        likes=reactions.get("like", 0) + reactions.get("emoji", 0),
        shares=reactions.get("announce", 0),
        replies=store.reply_count(article_id),
        reply_ids=tuple(r.object_id for r in first),
    )


async def _live_post(request: Request) -> tuple[Federation, Any] | Response:
    """(federation, article) for /users/{id}/statuses/{article_id}/…, or the error response."""
    fed = _fed(request)
    sid, aid = request.path_params["id"], request.path_params["article_id"]
    article = await asyncio.to_thread(fed.store.get_article, aid)
    if article is None or article.source_id != sid or sid not in fed.sources():
        return not_found("no such post")
    if article.status == ArticleStatus.REMOVED:
        return ap_json(vocab.tombstone(fed.urls, sid, aid, article.removed_at), status=410)
    return fed, article


async def post_collection(request: Request) -> Response:
    """replies (paged, oldest first), likes and shares (counts only, as Mastodon serves them)."""
    found = await _live_post(request)
    if isinstance(found, Response):
        return found
    fed, article = found
    name = request.url.path.rsplit("/", 1)[1]
    counts = await asyncio.to_thread(post_counts, fed.store, article.id)
    doc = vocab.post_collections(fed.urls, article.source_id, article.id, counts)[name]
    if name == "replies" and (page := _page(request)) is not None:
        items = await asyncio.to_thread(
            fed.store.replies,
            article.id,
            limit=vocab.PAGE_SIZE,
            offset=(page - 1) * vocab.PAGE_SIZE,
        )
        doc = {
            "id": f"{doc['id']}?page={page}",
            "type": "CollectionPage",
            "partOf": doc["id"],
            "items": [r.object_id for r in items],
        }
        if page * vocab.PAGE_SIZE < counts.replies:
            doc["next"] = f"{doc['partOf']}?page={page + 1}"
    return ap_json({"@context": vocab.AS, **doc})


async def quote_stamp(request: Request) -> Response:
    """A FEP-044f QuoteAuthorization; 410 once the quoted article is withdrawn, 404 for a stamp
    we never issued. Reading deletes nothing: the removal event withdraws the stamps in the
    transaction that queues each quoter's Delete, and a GET first would have lost that."""
    fed = _fed(request)
    sid, stamp_id = request.path_params["id"], request.path_params["stamp_id"]
    stamp = await asyncio.to_thread(fed.store.quote_stamp, stamp_id)
    if stamp is None or stamp.source_id != sid:
        return not_found("no such quote authorization")
    article = await asyncio.to_thread(fed.store.get_article, stamp.article_id)
    if article is None or article.status == ArticleStatus.REMOVED:
        tomb = {"@context": vocab.AS, "id": str(request.url), "type": "Tombstone"}
        return ap_json(tomb, status=410)
    doc = vocab.quote_authorization(fed.urls, sid, stamp.id, stamp.article_id, stamp.quote_id)
    return ap_json(doc, cache=300)


async def activity(request: Request) -> Response:
    fed = _fed(request)
    doc = await asyncio.to_thread(fed.store.activity, request.path_params["activity_id"])
    if doc is None:
        return not_found("no such activity")
    obj = doc.get("object")
    if doc.get("type") in ("Create", "Update") and isinstance(obj, dict):
        found = fed.urls.article_of_object(obj.get("id", ""))
        if found:
            article = await asyncio.to_thread(fed.store.get_article, found[1])
            if article is None or article.status == ArticleStatus.REMOVED:
                # The article was withdrawn: do not keep serving its text.
                tomb = vocab.tombstone(
                    fed.urls, found[0], found[1], article.removed_at if article else None
                )
                return ap_json({**tomb, "id": doc["id"]}, status=410)
    return ap_json(doc, cache=300)


routes = [
    Route("/.well-known/webfinger", webfinger),
    Route("/.well-known/host-meta", host_meta),
    Route("/.well-known/nodeinfo", nodeinfo_links),
    Route("/nodeinfo/2.1", nodeinfo),
    Route("/actor", instance_actor),
    Route("/actor/inbox", shared_inbox, methods=["POST"]),
    Route("/actor/outbox", instance_outbox),
    Route("/inbox", shared_inbox, methods=["POST"]),
    Route("/@{id}", profile_alias),
    Route("/users/{id}", actor),
    Route("/users/{id}/icon.png", icon),
    Route("/users/{id}/inbox", user_inbox, methods=["POST"]),
    Route("/users/{id}/outbox", outbox),
    Route("/users/{id}/followers", followers),
    Route("/users/{id}/followers_synchronization", followers_synchronization),
    Route("/users/{id}/following", empty_collection),
    Route("/users/{id}/featured", empty_collection),
    Route("/users/{id}/collections/tags", featured_tags),
    Route("/users/{id}/statuses/{article_id}", status),
    Route("/users/{id}/statuses/{article_id}/replies", post_collection),
    Route("/users/{id}/statuses/{article_id}/likes", post_collection),
    Route("/users/{id}/statuses/{article_id}/shares", post_collection),
    Route("/users/{id}/quote_authorizations/{stamp_id}", quote_stamp),
    Route("/activities/{activity_id}", activity),
]
