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

import hmac
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syndicate.config import SourceSettings
from syndicate.ingest.runner import store_entry
from syndicate.models import Change, Entry
from syndicate.normalize.clean import html_to_text, sanitize_html, summarize
from syndicate.normalize.urls import canonicalize_url
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

    source: str
    title: str = Field(min_length=1, max_length=1000)
    id: str | None = Field(None, max_length=200)  # the newsroom's own id: stable across updates
    url: str | None = None
    content_html: str | None = None
    content_text: str | None = None
    summary: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    authors: Names = []
    editor: str | None = None
    image: str | None = None
    image_alt: str | None = None
    tags: Names = []
    language: str | None = Field(None, max_length=16)
    dateline: str | None = None

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


def _refuse_unauthorized(request: Request, state: AppState) -> JSONResponse | None:
    """403 while the API is switched off, 401 without the right bearer token, else None."""
    token = state.settings.api_token()
    if not token:
        return _error(403, "the posting API is disabled: set [api] token or SYNDICATE_API_TOKEN")
    if not _authorized(request, token):
        return JSONResponse(
            {"error": "missing or wrong bearer token"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="syndicate"'},
        )
    return None


async def create_posts(request: Request) -> JSONResponse:
    state: AppState = request.app.state.syndicate
    refused = _refuse_unauthorized(request, state)
    if refused is not None:
        return refused
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
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = (
            f" at line {exc.lineno} column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        return _error(400, f"body is not valid JSON{where}: {getattr(exc, 'msg', exc)}")
    single = isinstance(data, dict) and "posts" not in data
    items = [data] if single else (data.get("posts") if isinstance(data, dict) else data)
    if not isinstance(items, list) or not items:
        return _error(422, 'expected a post object, a list of posts or {"posts": [...]}')
    if len(items) > MAX_POSTS:
        return _error(413, f"{len(items)} posts in one request; send at most {MAX_POSTS}")
    posts: list[PostIn] = []
    problems: list[str] = []
    sources = {s.id: s for s in state.settings.sources}
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
        elif not post.content_html and not post.content_text:
            problems.append(
                f"{where.rsplit('.', 1)[0] if index is not None else 'content_html'}: give content_html or content_text"
            )
        elif not post.id and not post.url:
            # Without either, nothing tells this post from the next one (or its correction).
            problems.append(f"{'id' if index is None else f'posts[{index}].id'}: give id or url")
        else:
            posts.append(post)
    if problems:
        return _error(422, "; ".join(problems), problems=problems)
    results = []
    now = datetime.now(UTC)
    for post in posts:
        src = sources[post.source]
        entry = to_entry(post, state.settings.language(src), src)
        if entry.published is None:
            entry.published = now
        try:
            change = store_entry(state.store, src.id, entry)
        except IntegrityError:
            # e.g. a new id with the url of another stored post: the store keeps urls unique.
            ref = f"id {post.id!r}" if post.id else f"url {post.url!r}"
            return _error(
                409,
                f"post with {ref} conflicts with a stored post of {src.id!r} "
                "(same url under another id?)",
                results=results,
            )
        article = state.store.find_article(
            src.id, guid=entry.guid, canonical_url=entry.canonical_url
        )
        results.append(
            {"id": article.id if article else None, "source": src.id, "change": change.value}
        )
    status = 201 if any(r["change"] == Change.NEW.value for r in results) else 200
    return JSONResponse({"results": results}, status_code=status)


async def delete_post(request: Request) -> Response:
    """DELETE /api/posts/{source}/{id}: the newsroom retracts a post (204; 404 if unknown)."""
    state: AppState = request.app.state.syndicate
    refused = _refuse_unauthorized(request, state)
    if refused is not None:
        return refused
    source_id, post_id = request.path_params["source"], request.path_params["id"]
    src = next((s for s in state.settings.sources if s.id == source_id), None)
    if src is None or src.kind != "api":
        return _error(404, f"source: no api source {source_id!r}")
    article = state.store.find_article(src.id, guid=f"api:{src.id}:{post_id}")
    if article is None:
        return _error(404, f"id: no post {post_id!r} in source {src.id!r}")
    state.store.remove_article(article.id)  # a second DELETE writes no second event
    return Response(status_code=204)


routes = [
    Route("/api/posts", create_posts, methods=["POST"]),
    Route("/api/posts/{source}/{id}", delete_post, methods=["DELETE"]),
]
