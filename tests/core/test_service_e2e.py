"""End to end on real parts: `syndicate fetch` / `syndicate run` as child processes, real HTTP."""

from __future__ import annotations

import os
from pathlib import Path

import feedparser
import httpx
import pytest
from conftest import REPO, ServiceProcess, free_port, load_truth, run_cli, service_config

SEED_TITLE = "Apel Kerja Perdana 2026, Wali Kota Hengky Ajak ASN Pemkot Bitung Perkuat Disiplin"


def seed_paragraphs() -> list[str]:
    truth = load_truth("detailnews", "t0", "https://detailnews.id")
    return next(a for a in truth["articles"] if a["id"] == "detailnews:2481")["body"]


config_with = service_config


SAMPLES = f"""
[[sources]]
id = "samples"
name = "Sample posts"
url = "{REPO / "samples" / "posts"}"
kind = "folder"
"""


@pytest.fixture
def service(tmp_path: Path, service_process):  # type: ignore[no-untyped-def]
    def start(sources: str = SAMPLES) -> ServiceProcess:
        port = free_port()
        return service_process(config_with(tmp_path, port, sources), port)

    return start


def test_run_serves_the_seed_article_in_every_feed_and_answers_304(service) -> None:  # type: ignore[no-untyped-def]
    # An unreachable source must not stop the others or the server.
    svc = service(
        SAMPLES
        + '\n[[sources]]\nid = "down"\nname = "Down"\nurl = "http://127.0.0.1:9/"\nkind = "feed"\n'
    )
    atom = svc.wait_for(
        "/feeds/all.atom", lambda r: r.status_code == 200 and SEED_TITLE.encode() in r.content
    )
    parsed = feedparser.parse(atom.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    seed = next(e for e in parsed.entries if e.title == SEED_TITLE)
    assert seed.link.startswith("https://detailnews.id/2026/01/05/")
    assert seed.published == "2026-01-05T11:42:18+08:00"

    doc = httpx.get(svc.url + "/feeds/samples.json").json()
    item = next(i for i in doc["items"] if i["title"] == SEED_TITLE)
    assert item["authors"][0]["name"] == "ical"
    assert item["date_published"] == "2026-01-05T11:42:18+08:00"
    assert item["language"] == "id"
    assert item["tags"] == ["Pemkot Bitung", "Hengky Honandar", "ASN", "Apel Kerja Perdana"]
    assert item["content_text"].split("\n\n") == seed_paragraphs()
    assert item["url"] == seed.link and item["image"].endswith(".jpg")

    for path in (
        "/feeds/all.rss",
        "/feeds/all.atom",
        "/feeds/all.json",
        "/feeds/samples.rss",
        "/feeds/samples.atom",
        "/feeds/samples.json",
    ):
        first = httpx.get(svc.url + path)
        assert first.status_code == 200 and first.headers["etag"] and first.headers["last-modified"]
        again = httpx.get(svc.url + path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        since = httpx.get(
            svc.url + path, headers={"If-Modified-Since": first.headers["last-modified"]}
        )
        assert since.status_code == 304

    rss = feedparser.parse(httpx.get(svc.url + "/feeds/samples.rss").content)
    assert rss.bozo == 0
    assert rss.entries[0].published.endswith("+0800")

    index = httpx.get(svc.url + "/").text
    assert 'type="application/atom+xml"' in index and "/feeds/samples.rss" in index
    opml = httpx.get(svc.url + "/opml")
    assert opml.status_code == 200 and b"/feeds/samples.rss" in opml.content
    health = httpx.get(svc.url + "/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    down = svc.stop()
    assert "source down: failed" in down  # one log line per attempt with the reason


def test_fetch_then_run_sees_a_new_post_from_a_separate_process(service, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "a.md").write_text(
        "---\ntitle: Pertama\npublished: 2026-01-07T08:00:00+08:00\n---\nSatu.\n", encoding="utf-8"
    )
    svc = service(
        SAMPLES.replace(str(REPO / "samples" / "posts"), str(posts)).replace(
            'kind = "folder"', 'kind = "folder"\ninterval = "1h"'
        )
    )
    svc.wait_for("/feeds/samples.json", lambda r: r.status_code == 200 and b"Pertama" in r.content)
    (posts / "b.md").write_text(
        '+++\ntitle = "Kedua"\npublished = 2026-01-08T08:00:00+07:00\n+++\nDua.\n', encoding="utf-8"
    )
    config = tmp_path / "config.toml"
    result = run_cli("fetch", "samples", config=config)
    assert result.returncode == 0 and "samples  1 new" in result.stdout
    doc = svc.wait_for("/feeds/samples.json", lambda r: b"Kedua" in r.content, timeout=10).json()
    assert doc["items"][0]["title"] == "Kedua"
    assert doc["items"][0]["date_published"] == "2026-01-08T08:00:00+07:00"


def test_fetch_from_a_corpus_feed_over_loopback(corpus_server, tmp_path: Path, live_server) -> None:  # type: ignore[no-untyped-def]
    site = corpus_server("detailnews", "t0", "--quiet")
    port = free_port()
    config = config_with(
        tmp_path,
        port,
        f'[[sources]]\nid = "detailnews"\nname = "DetailNews.id"\nurl = "{site.base}/"\nkind = "feed"\nfeed_url = "{site.base}/feed/"\n',
    )
    result = run_cli("fetch", config=config)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("detailnews  8 new"), result.stdout
    truth = load_truth("detailnews", "t0", site.base)
    titles = {a["title"] for a in truth["articles"] if "rss" in a["routes"]}

    from syndicate.config import load_settings
    from syndicate.store import open_store
    from syndicate.web.app import create_app

    settings = load_settings(config)
    store = open_store(f"sqlite:///{tmp_path / 'data' / 'syndicate.db'}")
    server = live_server(create_app(settings, store), port)
    for fmt in ("rss", "atom", "json"):
        body = httpx.get(f"{server.url}/feeds/detailnews.{fmt}").content
        parsed = feedparser.parse(body) if fmt != "json" else None
        found = (
            {e.title for e in parsed.entries}
            if parsed
            else {
                i["title"] for i in httpx.get(f"{server.url}/feeds/detailnews.json").json()["items"]
            }
        )
        assert titles <= found, (fmt, titles - found)
    # A second pass over an unchanged feed is one conditional request answered 304.
    again = run_cli("fetch", config=config)
    assert "unchanged" in again.stdout
    store.close()


def test_unknown_source_id_is_a_clear_error(tmp_path: Path) -> None:
    config = config_with(tmp_path, free_port(), SAMPLES)
    result = run_cli("fetch", "nosuch", config=config)
    assert (
        result.returncode == 2
        and "unknown source id(s): nosuch" in result.stderr
        and "samples" in result.stderr
    )


def test_version_and_help() -> None:
    from syndicate import __version__

    assert run_cli("--version").stdout.strip() == f"syndicate {__version__}"
    for command in ("run", "fetch", "check-config", "migrate"):
        result = run_cli(command, "--help")
        assert result.returncode == 0 and "usage: syndicate" in result.stdout, command
    assert os.path.exists(REPO / "config.toml")
