"""What an ingest pass costs, counted (never timed): SQL statements per stored article, parses
and extractions per pass, writes when nothing changed. A full-text RSS feed with strong ETags on
loopback, real SQLite."""

from __future__ import annotations

import hashlib
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import REPO
from ingest_util import run_pass
from sql_probes import vm_steps
from sqlalchemy import event

from syndicate.config import Settings, settings_from_dict
from syndicate.ingest import feed, pages
from syndicate.models import Change
from syndicate.store import Store, open_store

sys.path.insert(0, str(REPO))
from bench.synthetic import plant_articles  # noqa: E402

ITEMS = 20
WORDS = ("warga", "desa", "kepala", "dinas", "jalan", "banjir", "pasar", "sekolah", "bupati")


def _paragraphs(port: int, i: int) -> list[str]:
    words = [WORDS[(port + i * 7 + k * k) % len(WORDS)] for k in range(160)]
    return [" ".join(words[j : j + 40]).capitalize() + "." for j in range(0, 160, 40)]


class Farm:
    """One feed per port; `changed` items carry a correction; ETag/304 like a real site."""

    def __init__(self) -> None:
        self.changed: set[int] = set()
        self.requests: list[tuple[str, int]] = []
        farm = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path != "/feed.xml":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = farm.feed(self.server.server_address[1])
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    farm.requests.append((self.path, 304))
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                farm.requests.append((self.path, 200))
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def feed(self, port: int) -> bytes:
        now = datetime(2026, 3, 10, 9, tzinfo=UTC)
        items = []
        for i in range(ITEMS):
            paras = _paragraphs(port, i)
            if i in self.changed:
                paras.append("Ralat: angka korban diperbaiki menjadi tiga orang.")
            html = "".join(f"<p>{p}</p>" for p in paras)
            items.append(
                f"<item><title>Berita {i}</title><link>http://127.0.0.1:{port}/{i}.html</link>"
                f"<guid>p{port}-{i}</guid>"
                f"<pubDate>{format_datetime(now - timedelta(minutes=7 * i))}</pubDate>"
                f"<content:encoded><![CDATA[{html}]]></content:encoded></item>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>Portal</title><link>http://127.0.0.1:{port}/</link>"
            + "".join(items)
            + "</channel></rss>"
        ).encode()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def farm() -> Iterator[Farm]:
    f = Farm()
    yield f
    f.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'cost.db'}")
    yield s
    s.close()


def settings_for(store: Store, farm: Farm) -> Settings:
    return settings_from_dict(
        {
            "storage": {"url": str(store.engine.url)},
            "fetch": {"per_host_delay": 0},
            "defaults": {"content": "full"},
            "sources": [
                {
                    "id": "p",
                    "name": "Portal",
                    "url": f"http://127.0.0.1:{farm.port}/",
                    "kind": "feed",
                    "feed_url": f"http://127.0.0.1:{farm.port}/feed.xml",
                }
            ],
        }
    )


