"""POST /api/posts: a newsroom pushes its own articles as JSON (sources with kind = "api").

Authentication is a bearer token (`[api] token` or SYNDICATE_API_TOKEN). The body is one post,
a list of posts, or {"posts": [...]}; every problem is answered with a 4xx that names the field:

    {"source": "dinkes", "id": "2026-001", "title": "...", "content_html": "<p>...</p>",
     "published": "2026-01-05T11:42:18+08:00", "authors": ["ical"], "tags": ["DBD"]}

Every post needs an `id` or a `url` (what makes it the same post next time). A post with an
`id` (or `url`) already stored is updated when its text changed (a correction);
DELETE /api/posts/{source}/{id} retracts one (a `removed` event: feeds drop it, followers get a
Delete).
"""

from __future__ import annotations

import asyncio
import hmac
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syndicate import boundary, safejson
from syndicate.config import Settings, SourceSettings
from syndicate.ingest.runner import store_entries
from syndicate.models import Change, Entry
from syndicate.normalize.clean import html_to_text, sanitize_html, summarize
from syndicate.normalize.urls import canonicalize_url
from syndicate.store.articles import KeyConflict
from syndicate.web.state import AppState

MAX_BODY = 2_000_000
MAX_POSTS = 100


def _names(value: Any) -> Any:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


Names = Annotated[list[str], BeforeValidator(_names)]


class PostIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # Limits are the input boundary's (syndicate/boundary.py): refused here with the field's
    # name rather than clipped in silence.
    source: str = Field(max_length=64)
    title: str = Field(min_length=1, max_length=boundary.MAX_TITLE)
    # The newsroom's own id: stable across updates, and a path segment of DELETE.
    id: str | None = Field(None, max_length=200, pattern=r"^[^/\s?#%]+$")
    url: str | None = Field(None, max_length=boundary.MAX_URL)
    content_html: str | None = Field(None, max_length=boundary.MAX_BODY)
    content_text: str | None = Field(None, max_length=boundary.MAX_BODY)
    summary: str | None = Field(None, max_length=boundary.MAX_SUMMARY)
    published: datetime | None = None
    updated: datetime | None = None
    authors: Annotated[Names, Field(max_length=boundary.MAX_AUTHORS)] = []
    editor: str | None = Field(None, max_length=boundary.MAX_AUTHOR)
    image: str | None = Field(None, max_length=boundary.MAX_URL)
    image_alt: str | None = Field(None, max_length=boundary.MAX_SHORT)
    tags: Annotated[Names, Field(max_length=boundary.MAX_TAGS)] = []
    language: str | None = Field(None, max_length=boundary.MAX_LANGUAGE)
    dateline: str | None = Field(None, max_length=boundary.MAX_SHORT)

    @field_validator("authors", "tags")
    @classmethod
    def _short_names(cls, v: list[str], info: ValidationInfo) -> list[str]:
        limit = boundary.MAX_TAG if info.field_name == "tags" else boundary.MAX_AUTHOR
        for name in v:
            if len(name) > limit:
                raise ValueError(f"{name[:20]!r}… is over {limit} characters")
        return v

    @field_validator("url", "image")
    @classmethod
    def _http(cls, v: str | None) -> str | None:
        if v and not v.startswith(("http://", "https://")):
            raise ValueError(f"expected an http(s) URL, got {v!r}")
        return v or None

    @field_validator("published", "updated")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("needs a UTC offset, e.g. 2026-01-05T11:42:18+08:00")
        return v


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def _authorized(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def _problems(exc: ValidationError, index: int | None) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        where = f"posts[{index}].{loc}" if index is not None else loc
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif err["type"] == "missing":
            msg = "required field is missing"
        out.append(f"{where}: {msg}")
    return out


def _base_url(post: PostIn, source: SourceSettings | None) -> str | None:
    """What relative links and images in the post resolve against: its url, else the source's."""
    if post.url:
        return post.url
    if source is not None and source.url.startswith(("http://", "https://")):
        return source.url
    return None


def to_entry(post: PostIn, language: str, source: SourceSettings | None = None) -> Entry:
    base = _base_url(post, source)
    html = sanitize_html(post.content_html, base) if post.content_html else ""
    text = html_to_text(html) if html else (post.content_text or "")
    if not html and text:
        from html import escape

        html = "".join(f"<p>{escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())
    guid = f"api:{post.source}:{post.id}" if post.id else None
    url = post.url or guid or ""
    return Entry(
        url=url,
        canonical_url=canonicalize_url(post.url) if post.url else url,
        title=post.title,
        guid=guid,
        authors=post.authors,
        editor=post.editor,
        published=post.published,
        updated=post.updated or post.published,
        summary=post.summary or summarize(text),
        content_html=html,
        content_text=text,
        image=post.image,
        image_alt=post.image_alt,
        tags=post.tags,
        language=post.language or language,
        dateline=post.dateline,
        rules={"all": "api"},
    )


def _allowed_sources(request: Request, settings: Settings) -> set[str] | JSONResponse:
    """The api sources the request's bearer token may write to, or the 401/403 answer.

    A source with its own token accepts only that one; the others accept the [api] token."""
    shared = settings.api_token()
    own = {s.id: settings.source_token(s) for s in settings.sources if s.kind == "api"}
    if not shared and not any(own.values()):
        return _error(403, "the posting API is disabled: set [api] token or SYNDICATE_API_TOKEN")
    allowed = {sid for sid, token in own.items() if token and _authorized(request, token)}
    if shared and _authorized(request, shared):
        allowed |= {sid for sid, token in own.items() if not token}
    if not allowed:
        return JSONResponse(
            {"error": "missing or wrong bearer token"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="syndicate"'},
        )
    return allowed


async def _read_json(request: Request) -> Any:
    """The body as JSON, or the 4xx answer (415, 413 counted as it arrives, 400 with where)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        return _error(415, f"expected Content-Type: application/json, got {ctype or 'none'}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return _error(413, f"body of {declared} bytes is over the {MAX_BODY}-byte limit")
    body = bytearray()
    async for chunk in request.stream():  # counted as it arrives: never buffer more than the cap
        body.extend(chunk)
        if len(body) > MAX_BODY:
            return _error(413, f"body is over the {MAX_BODY}-byte limit")
    try:
        return safejson.loads(bytes(body), max_bytes=MAX_BODY)
    except safejson.JsonRefused as exc:
        return _error(exc.status, str(exc))


def _validate(
    items: list[Any], single: bool, sources: dict[str, SourceSettings], allowed: set[str]
) -> tuple[list[PostIn], list[str], list[str]]:
    """(posts, problems -> 422, forbidden -> 403), each problem naming its field."""
    posts: list[PostIn] = []
    problems: list[str] = []
    forbidden: list[str] = []
    for i, item in enumerate(items):
        index = None if single else i
        if not isinstance(item, dict):
            problems.append(f"posts[{i}]: expected an object, got {type(item).__name__}")
            continue
        try:
            post = PostIn.model_validate(item)
        except ValidationError as exc:
            problems.extend(_problems(exc, index))
            continue
        where = "source" if index is None else f"posts[{index}].source"
        src = sources.get(post.source)
        if src is None:
            api_ids = ", ".join(s.id for s in sources.values() if s.kind == "api") or "none"
            problems.append(f"{where}: unknown source {post.source!r} (api sources: {api_ids})")
        elif src.kind != "api":
            problems.append(f'{where}: source {post.source!r} is kind {src.kind!r}, not "api"')
        elif src.id not in allowed:
            forbidden.append(f"{where}: this token may not post to {src.id!r}")
        elif not post.content_html and not post.content_text:
            problems.append(
                f"{where.rsplit('.', 1)[0] if index is not None else 'content_html'}: give content_html or content_text"
            )
        elif not post.id and not post.url:
            # Without either, nothing tells this post from the next one (or its correction).
            problems.append(f"{'id' if index is None else f'posts[{index}].id'}: give id or url")
        else:
            posts.append(post)
    return posts, problems, forbidden


def _store_posts(state: AppState, posts: list[PostIn], single: bool) -> JSONResponse:
    """Sanitise and store every post in one transaction (called off the event loop)."""
    sources = {s.id: s for s in state.settings.sources}
    now = datetime.now(UTC)
    items = []
    for post in posts:
        src = sources[post.source]
        entry = to_entry(post, state.settings.language(src), src)
        if entry.published is None:
            entry.published = now
        items.append((src.id, entry))
    try:
        stored = store_entries(state.store, items)
    except KeyConflict as exc:
        post = posts[exc.index]
        where = "url" if single else f"posts[{exc.index}].url"
        return _error(
            409,
            f"{where}: post with id {post.id!r} gives url {post.url!r}, already the url of "
            f"another post of {post.source!r}; nothing in this request was stored",
        )
    except boundary.RefusedField as exc:
        return _error(422, f"{exc.field}: {exc.reason}", problems=[str(exc)])
    except IntegrityError:
        return _error(
            409, "a post conflicts with a stored post; nothing in this request was stored"
        )
    results = [
        {"id": article.id, "source": article.source_id, "change": change.value}
        for article, change in stored
    ]
    status = 201 if any(r["change"] == Change.NEW.value for r in results) else 200
    return JSONResponse({"results": results}, status_code=status)


async def create_posts(request: Request) -> Response:
    state: AppState = request.app.state.syndicate
    allowed = _allowed_sources(request, state.settings)
    if isinstance(allowed, Response):
        return allowed
    data = await _read_json(request)
    if isinstance(data, Response):
        return data
    single = isinstance(data, dict) and "posts" not in data
    items = [data] if single else (data.get("posts") if isinstance(data, dict) else data)
    if not isinstance(items, list) or not items:
        return _error(422, 'expected a post object, a list of posts or {"posts": [...]}')
    if len(items) > MAX_POSTS:
        return _error(413, f"{len(items)} posts in one request; send at most {MAX_POSTS}")
    sources = {s.id: s for s in state.settings.sources}
    posts, problems, forbidden = _validate(items, single, sources, allowed)
    if forbidden:
        return _error(403, "; ".join(forbidden), problems=forbidden)
    if problems:
        return _error(422, "; ".join(problems), problems=problems)
    # Sanitising HTML and the database write are slow: never on the event loop.
    return await asyncio.to_thread(_store_posts, state, posts, single)


def delete_post(request: Request) -> Response:
    """DELETE /api/posts/{source}/{id}: the newsroom retracts a post (204; 404 if unknown).

    A plain def: Starlette runs it in its thread pool, so the database never blocks the loop.
    `id` is a path so ids stored before '/' was refused can still be deleted."""
    state: AppState = request.app.state.syndicate
    allowed = _allowed_sources(request, state.settings)
    if isinstance(allowed, Response):
        return allowed
    source_id, post_id = request.path_params["source"], request.path_params["id"]
    src = next((s for s in state.settings.sources if s.id == source_id), None)
    if src is None or src.kind != "api":
        return _error(404, f"source: no api source {source_id!r}")
    if src.id not in allowed:
        return _error(403, f"source: this token may not delete posts of {src.id!r}")
    article = state.store.find_article(src.id, guid=f"api:{src.id}:{post_id}")
    if article is None:
        return _error(404, f"id: no post {post_id!r} in source {src.id!r}")
    state.store.remove_article(article.id)  # a second DELETE writes no second event
    return Response(status_code=204)


routes = [
    Route("/api/posts", create_posts, methods=["POST"]),
    Route("/api/posts/{source}/{id:path}", delete_post, methods=["DELETE"]),
]
