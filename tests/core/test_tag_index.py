"""The tag index (migration 0003, store/articles.py) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from syndicate.models import Entry
from syndicate.store import open_store
from syndicate.store.database import make_engine, migrate

T0 = datetime(2026, 1, 5, 3, tzinfo=UTC)


def test_articles_stored_before_0003_are_found_by_tag(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0002")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO articles (id, source_id, url, canonical_url, title, authors, summary,"
                " content_html, content_text, tags, content_hash, first_seen, last_seen, status,"
                " missing_checks, published) VALUES ('0000000000000old', 's', 'https://s.example/1',"
                " 'https://s.example/1', 'Lama', '[]', '', '', '', :tags, 'h', :t, :t, 'active',"
                " 0, :t)"
            ),
            {"tags": '["Pemkot Bitung", "pemkot bitung", "Sulut"]', "t": T0.replace(tzinfo=None)},
        )
    engine.dispose()
    store = open_store(db_url)  # migrates to head: 0003 indexes the old row's tags
    try:
        assert [a.id for a in store.latest_articles(tag="pemkotbitung")] == ["0000000000000old"]
        assert store.tag_in_use("sulut") and not store.tag_in_use("bitung")
    finally:
        store.close()


def test_tag_lookups_follow_corrections_and_removals(db_url: str) -> None:
    store = open_store(db_url)
    try:
        e = Entry(url="https://s.example/a", title="A", content_text="a", tags=["Bitung", "Sulut"])
        a, _ = store.upsert_entry("s", e, now=T0)
        b, _ = store.upsert_entry(
            "s",
            Entry(url="https://s.example/b", title="B", content_text="b", tags=["bitung"]),
            now=T0 + timedelta(hours=1),
        )
        assert [x.id for x in store.latest_articles(tag="BITUNG")] == [b.id, a.id]
        # A correction that drops a tag takes the article off that tag.
        store.upsert_entry("s", Entry(url=e.url, title="A2", content_text="a2", tags=["Sulut"]))
        assert [x.id for x in store.latest_articles(tag="bitung")] == [b.id]
        assert [x.id for x in store.latest_articles(tag="sulut")] == [a.id]
        store.remove_article(a.id)
        assert store.latest_articles(tag="sulut") == []
        assert [x.id for x in store.latest_articles(tag="bitung", offset=0, limit=1)] == [b.id]
    finally:
        store.close()
