"""Server-rendered pages for people: sources, one source's health, articles, tags, remote follow.

Plain HTML from Jinja2 templates, bilingual labels (Indonesian first), no JavaScript needed; the
status helpers here (source_status, next_run_at) are also what `syndicate sources` prints.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import asdict
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import lxml.html
from jinja2 import Environment, FileSystemLoader, select_autoescape
from lxml import etree
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from syndicate.config import Settings, SourceSettings
from syndicate.health.monitor import current as current_health
from syndicate.health.texts import public_status
from syndicate.models import Article, ArticleStatus, SourceState, tag_slug
from syndicate.models.health import HealthPass
from syndicate.publish.corrections import MONTHS_ID as _MONTHS
from syndicate.publish.corrections import article_corrections
from syndicate.publish.feeds import article_link
from syndicate.store import Store
from syndicate.web.state import AppState

HERE = Path(__file__).parent
templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
)

_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_INSTANCE = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$")


REPLIES_SHOWN = 50

# ---- plain helpers (no I/O) -------------------------------------------------------------------


def image_size(article: Article) -> tuple[int, int] | None:
    """(width, height) of the lead image, from its <img> in the article's own HTML (link
    previews size their card from og:image:width/height); None when the page does not say."""
    if not article.image or not article.content_html:
        return None
    try:
        doc = lxml.html.fragment_fromstring(article.content_html, create_parent="div")
    except (etree.ParserError, ValueError):
        return None
    for img in doc.iter("img"):
        if img.get("src") != article.image:
            continue
        w, h = img.get("width", ""), img.get("height", "")
        if w.isdigit() and h.isdigit() and int(w) > 0 and int(h) > 0:
            return int(w), int(h)
    return None


def local_time(dt: datetime | None, tz: tzinfo, *, weekday: bool = False) -> str:
    """'Senin, 5 Januari 2026 11:42 WITA' in the source's zone, as its readers would write it."""
    if dt is None:
        return ""
    d = dt.astimezone(tz)
    text = f"{d.day} {_MONTHS[d.month - 1]} {d.year} {d:%H:%M} {d.tzname() or ''}".strip()
    return f"{_DAYS[d.weekday()]}, {text}" if weekday else text


def ago(dt: datetime | None, now: datetime) -> str:
    """'5 menit lalu · 5 min ago' (or 'dalam 3 menit · in 3 min' for the future)."""
    if dt is None:
        return "—"
    secs = int((now - dt).total_seconds())
    future = secs < 0
    secs = abs(secs)
    for size, id_unit, en_unit in (
        (86400, "hari", "d"),
        (3600, "jam", "h"),
        (60, "menit", "min"),
        (1, "detik", "s"),
    ):
        if secs >= size or size == 1:
            n = secs // size
            return (
                f"dalam {n} {id_unit} · in {n} {en_unit}"
                if future
                else f"{n} {id_unit} lalu · {n} {en_unit} ago"
            )
    return "—"  # pragma: no cover


def next_run_at(
    state: SourceState, interval: timedelta, now: datetime, enabled: bool = True
) -> datetime | None:
    """When the scheduler will poll a source next: the backoff end if it is failing,
    else last fetch + interval (now, if that is already past or it was never fetched)."""
    if not enabled:
        return None
    if state.backoff_until and state.backoff_until > now:
        return state.backoff_until
    if state.last_fetch_at is None:
        return now
    return max(state.last_fetch_at + interval, now)


def handle(source_id: str, base_url: str) -> str:
    return f"@{source_id}@{urlsplit(base_url).netloc}"


def federation_numbers(store: Store, source_id: str) -> tuple[int, list[dict[str, Any]]]:
    """(followers, per-server delivery health, worst first) for a source's pages."""
    servers = [asdict(r) for r in store.delivery_failures_by_server(source_id)]
    return store.follower_count(source_id), servers


