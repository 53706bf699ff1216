"""Source health: a corpus site moved to a broken state turns its health within two passes."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from conftest import CorpusServer, free_port, run_cli, write_config

from syndicate.health.classify import failure_kind, failure_state
from syndicate.health.drift import drift_reasons
from syndicate.health.texts import public_status
from syndicate.models import PassResult
from syndicate.models.health import HealthPass
from syndicate.store import open_store


def config(tmp_path: Path, source: str, extra: str = "") -> Path:
    return write_config(
        tmp_path / "config.toml",
        f'[storage]\nurl = "sqlite:///{tmp_path}/s.db"\n'
        f'[fetch]\nper_host_delay = 0.005\ntimeout = "5s"\n{extra}\n{source}',
    )


def health_of(cfg: Path, sid: str) -> dict:
    out = run_cli("sources", "--json", config=cfg)
    assert out.returncode == 0, out.stderr
    return {r["id"]: r for r in json.loads(out.stdout)}[sid]


def fetch(cfg: Path) -> str:
    out = run_cli("fetch", config=cfg)
    assert out.returncode == 0, out.stderr
    return out.stderr


def restart(server: CorpusServer, site: str, state: str, port: int) -> CorpusServer:
    """The same address now answers as another state (or another site) would."""
    server.stop()
    return CorpusServer(site, state, "--quiet", "--port", str(port))


def test_a_site_that_puts_up_a_bot_wall_turns_blocked_on_the_next_pass(tmp_path: Path) -> None:
    port = free_port()
    server = CorpusServer("detailnews", "t0", "--quiet", "--port", str(port))
    try:
        cfg = config(
            tmp_path,
            f'[[sources]]\nid = "site"\nurl = "{server.base}/"\nkind = "html"\nbackfill = 3\n',
        )
        fetch(cfg)
        assert health_of(cfg, "site")["health"] == "ok"
        # The site moves behind a Cloudflare-style managed challenge (403 + cf-mitigated).
        server = restart(server, "bolmongraya", "t0", port)
        log = fetch(cfg)
        row = health_of(cfg, "site")
        assert (row["health"], row["health_kind"]) == ("blocked", "bot_wall")
        assert "challenge" in row["health_detail"]  # operator text, with the reason
        assert row["public_status"]["en"].startswith("This site refuses automated reading")
        assert "tembok anti-bot" in row["public_status"]["id"]
        assert log.count("health ok -> blocked") == 1
        # Still walled: no new alarm.
        assert "health" not in fetch(cfg)
    finally:
        server.stop()


def test_a_template_change_that_loses_the_body_container_is_drift(tmp_path: Path) -> None:
    port = free_port()
    server = CorpusServer("bolmongraya", "t0", "--quiet", "--port", str(port))
    try:
        cfg = config(
            tmp_path,
            f'[[sources]]\nid = "bolmong"\nurl = "{server.base}/"\nkind = "sitemap"\n'
            f'feed_url = "{server.base}/sitemap-news.xml"\n'
            'selectors = { body = ".detail-text" }\n',
        )
        fetch(cfg)
        assert health_of(cfg, "bolmong")["health"] == "ok"
        server = restart(server, "bolmongraya", "t2", port)  # template v2 on new articles
        log = fetch(cfg)
        row = health_of(cfg, "bolmong")
        assert (row["health"], row["health_kind"]) == ("drift", "body_container")
        assert "usual container in 0%" in row["health_detail"]
        assert log.count("health ok -> drift") == 1
    finally:
        server.stop()


class FeedSite:
    """A loopback feed whose items the test changes, plus a webhook receiver."""

    def __init__(self) -> None:
        self.items = 3
        self.hooks: list[dict] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/robots.txt":
                    body, ctype = b"User-agent: *\nAllow: /\n", "text/plain"
                else:
                    items = "".join(
                        f"<item><title>Berita {n}</title><link>{site.url}/b/{n}</link>"
                        f"<guid>{site.url}/b/{n}</guid><author>ical</author>"
                        f"<pubDate>Mon, 05 Jan 2026 0{n}:00:00 +0800</pubDate>"
                        f"<description>Isi berita nomor {n} yang cukup panjang.</description></item>"
                        for n in range(site.items)
                    )
                    body = (
                        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
                        f"<link>{site.url}/</link><description>d</description>{items}"
                        "</channel></rss>"
                    ).encode()
                    ctype = "application/rss+xml"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                site.hooks.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def feed_site():  # type: ignore[no-untyped-def]
    site = FeedSite()
    yield site
    site.stop()


def test_an_emptied_listing_is_drift_and_reaches_the_webhook_and_metrics(
    tmp_path: Path,
    feed_site: FeedSite,
) -> None:
    cfg = config(
        tmp_path,
        f'[[sources]]\nid = "feedy"\nurl = "{feed_site.url}/"\nkind = "feed"\n'
        f'feed_url = "{feed_site.url}/feed.xml"\n',
        extra=f'[health]\nwebhook = "{feed_site.url}/hook"\n',
    )
    fetch(cfg)
    assert health_of(cfg, "feedy")["health"] == "ok" and feed_site.hooks == []
    feed_site.items = 0  # the feed still answers 200, with no items
    fetch(cfg)
    row = health_of(cfg, "feedy")
    assert (row["health"], row["health_kind"]) == ("drift", "empty_listing")
    assert "usually 3" in row["health_detail"]
    [hook] = feed_site.hooks
    assert hook["source_id"] == "feedy" and hook["state"] == "drift"
    assert hook["previous"] == "ok" and hook["kind"] == "empty_listing"
    # The Prometheus gauge: one state at 1 per source.
    from conftest import LiveServer

    from syndicate.config import load_settings
    from syndicate.web.app import create_app

    class NoLifespan(LiveServer):
        lifespan = "off"

    store = open_store(f"sqlite:///{tmp_path}/s.db")
    web = NoLifespan(create_app(load_settings(cfg), store), free_port())
    try:
        text = httpx.get(web.url + "/metrics").text
        assert 'syndicate_source_health{source="feedy",state="drift"} 1.0' in text
        assert 'syndicate_source_health{source="feedy",state="ok"} 0.0' in text
        page = httpx.get(web.url + "/sources/feedy").text
        assert "the article listing is empty" in page and "daftar artikel kosong" in page
        assert "usually 3" not in page  # operator detail stays in the CLI
    finally:
        web.stop()
        store.close()


# ---- pure rules ---------------------------------------------------------------------------


def _pass(state: str = "ok", **kw: object) -> HealthPass:
    return HealthPass(source_id="s", at=datetime.now(UTC), state=state, **kw)  # type: ignore[arg-type]


def test_failures_are_classified_and_one_transient_failure_is_not_an_alarm() -> None:
    class Fetch(Exception):
        kind = "rate_limited"

    assert failure_kind(Fetch()) == "rate_limited"
    assert failure_kind(httpx.ConnectTimeout("slow")) == "timeout"
    assert failure_kind(type("DiscoveryError", (Exception,), {})()) == "no_route"
    assert failure_kind(ValueError("x")) == "error"
    assert failure_state("timeout", 1, "ok") == "ok"
    assert failure_state("timeout", 2, "ok") == "failing"
    assert failure_state("timeout", 1, "new") == "failing"
    assert failure_state("dns", 1, "ok") == "failing"
    assert failure_state("bot_wall", 1, "ok") == "blocked"
    assert failure_state("robots", 1, "ok") == "blocked"


def test_field_shares_and_body_length_are_compared_with_the_sources_own_month() -> None:
    usual = [
        _pass(listed=10, entries=5, with_author=5, with_date=5, with_image=4, body_median=2000)
        for _ in range(3)
    ]
    fine = _pass(listed=10, entries=4, with_author=4, with_date=4, with_image=3, body_median=1800)
    assert drift_reasons(fine, usual) == []
    worse = _pass(listed=10, entries=4, with_author=0, with_date=4, with_image=0, body_median=600)
    kinds = [k for k, _ in drift_reasons(worse, usual)]
    assert kinds == ["authors", "images", "body_length"]
    # Too little evidence either way: two entries in the whole month, or one in this pass.
    assert drift_reasons(worse, [_pass(entries=2, with_author=2)]) == []
    assert drift_reasons(_pass(listed=10, entries=1), usual) == []
    # Drifting passes are not the baseline: the alarm does not fade by repeating itself.
    assert drift_reasons(worse, usual + [_pass("drift", kind="authors", entries=4)])


def test_public_text_never_carries_the_operator_detail() -> None:
    text = public_status("failing", "dns")
    assert "address does not resolve" in text["en"] and "tidak ditemukan" in text["id"]
    assert public_status("ok", None)["en"] == "Working normally."
    assert public_status("weird", "nope")["en"] == "Not fetched yet."


def test_history_is_kept_per_source_in_both_databases(db_url: str) -> None:
    store = open_store(db_url)
    try:
        now = datetime.now(UTC)
        for i in range(3):
            store.add_health_pass(HealthPass("a", now - timedelta(hours=3 - i), "ok", listed=i))
        store.add_health_pass(HealthPass("b", now, "blocked", kind="bot_wall", detail="HTTP 403"))
        assert [p.listed for p in store.health_passes("a", now - timedelta(days=1))] == [0, 1, 2]
        assert store.health_passes("a", now - timedelta(hours=1, minutes=30))[0].listed == 2
        latest = store.latest_health()
        assert latest["a"].listed == 2 and latest["b"].kind == "bot_wall"
    finally:
        store.close()


def test_the_runner_records_a_pass_result_even_without_entries() -> None:
    # PassResult is what the runner gives health: a failed pass keeps its error as detail.
    from syndicate.health.monitor import assess

    result = PassResult(source_id="s", route="feed", failed=True, error="HTTP 503 (x)")
    row = assess(result, None, [], None, 1, [], datetime.now(UTC))
    assert (row.state, row.kind, row.detail) == ("failing", "error", "HTTP 503 (x)")