class Meter:
    """Statements by kind (verb + table) and parse/extract calls during one pass."""

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        self.statements: Counter[str] = Counter()
        self.sql: list[str] = []
        self.parses = 0
        self.extractions = 0
        event.listen(store.engine, "before_cursor_execute", self._on_sql)
        parse, extract = feed.parse_feed, pages._extract

        def counted_parse(*a: object, **k: object) -> object:
            self.parses += 1
            return parse(*a, **k)  # type: ignore[arg-type]

        def counted_extract(*a: object, **k: object) -> object:
            self.extractions += 1
            return extract(*a, **k)  # type: ignore[arg-type]

        monkeypatch.setattr(feed, "parse_feed", counted_parse)
        monkeypatch.setattr(pages, "_extract", counted_extract)

    def _on_sql(self, _conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        words = statement.split()
        verb = words[0].upper()
        table = words[2] if verb in ("INSERT", "DELETE") else words[1]
        if verb == "SELECT":
            table = words[words.index("FROM") + 1] if "FROM" in words else "?"
        self.statements[f"{verb} {table}"] += 1
        self.sql.append(" ".join(words))

    def reset(self) -> None:
        self.statements.clear()
        self.sql.clear()
        self.parses = self.extractions = 0

    @property
    def total(self) -> int:
        return sum(self.statements.values())

    def writes(self, table: str) -> int:
        return sum(
            n
            for kind, n in self.statements.items()
            if kind.split()[0] in ("INSERT", "UPDATE", "DELETE") and kind.split()[1] == table
        )


def test_a_new_article_costs_a_few_statements_and_no_lookup_of_its_own(
    store: Store, farm: Farm, monkeypatch: pytest.MonkeyPatch
) -> None:
    meter = Meter(store, monkeypatch)
    settings = settings_for(store, farm)
    [result], _ = run_pass(settings, store)
    assert result.new == ITEMS and not result.failed
    # The listing's items are looked up in one query, and a stored article comes back from
    # its INSERT (RETURNING): no per-item SELECT before or after the write.
    one_by_one = [s for s in meter.sql if "articles.guid = ?" in s or "canonical_url = ?" in s]
    assert not one_by_one
    assert not [s for s in meter.sql if s.endswith("WHERE articles.id = ?")]
    assert not meter.writes("article_tags")  # no tags: nothing deleted or written there
    # Per new article: its row, its event, its LSH bands, the band lookup; per pass a fixed few.
    assert meter.total <= 4 * ITEMS + 16, meter.statements
    assert meter.parses == 1 and meter.extractions == ITEMS


def test_an_unchanged_pass_parses_nothing_and_writes_no_article(
    store: Store, farm: Farm, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(store, farm)
    run_pass(settings, store)
    meter = Meter(store, monkeypatch)
    [result], _ = run_pass(settings, store)
    assert farm.requests[-1] == ("/feed.xml", 304)
    assert result.summary() == "unchanged" and not result.failed
    assert meter.parses == 0 and meter.extractions == 0
    assert not meter.writes("articles") and not meter.writes("article_events")
    # Health: the latest row says "ok" already, so a 304 adds none; removal checks read only
    # articles already missing once (none), not every article of the source.
    assert not meter.writes("source_health")
    assert not [s for s in meter.sql if "FROM articles" in s and "missing_checks >" not in s]
    assert meter.total <= 7, meter.statements


def test_a_changed_feed_reextracts_only_the_items_that_changed(
    store: Store, farm: Farm, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(store, farm)
    run_pass(settings, store)
    farm.changed = {0, 5}
    meter = Meter(store, monkeypatch)
    [result], _ = run_pass(settings, store)
    assert result.updated == 2 and result.new == 0 and not result.failed
    assert meter.parses == 1
    assert meter.extractions == 2  # the 18 items the feed repeats unchanged are not cleaned again
    assert meter.writes("articles") == 2
    events = store.events_after(0, limit=1000)
    assert [e.kind for e in events].count(Change.UPDATED) == 2
    # And a later pass that sees the same corrected feed stores nothing new.
    meter.reset()
    [again], _ = run_pass(settings, store)
    assert again.summary() == "unchanged" and meter.extractions == 0


def test_a_repeated_item_missing_once_is_stored_again_not_checked_for_removal(
    store: Store, farm: Farm
) -> None:
    settings = settings_for(store, farm)
    run_pass(settings, store)
    first = store.find_article("p", canonical_url=f"http://127.0.0.1:{farm.port}/0.html")
    assert first is not None
    # Its page answered 404 once on some earlier pass (the farm serves no article pages).
    store.record_missing(first.id)
    farm.changed = {5}  # the feed changes elsewhere; item 0 is repeated unchanged
    [result], _ = run_pass(settings, store)
    assert result.updated == 1 and result.removed == 0
    again = store.get_article(first.id)
    assert again is not None and again.status.value == "active" and again.missing_checks == 0


def _pass_work(tmp_path: Path, farm: Farm, archive: int) -> list[int]:
    """SQLite instructions of a first, an unchanged and a changed pass over source "p", whose
    `archive` older articles (the month before the feed's items) are already stored."""
    store = open_store(f"sqlite:///{tmp_path / f'archive{archive}.db'}")
    if archive:
        plant_articles(
            store, archive, datetime(2026, 3, 10, tzinfo=UTC), owners=["p"], days=(-60, -2)
        )
    settings = settings_for(store, farm)
    work = []
    for changed in (set(), set(), {0, 5}):
        farm.changed = changed
        with vm_steps(store.engine) as steps:
            [result], _ = run_pass(settings, store)
        assert not result.failed
        work.append(steps[0])
    store.close()
    return work


def test_a_pass_costs_the_same_whatever_the_source_has_stored(tmp_path: Path, farm: Farm) -> None:
    # Looking up the listing's items and the removal check's suspects are index lookups: a
    # 3000-article archive of the same source adds (almost) nothing to any pass's SQL work.
    empty, stored = _pass_work(tmp_path, farm, 0), _pass_work(tmp_path, farm, 3000)
    for name, e, s in zip(("first", "unchanged", "changed"), empty, stored, strict=True):
        assert s <= e * 1.2, f"{name} pass: {e} -> {s} (x10 instructions)"
