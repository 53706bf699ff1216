"""WordPress REST API: /wp-json/wp/v2/posts with _embed (author, featured media, terms).

A first pass pages through the newest posts up to the backfill size. Later passes ask only for
posts modified after the newest modification seen (`modified_after`, WordPress >= 5.7; older
sites ignore it and the list is filtered here), so an unchanged site gives the same URL and
answers 304 or an empty list. Times come from `date_gmt`/`modified_gmt` with the site's own
offset (`date` - `date_gmt`), so 10:47 WITA stays 10:47+08:00.
"""

from __future__ import annotations

import html as _html
import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode, urljoin

from syndicate.ingest.context import IngestContext, Window
from syndicate.ingest.fetcher import FetchError, FetchResponse
from syndicate.ingest.pages import fragment_or_note
from syndicate.models import Entry
from syndicate.normalize.clean import html_to_text, summarize
from syndicate.normalize.urls import canonicalize_url

log = logging.getLogger("syndicate.ingest.wordpress")

JSON_ACCEPT = "application/json"
PER_PAGE_MAX = 100
INCREMENTAL_PAGE = 20  # posts asked for on a steady-state pass
WINDOW = 20  # newest posts listed on a changed pass to spot deleted ones
_TAGS = re.compile(r"<[^>]+>")
SKIP_TERMS = {"uncategorized", "tak berkategori", "tidak berkategori", "umum"}


class WordPressError(Exception):
    pass


def api_root(ctx: IngestContext) -> str:
    """The REST root (…/wp-json/) discovery recorded, else the conventional one under the site."""
    return ctx.entry_url or urljoin(ctx.source.url.rstrip("/") + "/", "wp-json/")


def endpoint(root: str, route: str, params: dict[str, Any] | None = None) -> str:
    """A REST URL under a root that is either …/wp-json/ or …/?rest_route=/ (plain permalinks)."""
    params = {k: v for k, v in (params or {}).items() if v is not None}
    if "rest_route=" in root:
        base, _, _ = root.partition("rest_route=")
        return base + urlencode({"rest_route": "/" + route, **params})
    url = root.rstrip("/") + "/" + route
    return url + ("?" + urlencode(params) if params else "")


def parse_json(resp: FetchResponse) -> Any:
    text = resp.content.decode("utf-8-sig", "replace").strip()
    # Some plugins print a notice before the JSON; start at the first bracket.
    start = min((i for i in (text.find("["), text.find("{")) if i >= 0), default=-1)
    if start < 0:
        raise WordPressError(f"{resp.url}: not JSON")
    try:
        return json.loads(text[start:])
    except json.JSONDecodeError as exc:
        raise WordPressError(f"{resp.url}: bad JSON ({exc.msg} at {exc.pos})") from None


def plain(rendered: str | None) -> str:
    return " ".join(_html.unescape(_TAGS.sub("", rendered or "")).split())


def wp_time(local: str | None, gmt: str | None) -> datetime | None:
    """`date_gmt` as an aware time in the site's own offset (date - date_gmt)."""
    if not gmt:
        return None
    try:
        utc = datetime.fromisoformat(gmt[:19]).replace(tzinfo=UTC)
    except ValueError:
        return None
    if local:
        try:
            offset = datetime.fromisoformat(local[:19]) - utc.replace(tzinfo=None)
            minutes = round(offset.total_seconds() / 60)
            if abs(minutes) <= 14 * 60:
                return utc.astimezone(timezone(timedelta(minutes=minutes)))
        except ValueError:
            pass
    return utc


def _rendered(post: dict, key: str) -> str:
    value = post.get(key)
    if isinstance(value, dict):
        return str(value.get("rendered") or "")
    return str(value or "")


def post_terms(post: dict, term_names: dict[str, dict[str, str]]) -> tuple[list[str], list[str]]:
    """(tags, categories) names, from _embed or from the cached term lists."""
    found: dict[str, list[str]] = {"tags": [], "categories": []}
    embedded = (post.get("_embedded") or {}).get("wp:term") or []
    if embedded:
        for group in embedded:
            for term in group or []:
                tax = {"post_tag": "tags", "category": "categories"}.get(term.get("taxonomy"))
                if tax:
                    found[tax].append(plain(term.get("name")))
    else:
        for tax in ("tags", "categories"):
            for tid in post.get(tax) or []:
                name = term_names.get(tax, {}).get(str(tid))
                if name:
                    found[tax].append(name)
    out: dict[str, list[str]] = {"tags": [], "categories": []}
    for tax, names in found.items():
        for n in names:
            if n and n.lower() not in SKIP_TERMS and n not in out[tax]:
                out[tax].append(n)
    return out["tags"], out["categories"]