def source_status(
    settings: Settings,
    store: Store,
    src: SourceSettings,
    state: SourceState | None = None,
    now: datetime | None = None,
    scheduled: datetime | None = None,
    latest_health: dict[str, HealthPass] | None = None,
) -> dict[str, Any]:
    """Everything an operator asks about one source, as plain data (pages, CLI, JSON).

    `error` and `health_detail` are operator text (exception messages): public templates show
    `public_status` instead."""
    now = now or datetime.now(UTC)
    state = state or store.source_state(src.id)
    followers, servers = federation_numbers(store, src.id)
    latest = store.latest_health() if latest_health is None else latest_health
    health, health_kind, health_detail = current_health(src.id, latest, state)
    return {
        "id": src.id,
        "name": src.display_name(state.site_name),
        "enabled": src.enabled,
        "route": state.route or (src.kind if src.kind != "auto" else None),
        "route_reason": state.route_reason,
        "route_url": state.route_url,
        "last_fetch": state.last_fetch_at,
        "last_success": state.last_success_at,
        "result": state.last_result,
        "error": state.last_error,
        "failures": state.consecutive_failures,
        "backoff_until": state.backoff_until,
        "next_run": scheduled or next_run_at(state, settings.interval(src), now, src.enabled),
        "interval": settings.interval(src),
        "articles": store.count_articles(src.id),
        "followers": followers,
        "servers": servers,
        "delivery_failures": {
            r["host"]: r["failing_deliveries"] + r["dead_deliveries"]
            for r in servers
            if r["failing_deliveries"] + r["dead_deliveries"]
        },
        "health": health,
        "health_kind": health_kind,
        "health_detail": health_detail,
        "public_status": public_status(health, health_kind),
    }


def day_chart(counts: dict[str, int], today: datetime, days: int = 30) -> dict[str, Any]:
    """Bars for the last `days` local days (oldest first), sized for a small inline SVG."""
    start = today.date() - timedelta(days=days - 1)
    series = [
        (
            (start + timedelta(days=i)).isoformat(),
            counts.get((start + timedelta(days=i)).isoformat(), 0),
        )
        for i in range(days)
    ]
    top = max((n for _, n in series), default=0)
    bar_w, height = 10, 60
    bars = []
    for i, (day, n) in enumerate(series):
        h = 0 if top == 0 else max(2, round(n / top * height)) if n else 0
        bars.append({"x": i * bar_w, "y": height - h, "w": bar_w - 2, "h": h, "day": day, "n": n})
    return {
        "bars": bars,
        "width": days * bar_w,
        "height": height,
        "max": top,
        "total": sum(n for _, n in series),
        "first": series[0][0],
        "last": series[-1][0],
    }


def parse_instance(text: str) -> tuple[str, str] | None:
    """A follower's server from what people type: 'mastodon.social', '@me@mastodon.social',
    'https://mastodon.social/@me'. Returns (scheme, host) or None when it is not a host name."""
    text = text.strip()
    scheme = "https"
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https"):
            return None
        scheme, text = parts.scheme, parts.netloc
    else:
        text = text.lstrip("@")
        if "@" in text:  # user@host
            text = text.rsplit("@", 1)[1]
        text = text.split("/", 1)[0]
    host = text.lower().strip().rstrip(".")
    if not _INSTANCE.match(host) or ("." not in host and host.split(":")[0] != "localhost"):
        return None
    return scheme, host


def remote_follow_url(instance: tuple[str, str], actor_url: str) -> str:
    # Mastodon, Pleroma/Akkoma, GoToSocial and Misskey forks answer /authorize_interaction?uri=.
    scheme, host = instance
    return f"{scheme}://{host}/authorize_interaction?uri={quote(actor_url, safe='')}"


# ---- rendering --------------------------------------------------------------------------------


def _bi(id_text: str, en_text: str) -> Markup:
    """A bilingual label: Indonesian, then English in a quieter span."""
    return Markup('{} <span class="en" lang="en">{}</span>').format(id_text, en_text)


templates.globals["bi"] = _bi


def render(request: Request, name: str, status_code: int = 200, **ctx: object) -> HTMLResponse:
    state: AppState = request.app.state.syndicate
    base = state.settings.server.base_url
    html = templates.get_template(name).render(base_url=base, host=urlsplit(base).netloc, **ctx)
    return HTMLResponse(html, status_code=status_code)


