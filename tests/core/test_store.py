"""The store on SQLite and PostgreSQL: ids minted once, corrections noticed, offsets kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from syndicate.models import ArticleStatus, Change, Entry
from syndicate.store import StorageError, open_store
from syndicate.store.tables import metadata

WITA = timezone(timedelta(hours=8))


def entry(**kw: object) -> Entry:
    base = dict(
        url="https://detailnews.id/2026/01/05/apel/",
        title="Apel Kerja Perdana 2026",
        authors=["ical"],
        published=datetime(2026, 1, 5, 11, 42, 18, tzinfo=WITA),
        content_text="Pemkot Bitung menggelar apel.",
        content_html="<p>Pemkot Bitung menggelar apel.</p>",
        tags=["Pemkot Bitung", "ASN"],
        guid="2481",
    )
    base.update(kw)
    return Entry(**base)  # type: ignore[arg-type]


def test_migrations_produce_exactly_the_declared_schema(db_url: str) -> None:
    store = open_store(db_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    store.migrate()  # running again is a no-op
    store.close()


def test_reingesting_keeps_one_article_and_its_id(db_url: str) -> None:
    store = open_store(db_url)
    first, change = store.upsert_entry("detailnews", entry())
    assert change is Change.NEW
    again, change = store.upsert_entry("detailnews", entry())
    assert change is Change.UNCHANGED and again.id == first.id
    # The same article reached through another URL form is matched by its guid.
    other, change = store.upsert_entry("detailnews", entry(url="https://detailnews.id/?p=2481"))
    assert other.id == first.id and change is Change.UNCHANGED
    assert store.count_articles("detailnews") == 1
    store.close()


def test_published_keeps_the_newsroom_offset(db_url: str) -> None:
    store = open_store(db_url)
    article, _ = store.upsert_entry("detailnews", entry())
    stored = store.get_article(article.id)
    assert stored is not None
    assert stored.published.isoformat() == "2026-01-05T11:42:18+08:00"
    assert stored.updated == stored.published
    assert stored.authors == ["ical"] and stored.tags == ["Pemkot Bitung", "ASN"]
    store.close()


def test_a_correction_sets_updated_and_records_the_change(db_url: str) -> None:
    store = open_store(db_url)
    first, _ = store.upsert_entry("detailnews", entry())
    fixed, change = store.upsert_entry(
        "detailnews",
        entry(title="Apel Kerja Perdana 2026 (ralat)", content_text="Teks yang diperbaiki."),
    )
    assert change is Change.UPDATED
    assert fixed.id == first.id
    assert fixed.updated > first.updated
    assert fixed.published == first.published
    events = store.events_after(0)
    assert [e.kind for e in events] == [Change.NEW, Change.UPDATED]
    assert set(events[1].detail["fields"]) == {"title", "content_text"}
    assert events[1].detail["previous_title"] == "Apel Kerja Perdana 2026"
    store.close()


def test_two_missing_checks_remove_the_article(db_url: str) -> None:
    store = open_store(db_url)
    article, _ = store.upsert_entry("detailnews", entry())
    assert store.record_missing(article.id) is False  # one 404 may be a hiccup
    assert store.latest_articles(["detailnews"])
    assert store.record_missing(article.id) is True
    assert store.latest_articles(["detailnews"]) == []
    gone = store.get_article(article.id)
    assert gone is not None and gone.status is ArticleStatus.REMOVED
    assert store.events_after(0)[-1].kind is Change.REMOVED
    assert store.record_missing(article.id) is False  # already a tombstone: no second event
    assert len(store.events_after(0)) == 2
    store.close()


def test_a_page_that_answers_again_resets_the_missing_count(db_url: str) -> None:
    store = open_store(db_url)
    article, _ = store.upsert_entry("detailnews", entry())
    store.record_missing(article.id)
    store.upsert_entry("detailnews", entry())
    assert store.record_missing(article.id) is False
    store.close()


def test_latest_articles_order_limit_and_tag(db_url: str) -> None:
    store = open_store(db_url)
    for day in range(1, 6):
        store.upsert_entry(
            "s",
            entry(
                url=f"https://e.example/{day}",
                guid=str(day),
                title=f"Day {day}",
                published=datetime(2026, 1, day, 9, tzinfo=WITA),
                tags=["Bitung"] if day % 2 else ["Manado"],
            ),
        )
    titles = [a.title for a in store.latest_articles(["s"], limit=3)]
    assert titles == ["Day 5", "Day 4", "Day 3"]
    assert [a.title for a in store.latest_articles(["s"], limit=2, offset=3)] == ["Day 2", "Day 1"]
    assert [a.title for a in store.latest_articles(None, tag="bitung")] == [
        "Day 5",
        "Day 3",
        "Day 1",
    ]
    store.close()


def test_source_state_and_http_validators_round_trip(db_url: str) -> None:
    store = open_store(db_url)
    state = store.source_state("s")
    assert state.consecutive_failures == 0 and state.cursor == {}
    state.consecutive_failures = 3
    state.backoff_until = datetime(2026, 1, 5, 12, tzinfo=UTC)
    state.cursor = {"after": "2026-01-05T00:00:00"}
    store.save_source_state(state)
    again = store.source_state("s")
    assert (
        again.consecutive_failures == 3
        and again.backoff_until == state.backoff_until
        and again.cursor == state.cursor
    )
    store.save_http_validators("https://e.example/feed", '"abc"', "Mon, 05 Jan 2026 03:42:18 GMT")
    assert store.http_validators("https://e.example/feed") == (
        '"abc"',
        "Mon, 05 Jan 2026 03:42:18 GMT",
    )
    store.close()


def test_naive_datetimes_are_refused(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    with pytest.raises(Exception, match="naive"):
        store.upsert_entry("s", entry(published=datetime(2026, 1, 5, 11, 42)))
    store.close()


def test_unreachable_database_is_a_readable_error() -> None:
    with pytest.raises(StorageError, match="cannot open storage postgresql://nobody@127.0.0.1:1/x"):
        open_store("postgresql://nobody@127.0.0.1:1/x")