def post_to_entry(
    post: dict, term_names: dict, media: dict[str, str], users: dict[str, str]
) -> Entry:
    link = str(post.get("link") or "")
    title = plain(_rendered(post, "title"))
    content = _rendered(post, "content")
    embedded = post.get("_embedded") or {}
    authors = [plain(a.get("name")) for a in embedded.get("author") or [] if a.get("name")]
    if not authors and str(post.get("author")) in users:
        authors = [users[str(post.get("author"))]]
    image = None
    for m in embedded.get("wp:featuredmedia") or []:
        image = m.get("source_url") or image
    if not image and post.get("featured_media"):
        image = media.get(str(post["featured_media"]))
    published = wp_time(post.get("date"), post.get("date_gmt"))
    updated = wp_time(post.get("modified"), post.get("modified_gmt")) or published
    guid = _rendered(post, "guid") or f"wp:{post.get('id')}"
    text = html_to_text(content)
    tags, categories = post_terms(post, term_names)
    return Entry(
        url=link,
        canonical_url=canonicalize_url(link),
        title=title,
        guid=guid,
        authors=authors,
        published=published,
        updated=updated,
        summary=summarize(plain(_rendered(post, "excerpt")) or text),
        content_html=content,
        content_text=text,
        image=image,
        tags=tags,
        categories=categories,
        rules={"title": "wp-json", "published": "wp-json", "content": "wp-json"},
    )


async def get_json(
    ctx: IngestContext, url: str, *, conditional: bool = False
) -> tuple[Any, FetchResponse]:
    resp = await ctx.get(url, accept=JSON_ACCEPT, conditional=conditional)
    if resp.not_modified:
        return None, resp
    if resp.gone:
        raise WordPressError(f"{url}: HTTP {resp.status}")
    return parse_json(resp), resp


async def _term_names(
    ctx: IngestContext, root: str, posts: list[dict]
) -> dict[str, dict[str, str]]:
    """Names for term ids the posts use (only needed when the site ignores _embed); cached."""
    cache: dict[str, dict[str, str]] = ctx.cursor.setdefault(
        "wp_terms", {"tags": {}, "categories": {}}
    )
    for tax in ("tags", "categories"):
        wanted = {
            str(t)
            for p in posts
            if not (p.get("_embedded") or {}).get("wp:term")
            for t in p.get(tax) or []
        }
        missing = sorted(wanted - set(cache.get(tax, {})), key=int)
        if not missing:
            continue
        url = endpoint(
            root, f"wp/v2/{tax}", {"include": ",".join(missing), "per_page": PER_PAGE_MAX}
        )
        try:
            data, _ = await get_json(ctx, url)
        except (FetchError, WordPressError) as exc:
            ctx.notes.append(f"{tax} names unavailable: {exc}")
            continue
        for term in data if isinstance(data, list) else []:
            if isinstance(term, dict) and "id" in term:
                cache.setdefault(tax, {})[str(term["id"])] = plain(term.get("name"))
    return cache


async def _media(ctx: IngestContext, root: str, posts: list[dict]) -> dict[str, str]:
    out: dict[str, str] = {}
    for post in posts:
        mid = post.get("featured_media")
        if not mid or (post.get("_embedded") or {}).get("wp:featuredmedia"):
            continue
        try:
            data, _ = await get_json(ctx, endpoint(root, f"wp/v2/media/{mid}"))
        except (FetchError, WordPressError):
            continue  # an article without its picture is still an article
        if isinstance(data, dict) and data.get("source_url"):
            out[str(mid)] = data["source_url"]
    return out


async def _users(ctx: IngestContext, root: str, posts: list[dict]) -> dict[str, str]:
    cache: dict[str, str] = ctx.cursor.setdefault("wp_users", {})
    for post in posts:
        uid = str(post.get("author") or "")
        if not uid or uid in cache or (post.get("_embedded") or {}).get("author"):
            continue
        try:
            data, _ = await get_json(ctx, endpoint(root, f"wp/v2/users/{uid}"))
        except (FetchError, WordPressError):
            cache[uid] = ""
            continue
        cache[uid] = plain(data.get("name")) if isinstance(data, dict) else ""
    return {k: v for k, v in cache.items() if v}


def _embed_broken(exc: Exception) -> bool:
    """A server error or garbage only with _embed (a plugin that breaks embedding): the plain
    listing plus term/media/user look-ups still works."""
    if isinstance(exc, WordPressError):
        return True
    return isinstance(exc, FetchError) and (exc.status or 0) >= 500


async def _posts_page(
    ctx: IngestContext, root: str, params: dict[str, Any], *, conditional: bool
) -> tuple[list[dict] | None, FetchResponse]:
    if ctx.cursor.get("wp_no_embed"):
        params = {k: v for k, v in params.items() if k != "_embed"}
    url = endpoint(root, "wp/v2/posts", params)
    try:
        data, resp = await get_json(ctx, url, conditional=conditional)
    except (FetchError, WordPressError) as exc:
        if "_embed" not in params or not _embed_broken(exc):
            raise
        reason = exc.reason if isinstance(exc, FetchError) else str(exc)
        log.warning(
            "source %s: %s failed (%s); reading posts without _embed", ctx.source.id, url, reason
        )
        ctx.notes.append(f"REST API fails with _embed ({reason}); posts read without it")
        ctx.cursor["wp_no_embed"] = True
        return await _posts_page(ctx, root, params, conditional=conditional)
    if data is None:
        return None, resp
    if not isinstance(data, list):
        raise WordPressError(f"{resp.url}: expected a list of posts, got {type(data).__name__}")
    return [p for p in data if isinstance(p, dict)], resp


