"""The re-check schedule as stored (store/rechecks.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from syndicate.models import Entry
from syndicate.store import open_store

WITA = timezone(timedelta(hours=8))
NOW = datetime(2026, 1, 9, 12, 0, tzinfo=UTC)


def _entry(n: int, published: datetime) -> Entry:
    url = f"http://x.test/berita/{n}/warga-gotong-royong-membersihkan-saluran-air"
    return Entry(url=url, canonical_url=url, title=f"Berita {n}", published=published)


def test_rechecks_are_listed_soonest_first_and_end_when_the_schedule_does(db_url) -> None:  # type: ignore[no-untyped-def]
    store = open_store(db_url)
    try:
        a, _ = store.upsert_entry("s", _entry(1, datetime(2026, 1, 8, 9, 30, tzinfo=WITA)))
        b, _ = store.upsert_entry("s", _entry(2, datetime(2026, 1, 9, 10, 15, tzinfo=WITA)))
        other, _ = store.upsert_entry("t", _entry(3, datetime(2026, 1, 9, 7, 0, tzinfo=WITA)))
        store.schedule_recheck(a.id, "s", due_at=NOW + timedelta(hours=3), started_at=NOW)
        store.schedule_recheck(b.id, "s", due_at=NOW + timedelta(hours=1), started_at=NOW)
        store.schedule_recheck(other.id, "t", due_at=NOW, started_at=NOW)
        rows = store.rechecks("s")
        assert [r.article_id for r in rows] == [b.id, a.id]
        assert rows[0].due_at == NOW + timedelta(hours=1) and rows[0].step == 0
        assert rows[0].canonical_url == b.canonical_url and rows[0].started_at == NOW
        store.advance_recheck(b.id, NOW + timedelta(hours=9), 1)
        assert [(r.article_id, r.step) for r in store.rechecks("s")] == [(a.id, 0), (b.id, 1)]
        store.advance_recheck(a.id, None, 7)  # schedule over
        assert [r.article_id for r in store.rechecks("s")] == [b.id]
        # A removed article is not re-checked for corrections any more.
        store.remove_article(b.id)
        assert store.rechecks("s") == []
        # The source's own "now": its newest article (the removed one no longer counts).
        assert store.newest_published("s") == datetime(2026, 1, 8, 9, 30, tzinfo=WITA)
        assert store.newest_published("nothing") is None
    finally:
        store.close()
