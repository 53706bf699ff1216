"""Issue 13 item 1: a source without `name` shows the site's own name once a pass has found it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from conftest import free_port
from ingest_util import run_pass

from syndicate.cli.ops import collect_status
from syndicate.config import settings_from_dict
from syndicate.store import open_store
from syndicate.web.app import create_app


def test_unnamed_source_shows_the_site_name_discovery_found(  # type: ignore[no-untyped-def]
    corpus_server, live_server, tmp_path: Path
) -> None:
    wp = corpus_server("detailnews", "t0", "--quiet")  # <title>DetailNews.id - Berita Terkini …
    rss = corpus_server("kabarkito", "t0", "--quiet")  # a feed titled "Kabar Kito"
    port = free_port()
    settings = settings_from_dict(
        {
            "server": {"base_url": f"http://127.0.0.1:{port}", "port": port},
            "storage": {"url": f"sqlite:///{tmp_path / 'names.db'}"},
            "fetch": {"per_host_delay": 0.005},
            "defaults": {"backfill": 3},
            "sources": [
                {"id": "dn", "url": wp.base + "/"},
                {"id": "kk", "url": rss.base + "/"},
                {"id": "named", "name": "Nama Sendiri", "url": wp.base + "/"},
            ],
        }
    )
    store = open_store(settings.storage.url)
    try:
        app = create_app(settings, store)
        web = live_server(app, port)
        # Before the first pass nothing is known: the id.
        assert "<h1>dn " in web.client.get("/sources/dn").text
        assert "<title>dn</title>" in web.client.get("/feeds/dn.atom").text

        results, _ = run_pass(settings, store)
        assert not any(r.failed for r in results), [r.error for r in results]
        # The pass ran outside the app (as `syndicate fetch` does): have its feed cache look at
        # the store now rather than within CHECK_EVERY seconds.
        app.state.syndicate.feeds.check_now()

        page = web.client.get("/sources/dn").text
        assert "<h1>DetailNews.id " in page
        assert "<h1>Kabar Kito " in web.client.get("/sources/kk").text
        assert "<h1>Nama Sendiri " in web.client.get("/sources/named").text  # config wins
        index = web.client.get("/").text
        assert "DetailNews.id" in index and "Kabar Kito" in index
        assert "<title>DetailNews.id</title>" in web.client.get("/feeds/dn.atom").text
        assert "<title>Kabar Kito</title>" in web.client.get("/feeds/kk.rss").text
        assert 'text="Kabar Kito"' in web.client.get("/opml").text
        actor = web.client.get("/users/kk", headers={"Accept": "application/activity+json"})
        assert actor.json()["name"] == "Kabar Kito"

        # `syndicate sources` (its --json rows) and a fresh process see the same names.
        rows = {r["id"]: r["name"] for r in collect_status(settings, store, datetime.now(UTC))}
        assert rows == {"dn": "DetailNews.id", "kk": "Kabar Kito", "named": "Nama Sendiri"}
    finally:
        store.close()