async def list_posts(ctx: IngestContext, root: str) -> tuple[list[dict], list[FetchResponse], bool]:
    """(posts, responses, complete): the posts to store, newest modification first.

    Every pass starts with the same URL (most recently modified first), so an unchanged site
    answers 304 or the same list. A first pass pages on to the backfill size; a later pass keeps
    what changed since the cursor and, when a whole page changed (a long outage), catches up with
    `modified_after`. `complete` says the listing holds every post of the site.
    """
    since_gmt = str(ctx.cursor.get("wp_modified_gmt") or "")
    first = ctx.first_pass or not since_gmt
    per_page = INCREMENTAL_PAGE  # the same first URL on every pass, so validators match
    base = {"_embed": 1, "orderby": "modified", "order": "desc", "per_page": per_page}
    data, resp = await _posts_page(ctx, root, base, conditional=ctx.conditional)
    if data is None:
        return [], [resp], False
    responses, posts = [resp], list(data)
    total = resp.headers.get("x-wp-total", "")
    if first:
        page = 1
        pages = resp.headers.get("x-wp-totalpages", "")
        while (
            len(posts) < ctx.limit
            and len(data) >= per_page
            and not (pages.isdigit() and page >= int(pages))
        ):
            page += 1
            try:
                data, more = await _posts_page(ctx, root, {**base, "page": page}, conditional=False)
            except FetchError as exc:
                if exc.status == 400:  # rest_post_invalid_page_number: past the end
                    break
                raise
            known = {p.get("id") for p in posts}
            data = [p for p in data or [] if p.get("id") not in known]
            if not data:
                break
            posts.extend(data)
            responses.append(more)
        complete = total.isdigit() and len(posts) >= int(total)
        return posts[: ctx.limit], responses, complete
    changed = [p for p in posts if str(p.get("modified_gmt") or "") > since_gmt]
    if len(changed) == len(posts) == per_page:
        page = 1
        params = {**base, "per_page": PER_PAGE_MAX, "modified_after": ctx.cursor.get("wp_modified")}
        while len(changed) < PER_PAGE_MAX * 10:
            try:
                data, more = await _posts_page(
                    ctx, root, {**params, "page": page}, conditional=False
                )
            except FetchError as exc:
                if exc.status == 400:
                    break
                raise
            known = {p.get("id") for p in changed}
            fresh = [
                p
                for p in data or []
                if p.get("id") not in known and str(p.get("modified_gmt") or "") > since_gmt
            ]
            if not fresh:
                break
            changed.extend(fresh)
            page += 1
    return changed, responses, False


async def collect(ctx: IngestContext) -> AsyncIterator[Entry]:
    root = api_root(ctx)
    posts, responses, complete = await list_posts(ctx, root)
    if responses and responses[0].not_modified:
        ctx.not_modified = True
        return
    terms = await _term_names(ctx, root, posts)
    media = await _media(ctx, root, posts)
    users = await _users(ctx, root, posts)
    window = Window(complete=True)
    newest = (ctx.cursor.get("wp_modified_gmt") or "", ctx.cursor.get("wp_modified") or "")
    total = len(posts)
    for post in posts:
        ctx.tick(total)
        if post.get("status", "publish") != "publish" or post.get("type", "post") != "post":
            continue
        entry = post_to_entry(post, terms, media, users)
        if not entry.url:
            continue
        window.add(entry.canonical_url, entry.guid, published=entry.published)
        full = await fragment_or_note(ctx, entry)
        if full is None:
            continue
        yield full
        newest = max(newest, (str(post.get("modified_gmt") or ""), str(post.get("modified") or "")))
    # A failed post must show up as changed again next pass: keep the cursor where it was.
    if newest[0] and not ctx.failed_items:
        ctx.cursor["wp_modified_gmt"], ctx.cursor["wp_modified"] = newest
    if complete:
        ctx.window = window
    elif posts:
        ctx.window = await _recent_window(ctx, root)
    for r in responses:
        ctx.remember_later(r)


async def _recent_window(ctx: IngestContext, root: str) -> Window | None:
    """The newest posts' links, so a deleted post can be noticed (only on passes with changes)."""
    url = endpoint(
        root, "wp/v2/posts", {"per_page": WINDOW, "_fields": "id,link,guid,date,date_gmt"}
    )
    try:
        data, _ = await get_json(ctx, url)
    except (FetchError, WordPressError) as exc:
        log.info("source %s: no recent-posts window: %s", ctx.source.id, exc)
        return None
    if not isinstance(data, list):
        return None
    window = Window(complete=True)
    for post in data:
        if isinstance(post, dict) and post.get("link"):
            window.add(
                canonicalize_url(str(post["link"])),
                _rendered(post, "guid") or None,
                published=wp_time(post.get("date"), post.get("date_gmt")),
            )
    return window