def _tz(settings: Settings, src: SourceSettings) -> ZoneInfo:
    return ZoneInfo(settings.timezone(src))


def _headline(a: Article, tz: tzinfo) -> dict[str, Any]:
    return {
        "id": a.id,
        "title": a.title,
        "published": a.published,
        "when": local_time(a.published, tz),
    }


def source_name(store: Store, src: SourceSettings) -> str:
    """A source's display name; reads its state only when the config names none."""
    return src.name if src.has_name else src.display_name(store.source_state(src.id).site_name)


def _card(
    state: AppState, src: SourceSettings, limit: int, name: str | None = None
) -> dict[str, Any]:
    settings = state.settings
    tz = _tz(settings, src)
    base = settings.server.base_url
    return {
        "id": src.id,
        "name": name or source_name(state.store, src),
        "description": src.description,
        "site": src.url if src.url.startswith(("http://", "https://")) else None,
        "handle": handle(src.id, base),
        "actor": f"{base}/users/{src.id}",
        "latest": [_headline(a, tz) for a in state.store.latest_articles([src.id], limit=limit)],
    }


def _scheduled(state: AppState, source_id: str) -> datetime | None:
    scheduler = state.schedule
    if scheduler is None:
        return None
    try:
        return scheduler.next_run(source_id)
    except Exception:
        return None


# Page handlers are plain `def`: Starlette runs them in its thread pool, so the store calls
# they make never block the event loop (a write lock held elsewhere stalled every endpoint).
def index(request: Request) -> Response:
    state: AppState = request.app.state.syndicate
    states = state.store.all_source_states()
    latest = state.store.latest_health()
    now = datetime.now(UTC)
    sources = []
    for src in state.settings.sources:
        if not src.enabled:
            continue
        status = source_status(
            state.settings,
            state.store,
            src,
            states.get(src.id),
            now,
            _scheduled(state, src.id),
            latest,
        )
        card = _card(state, src, 5, name=status["name"])
        card["status"] = status
        sources.append(card)
    return render(request, "index.html", sources=sources, now=now, ago=ago)


def source_page(request: Request) -> Response:
    state: AppState = request.app.state.syndicate
    settings = state.settings
    try:
        src = settings.source(request.path_params["id"])
    except KeyError:
        return _not_found(request)
    tz = _tz(settings, src)
    now = datetime.now(UTC)
    status = source_status(settings, state.store, src, None, now, _scheduled(state, src.id))
    since = (now.astimezone(tz) - timedelta(days=29)).replace(hour=0, minute=0, second=0)
    chart = day_chart(state.store.articles_per_day(src.id, since, tz), now.astimezone(tz))
    return render(
        request,
        "source.html",
        source=_card(state, src, 30, name=status["name"]),
        status=status,
        chart=chart,
        now=now,
        ago=ago,
        local=lambda dt: local_time(dt, tz),
        tzname=settings.timezone(src),
        archive=status["articles"] > settings.feeds.size,
    )


def _live_article(request: Request) -> tuple[AppState, Article, SourceSettings] | Response:
    """The article /articles/{id}… names with its source, or the 404/410 page to answer."""
    state: AppState = request.app.state.syndicate
    article = state.store.get_article(request.path_params["id"])
    if article is None:
        return _not_found(request)
    try:
        src = state.settings.source(article.source_id)
    except KeyError:
        return _not_found(request)
    if article.status == ArticleStatus.REMOVED:
        return render(request, "gone.html", status_code=410, source=_card(state, src, 0))
    return state, article, src


