"""Pages people see, fetched over real HTTP from the real app."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from webutil import (
    WITA,
    seed_newsroom,
    site_fixture,  # noqa: F401
)

from syndicate.web.pages import day_chart, local_time, next_run_at, parse_instance


def soup(resp) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    assert resp.status_code == 200, resp.text[:500]
    assert resp.headers["content-type"].startswith("text/html")
    return BeautifulSoup(resp.text, "html.parser")


def test_index_offers_every_enabled_source_in_one_click(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
    page = soup(s.server.get("/"))
    host = urlsplit(s.url).netloc
    sections = {sec["id"]: sec for sec in page.select("section.source")}
    assert list(sections) == ["detailnews", "nusautara"]  # the disabled one is not offered
    dn = sections["detailnews"]
    assert "Berita Bitung dan Sulawesi Utara" in dn.text
    hrefs = {a["href"] for a in dn.select("a.feed")}
    assert hrefs == {f"{s.url}/feeds/detailnews.{fmt}" for fmt in ("rss", "atom", "json")}
    assert dn.select_one("input.handle")["value"] == f"@detailnews@{host}"
    assert dn.select_one("button.copy")["data-copy"] == f"@detailnews@{host}"
    form = dn.select_one("form.follow")
    assert form["action"] == f"{s.url}/follow" and form["method"] == "get"
    assert form.select_one("input[name=source]")["value"] == "detailnews"
    # Latest headlines, newest first, linking to our article pages.
    titles = [a.text for a in dn.select("ul.headlines a")]
    assert titles[0] == "Berita nomor 3" and "Apel Kerja Perdana 2026 di Bitung" in titles
    # A failing source says so.
    assert "gagal" in sections["nusautara"].select_one(".health").text
    problem = sections["nusautara"].select_one(".problem-line").text
    assert "tidak bisa diambil" in problem and "cannot be fetched right now" in problem
    assert "HTTP 503" not in page.text  # exception text is for the operator (CLI), not readers
    # Autodiscovery for every feed, and the OPML.
    alternates = {link["href"] for link in page.select("link[rel=alternate]")}
    for key in ("all", "detailnews", "nusautara"):
        for fmt in ("rss", "atom", "json"):
            assert f"{s.url}/feeds/{key}.{fmt}" in alternates
    assert page.select_one("a[href$='/opml']")
    for href in alternates | {f"{s.url}/opml"}:
        assert s.server.get(href.removeprefix(s.url)).status_code == 200


def test_source_page_explains_route_health_and_activity(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
    page = soup(s.server.get("/sources/detailnews"))
    route = page.select_one("dd.route").text
    assert "wordpress" in route and "richer than the RSS excerpt" in route
    assert "new 2" in page.select_one("dd.result").text
    assert "4 menit lalu" in page.text and "4 min ago" in page.text
    assert page.select_one("dd.articles").text.strip() == "4"  # the removed one is not counted
    assert page.select_one("dd.followers").text.strip() == "0"
    # 30 bars, one per local day: three recent articles and one later removed, on four days
    # (the January one is older than 30 days).
    bars = page.select("svg.bars rect")
    assert len(bars) == 30
    assert sum(int(b.title.text.split(": ")[1]) for b in bars) == 4
    assert len(page.select("svg.bars rect.on")) == 4
    assert "4 artikel" in page.select_one("figcaption").text
    # Feed links and autodiscovery for this source only.
    alternates = {link["href"] for link in page.select("link[rel=alternate][type$='xml']")}
    assert alternates == {f"{s.url}/feeds/detailnews.rss", f"{s.url}/feeds/detailnews.atom"}

    failing = soup(s.server.get("/sources/nusautara"))
    assert "cannot be fetched right now" in failing.select_one("dd.health-status").text
    assert "HTTP 503" not in failing.text
    backoff = failing.select_one("dd.backoff").text
    assert "3" in backoff and "coba lagi" in backoff and "WITA" in backoff
    assert s.server.get("/sources/nope").status_code == 404


def test_source_page_shows_followers_and_delivery_failures_by_server(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
    store = s.store
    if not hasattr(store, "add_follower"):
        pytest.skip("federation storage not present")
    from datetime import UTC, datetime, timedelta

    from syndicate.models.federation import DeliveryOutcome, NewActivity

    for n, host in enumerate(["mastodon.social", "mastodon.social", "kolektiva.social"]):
        actor = f"https://{host}/users/u{n}"
        store.add_follower("detailnews", actor, f"{actor}/inbox", f"https://{host}/inbox", None)
    act = NewActivity(
        id=f"{s.url}/activities/1",
        source_id="detailnews",
        type="Create",
        payload={"type": "Create"},
        published=datetime.now(UTC),
    )
    store.add_activity(act, store.delivery_inboxes("detailnews"))
    jobs = store.claim_deliveries(10, timedelta(minutes=1))
    store.finish_deliveries(
        [
            DeliveryOutcome(
                id=j.id,
                lease_token=j.lease_token,
                host=j.host,
                inbox=j.inbox,
                status="pending",
                attempts=1,
                next_attempt_at=datetime.now(UTC) + timedelta(minutes=5),
                last_status=502,
                last_error="HTTP 502 Bad Gateway",
                server_ok=False,
            )
            for j in jobs
            if j.host == "kolektiva.social"
        ],
        server_backoff=lambda n: None,
    )
    page = soup(s.server.get("/sources/detailnews"))
    assert page.select_one("dd.followers").text.strip() == "3"
    rows = {
        tr.select("td")[0].text: [td.text for td in tr.select("td")[1:]]
        for tr in page.select("dd.delivery-failures tbody tr")
    }
    assert rows["mastodon.social"][:3] == ["2", "0", "0"]
    assert rows["kolektiva.social"][:3] == ["1", "1", "0"]
    assert "HTTP 502" in rows["kolektiva.social"][3]
    # Worst first.
    assert page.select_one("dd.delivery-failures tbody tr td").text == "kolektiva.social"


def test_article_page_links_the_original_and_folds_duplicates(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
    host = urlsplit(s.url).netloc
    page = soup(s.server.get(f"/articles/{s.ids['apel']}"))
    original = "https://detailnews.id/2026/berita-1/"
    assert page.select_one("link[rel=canonical]")["href"] == original
    assert page.select_one("meta[name='fediverse:creator']")["content"] == f"@detailnews@{host}"
    assert page.h1.text == "Apel Kerja Perdana 2026 di Bitung"
    byline = page.select_one(".byline").text
    assert "ical" in byline and "Senin, 5 Januari 2026 11:42 WITA" in byline
    img = page.select_one("figure.lead img")
    assert img["src"].endswith("apel.jpg") and img["alt"] == "Apel pagi"
    assert "Paragraf kedua." in page.select_one(".text").text
    assert page.select_one("p.original a")["href"] == original
    also = page.select("aside.also li")
    assert len(also) == 1 and "NusaUtara" in also[0].text
    assert also[0].select("a")[0]["href"] == f"{s.url}/articles/{s.ids['apel_copy']}"
    assert {a["href"] for a in page.select(".tags a")} == {
        f"{s.url}/tags/bitung",
        f"{s.url}/tags/pemkotbitung",
    }

    # content = "summary": the summary, never the full text of the source.
    copy = soup(s.server.get(f"/articles/{s.ids['apel_copy']}"))
    assert "Ringkasan versi NusaUtara." in copy.select_one(".text").text
    assert "TEKS LENGKAP" not in copy.text
    assert "DetailNews.id" in copy.select_one("aside.also").text

    assert s.server.get(f"/articles/{s.ids['gone']}").status_code == 410
    assert s.server.get("/articles/doesnotexist").status_code == 404


def test_tag_page_lists_articles_across_sources_with_its_feeds(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
    page = soup(s.server.get("/tags/Bitung"))
    titles = {a.text for a in page.select("ul.headlines li > a")}
    assert titles == {"Apel Kerja Perdana 2026 di Bitung", "Pemkot Bitung Gelar Apel Perdana"}
    hrefs = {a["href"] for a in page.select("a.feed")}
    assert f"{s.url}/feeds/tag/bitung.atom" in hrefs
    feed = s.server.get("/feeds/tag/bitung.json").json()
    assert {i["title"] for i in feed["items"]} == titles
    for _ in range(2):  # unknown tags are a (cached) 404 that still tells the reader why
        empty = s.server.get("/tags/nothinghere")
        assert empty.status_code == 404 and "Belum ada artikel" in empty.text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("mastodon.social", ("https", "mastodon.social")),
        ("@me@mastodon.social", ("https", "mastodon.social")),
        ("me@kolektiva.social", ("https", "kolektiva.social")),
        ("https://mastodon.social/@me", ("https", "mastodon.social")),
        ("http://127.0.0.1:3000", ("http", "127.0.0.1:3000")),
        ("  Mastodon.Social. ", ("https", "mastodon.social")),
        ("javascript:alert(1)", None),
        ("no spaces.com here", None),
        ("", None),
        ("localhostish", None),
    ],
)
def test_parse_instance(typed: str, expected: object) -> None:
    assert parse_instance(typed) == expected


def test_time_and_schedule_helpers() -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from syndicate.models import SourceState

    dt = datetime(2026, 1, 5, 3, 42, tzinfo=UTC)
    assert (
        local_time(dt, ZoneInfo("Asia/Makassar"), weekday=True)
        == "Senin, 5 Januari 2026 11:42 WITA"
    )
    assert local_time(dt, ZoneInfo("Asia/Jayapura")) == "5 Januari 2026 12:42 WIT"
    now = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)
    every = timedelta(minutes=15)
    assert next_run_at(SourceState("a"), every, now) == now
    assert next_run_at(
        SourceState("a", last_fetch_at=now - timedelta(minutes=5)), every, now
    ) == now + timedelta(minutes=10)
    later = now + timedelta(hours=1)
    assert (
        next_run_at(SourceState("a", last_fetch_at=now, backoff_until=later), every, now) == later
    )
    assert next_run_at(SourceState("a"), every, now, enabled=False) is None
    chart = day_chart({"2026-01-05": 4, "2026-01-04": 1}, datetime(2026, 1, 5, tzinfo=WITA))
    assert len(chart["bars"]) == 30 and chart["total"] == 5 and chart["max"] == 4
    assert chart["bars"][-1]["h"] == chart["height"] and chart["bars"][-2]["h"] > 0
