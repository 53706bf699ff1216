"""OPML without double counting, feed icons in every format, lead images with alt text."""

from __future__ import annotations

import shutil
import sqlite3
import struct
import subprocess
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup
from lxml import etree
from webutil import seed_newsroom, site_fixture  # noqa: F401

MEDIA = "{http://search.yahoo.com/mrss/}"
ATOM = "{http://www.w3.org/2005/Atom}"


def outlines(body: bytes) -> list[str]:
    return [o.get("xmlUrl") for o in etree.fromstring(body).iter("outline")]


def png_size(body: bytes) -> tuple[int, int]:
    assert body.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", body[16:24])


def test_opml_lists_each_source_once_and_the_aggregate_separately(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
    per_source = outlines(s.server.get("/opml").content)
    assert per_source == [f"{s.url}/feeds/detailnews.rss", f"{s.url}/feeds/nusautara.rss"]
    assert outlines(s.server.get("/opml?all=1").content) == [f"{s.url}/feeds/all.rss"]
    # Imported, the per-source OPML shows every active article exactly once.
    guids = [
        e.id for url in per_source for e in feedparser.parse(s.server.get(url).content).entries
    ]
    assert len(guids) == len(set(guids))
    active = {a.id for a in s.store.latest_articles(["detailnews", "nusautara"], limit=100)}
    assert {g.rsplit("/", 1)[1] for g in guids} == active
    page = BeautifulSoup(s.server.get("/").text, "html.parser")
    assert page.select_one(f"a[href='{s.url}/opml?all=1']")
    assert page.select_one(f"link[rel=outline][href='{s.url}/opml?all=1']")


def test_every_feed_format_names_an_icon_that_is_served(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
    for key in ("detailnews", "all"):
        atom = etree.fromstring(s.server.get(f"/feeds/{key}.atom").content)
        rss = etree.fromstring(s.server.get(f"/feeds/{key}.rss").content)
        doc = s.server.get(f"/feeds/{key}.json").json()
        image = rss.find("channel/image")
        assert image.findtext("title") and image.findtext("link")
        sized = {
            atom.findtext(f"{ATOM}icon"): 128,
            atom.findtext(f"{ATOM}logo"): 512,
            image.findtext("url"): 128,
            doc["icon"]: 512,
            doc["favicon"]: 64,
        }
        for url, size in sized.items():
            assert url and url.startswith(f"{s.url}/icons/{key}-")
            resp = s.server.get(url.removeprefix(s.url))
            assert resp.status_code == 200 and resp.headers["content-type"] == "image/png"
            assert png_size(resp.content) == (size, size)
        parsed = feedparser.parse(s.server.get(f"/feeds/{key}.rss").content)
        assert not parsed.bozo and parsed.feed.image.href == image.findtext("url")
    assert s.server.get("/icons/nosuch-128.png").status_code == 404
    assert s.server.get("/icons/detailnews-9999.png").status_code == 404


def test_lead_image_carries_alt_text_and_a_thumbnail(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
    image = "https://detailnews.id/wp-content/uploads/apel.jpg"
    for fmt, item_path in (("rss", "channel/item"), ("atom", f"{ATOM}entry")):
        root = etree.fromstring(s.server.get(f"/feeds/detailnews.{fmt}").content)
        with_image = [i for i in root.findall(item_path) if i.find(f"{MEDIA}content") is not None]
        assert len(with_image) == 1, fmt
        item = with_image[0]
        content = item.find(f"{MEDIA}content")  # a direct child, not inside media:group
        assert content.get("url") == image and content.get("medium") == "image"
        assert content.get("type") == "image/jpeg"
        assert content.findtext(f"{MEDIA}description") == "Apel pagi"
        assert item.find(f"{MEDIA}thumbnail").get("url") == image
        parsed = feedparser.parse(s.server.get(f"/feeds/detailnews.{fmt}").content)
        thumbs = [e.media_thumbnail[0]["url"] for e in parsed.entries if "media_thumbnail" in e]
        assert thumbs == [image]
    items = s.server.get("/feeds/detailnews.json").json()["items"]
    pictured = [i for i in items if i.get("image")]
    assert [i["_syndicate"]["image_alt"] for i in pictured] == ["Apel pagi"]


@pytest.mark.skipif(not shutil.which("newsboat"), reason="newsboat is not installed")
def test_newsboat_imports_the_opml_and_shows_every_article_once(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
    opml = tmp_path / "syndicate.opml"
    opml.write_bytes(s.server.get("/opml").content)
    home, urls, cache = tmp_path / "home", tmp_path / "urls", tmp_path / "cache.db"
    home.mkdir()
    urls.touch()
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "dumb"}
    base = ["newsboat", "-u", str(urls), "-c", str(cache)]
    subprocess.run([*base, "-i", str(opml)], env=env, check=True, capture_output=True, timeout=60)
    assert urls.read_text().count("/feeds/") == 2
    subprocess.run([*base, "-x", "reload"], env=env, check=True, capture_output=True, timeout=60)
    with sqlite3.connect(cache) as db:
        rows = db.execute("SELECT guid, feedurl FROM rss_item").fetchall()
    active = s.store.latest_articles(["detailnews", "nusautara"], limit=100)
    assert len(rows) == len({g for g, _ in rows}) == len(active)
    per_feed = {f for _, f in rows}
    assert per_feed == {f"{s.url}/feeds/detailnews.rss", f"{s.url}/feeds/nusautara.rss"}