def article_page(request: Request) -> Response:
    found = _live_article(request)
    if isinstance(found, Response):
        return found
    state, article, src = found
    settings = state.settings
    base = settings.server.base_url
    tz = _tz(settings, src)
    also = []
    if article.story_id:
        for other in state.store.story_members(article.story_id):
            if other.id == article.id:
                continue
            try:
                name = source_name(state.store, settings.source(other.source_id))
            except KeyError:
                continue
            also.append(
                {
                    "id": other.id,
                    "title": other.title,
                    "source": name,
                    "url": article_link(other, base),
                }
            )
    replies = []
    if src.replies == "show":
        replies = [
            {
                "author": r.actor_id,
                "url": r.url or r.object_id,
                "html": Markup(r.content_html),  # sanitised with nh3 when it arrived
                "when": local_time(r.published or r.received_at, tz),
            }
            for r in state.store.replies(article.id, limit=REPLIES_SHOWN)
        ]
    return render(
        request,
        "article.html",
        article=article,
        corrections=article_corrections(state.store, settings, article),
        has_versions=bool(state.store.article_versions(article.id)),
        replies=replies,
        image_size=image_size(article),
        source=_card(state, src, 0),
        link=article_link(article, base),
        full=settings.content(src) == "full",
        published_local=local_time(article.published, tz, weekday=True),
        updated_local=local_time(article.updated, tz, weekday=True)
        if article.updated and article.published and article.updated > article.published
        else "",
        also=also,
        tags=[(t, tag_slug(t)) for t in article.tags if tag_slug(t)],
    )


def versions_page(request: Request) -> Response:
    """/articles/{id}/versions: the text readers saw before each correction, newest last."""
    found = _live_article(request)
    if isinstance(found, Response):
        return found
    state, article, src = found
    settings = state.settings
    tz = _tz(settings, src)
    versions = [
        {
            "number": v.number,
            "title": v.title,
            "paragraphs": [p for p in (v.content_text or v.summary).split("\n\n") if p.strip()],
            "from": local_time(v.valid_from, tz) if v.valid_from else "",
            "until": local_time(v.replaced_at, tz),
        }
        for v in state.store.article_versions(article.id)
    ]
    return render(
        request,
        "versions.html",
        article=article,
        source=_card(state, src, 0),
        versions=versions,
        corrections=article_corrections(state.store, settings, article),
    )


def tag_page(request: Request) -> Response:
    state: AppState = request.app.state.syndicate
    tag = tag_slug(request.path_params["tag"])
    if not tag:
        return _not_found(request)
    if not state.feeds.known(f"tag/{tag}"):  # a cached 404: no query until the next change
        return render(request, "tag.html", status_code=404, tag=tag, items=[])
    settings = state.settings
    enabled = {s.id: s for s in settings.sources if s.enabled}
    found = state.store.latest_articles(list(enabled), limit=50, tag=tag)
    if not found:
        state.feeds.remember_unknown(f"tag/{tag}")
        return render(request, "tag.html", status_code=404, tag=tag, items=[])
    items = []
    site_names = state.store.site_names()
    for a in found:
        src = enabled[a.source_id]
        name = src.display_name(site_names.get(src.id))
        items.append({**_headline(a, _tz(settings, src)), "source": name, "source_id": src.id})
    return render(request, "tag.html", tag=tag, items=items)


async def follow(request: Request) -> Response:
    """The no-JavaScript remote follow: send the reader to their own server's follow dialog,
    as that server's WebFinger names it (never to a host only the query string gave)."""
    from syndicate.publish.activitypub.federation import federation_for
    from syndicate.web.remote_follow import follow_dialog

    state: AppState = request.app.state.syndicate
    settings = state.settings
    source_id = request.query_params.get("source", "")
    try:
        src = settings.source(source_id)
    except KeyError:
        return _not_found(request)
    typed = request.query_params.get("instance", "")
    instance = parse_instance(typed)
    card = await asyncio.to_thread(_card, state, src, 0)
    target = None
    if instance is not None:
        target = await follow_dialog(federation_for(state), instance, typed, card["actor"])
    if target is None:
        return render(request, "follow.html", status_code=400, source=card, typed=typed)
    return RedirectResponse(target, status_code=303)


def _not_found(request: Request) -> HTMLResponse:
    return render(request, "notfound.html", status_code=404)


routes = [
    Route("/", index),
    Route("/sources/{id}", source_page),
    Route("/articles/{id}", article_page),
    Route("/articles/{id}/versions", versions_page),
    Route("/tags/{tag}", tag_page),
    Route("/follow", follow),
    Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
]
