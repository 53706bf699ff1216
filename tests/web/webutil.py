"""Fixtures for the web tests: a seeded store and the real app served by uvicorn on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import conftest
import pytest
from conftest import free_port

from syndicate.config import Settings, settings_from_dict
from syndicate.models import Entry, SourceState
from syndicate.store import Store, open_store
from syndicate.web.app import create_app

WITA = timezone(timedelta(hours=8))


class LiveServer(conftest.LiveServer):
    """The app without its lifespan: web tests drive background work themselves."""

    lifespan = "off"


def settings_for(port: int, sources: list[dict], **sections: Any) -> Settings:
    data = {"server": {"base_url": f"http://127.0.0.1:{port}", "port": port}, "sources": sources}
    data.update(sections)
    return settings_from_dict(data)


SOURCES = [
    {
        "id": "detailnews",
        "name": "DetailNews.id",
        "url": "https://detailnews.id/",
        "kind": "feed",
        "description": "Berita Bitung dan Sulawesi Utara",
    },
    {
        "id": "nusautara",
        "name": "NusaUtara",
        "url": "https://nusautara.example/",
        "kind": "feed",
        "content": "summary",
    },
    {"id": "sleepy", "name": "Sleepy", "url": "https://sleepy.example/", "enabled": False},
]


def entry(n: int, published: datetime, **kw: Any) -> Entry:
    base = {
        "url": f"https://detailnews.id/2026/berita-{n}/",
        "guid": f"g{n}",
        "title": f"Berita nomor {n}",
        "authors": ["ical"],
        "published": published,
        "summary": f"Ringkasan berita {n}.",
        "content_html": f"<p>Isi lengkap berita {n}.</p>",
        "content_text": f"Isi lengkap berita {n}.",
    }
    base.update(kw)
    return Entry(**base)


@dataclass
class Site:
    server: LiveServer
    store: Store
    settings: Settings
    app: Any
    ids: dict[str, str]  # label -> article id

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(name="site")
def site_fixture(tmp_path: Path) -> Iterator[Callable[..., Site]]:
    """Factory: site(sources=..., seed=callable(store) -> ids, **settings sections)."""
    started: list[Site] = []

    def start(
        sources: list[dict] | None = None,
        seed: Callable[[Store], dict[str, str]] | None = None,
        db: str | None = None,  # a database URL (the db_url fixture); default a fresh SQLite file
        **sections: Any,
    ) -> Site:
        port = free_port()
        settings = settings_for(port, sources or SOURCES, **sections)
        store = open_store(db or f"sqlite:///{tmp_path / f'web{len(started)}.db'}")
        ids = seed(store) if seed else {}
        app = create_app(settings, store)
        s = Site(LiveServer(app, port), store, settings, app, ids)
        started.append(s)
        return s

    yield start
    for s in started:
        s.server.stop()
        s.store.close()


def seed_newsroom(store: Store) -> dict[str, str]:
    """Two sources, a near-duplicate story across them, tags, a removed article, source states."""
    now = datetime.now(UTC)
    ids = {}
    a, _ = store.upsert_entry(
        "detailnews",
        entry(
            1,
            datetime(2026, 1, 5, 11, 42, 18, tzinfo=WITA),
            title="Apel Kerja Perdana 2026 di Bitung",
            image="https://detailnews.id/wp-content/uploads/apel.jpg",
            image_alt="Apel pagi",
            tags=["Bitung", "Pemkot Bitung"],
            content_html="<p>Wali Kota memimpin apel kerja perdana.</p><p>Paragraf kedua.</p>",
            content_text="Wali Kota memimpin apel kerja perdana.\n\nParagraf kedua.",
        ),
        story_id="story1",
        now=now - timedelta(hours=3),
    )
    ids["apel"] = a.id
    b, _ = store.upsert_entry(
        "nusautara",
        entry(
            2,
            datetime(2026, 1, 5, 15, 0, tzinfo=WITA),
            url="https://nusautara.example/berita/3311",
            title="Pemkot Bitung Gelar Apel Perdana",
            summary="Ringkasan versi NusaUtara.",
            content_html="<p>TEKS LENGKAP NUSAUTARA.</p>",
            content_text="TEKS LENGKAP NUSAUTARA.",
            tags=["Bitung"],
        ),
        story_id="story1",
        now=now - timedelta(hours=1),
    )
    ids["apel_copy"] = b.id
    for i in range(3, 6):  # recent articles for the 30-day chart
        art, _ = store.upsert_entry(
            "detailnews", entry(i, now - timedelta(days=i - 2)), now=now - timedelta(days=i - 2)
        )
        ids[f"recent{i}"] = art.id
    gone, _ = store.upsert_entry("detailnews", entry(9, now - timedelta(days=9)))
    store.record_missing(gone.id, checks_needed=1)
    ids["gone"] = gone.id
    store.save_source_state(
        SourceState(
            source_id="detailnews",
            route="wordpress",
            route_reason="wp-json answered with 5 posts; richer than the RSS excerpt",
            route_url="https://detailnews.id/wp-json/wp/v2/posts",
            last_fetch_at=now - timedelta(minutes=4),
            last_result="new 2",
            last_success_at=now - timedelta(minutes=4),
        )
    )
    store.save_source_state(
        SourceState(
            source_id="nusautara",
            route="feed",
            route_reason="configured kind",
            last_fetch_at=now - timedelta(minutes=2),
            last_result="failed: HTTP 503 (https://nusautara.example/rss.xml)",
            last_error="HTTP 503 (https://nusautara.example/rss.xml)",
            consecutive_failures=3,
            backoff_until=now + timedelta(minutes=4),
        )
    )
    return ids
