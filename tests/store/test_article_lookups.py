"""Per-pass article lookups cost the listing, not the source's archive: a listing's items by
guid / canonical URL, and the removal check's suspects (store/articles.py). Answers on SQLite
and PostgreSQL; the plans (an index search per key, the partial index of missing articles)
on SQLite, where the planner without statistics read the whole archive."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import pytest
from conftest import REPO
from sql_probes import query_plans, reads_of

from syndicate.models import Entry
from syndicate.store import Store, open_store

sys.path.insert(0, str(REPO))
from bench.synthetic import plant_articles  # noqa: E402

AROUND = datetime(2026, 3, 10, 9, tzinfo=UTC)


def _entry(n: int, guid: str | None = None, hours: int = 0) -> Entry:
    url = f"https://portal.example/berita/{n}"
    return Entry(
        url=url,
        canonical_url=url,
        guid=guid,
        title=f"Berita {n}",
        published=AROUND - timedelta(hours=hours),
        content_text=f"Isi berita {n}.",
    )


@pytest.fixture
def archive(db_url: str):  # type: ignore[no-untyped-def]
    """A source with an archive of 500 articles (and another source's 500)."""
    store = open_store(db_url)
    plant_articles(store, 1000, AROUND, owners=["portal", "other"], days=(-40, -10))
    yield store
    store.close()


def test_lookup_by_guid_comes_before_lookup_by_url(archive: Store) -> None:
    by_guid, _ = archive.upsert_entry("portal", _entry(1, guid="g-1"))
    by_url, _ = archive.upsert_entry("portal", _entry(2))
    archive.upsert_entry("other", _entry(3, guid="g-3"))
    # guid g-1 names one article, the URL another: the guid wins, as ever.
    found = archive.find_article("portal", guid="g-1", canonical_url=by_url.canonical_url)
    assert found is not None and found.id == by_guid.id
    assert archive.find_article("portal", canonical_url=by_url.canonical_url).id == by_url.id  # type: ignore[union-attr]
    assert archive.find_article("portal", guid="g-3") is None  # another source's
    hits = archive.find_articles("portal", ["g-1", "g-3", "nope"], [by_url.canonical_url])
    assert [a.id for a in hits] == [by_guid.id, by_url.id]
    assert archive.find_articles("portal", [], []) == []


def test_suspects_are_the_missing_the_recent_and_the_named(archive: Store) -> None:
    recent, _ = archive.upsert_entry("portal", _entry(1, hours=1))
    older, _ = archive.upsert_entry("portal", _entry(2, hours=30))
    named, _ = archive.upsert_entry("portal", _entry(3, guid="g-3", hours=60))
    missing, _ = archive.upsert_entry("portal", _entry(4, hours=90))
    gone, _ = archive.upsert_entry("portal", _entry(5, hours=2))
    archive.record_missing(missing.id)
    archive.remove_article(gone.id)
    archive.upsert_entry("other", _entry(6, hours=1))

    def ids(**kw: object) -> list[str]:
        return [k[0] for k in archive.article_keys("portal", suspects_only=True, **kw)]  # type: ignore[arg-type]

    assert ids() == [missing.id]
    since = AROUND - timedelta(hours=3)
    # Oldest first; by guid or canonical URL; each once; never a removed or another's article.
    assert ids(since=since, keys=["g-3", recent.canonical_url]) == [missing.id, named.id, recent.id]
    assert ids(keys=[older.canonical_url]) == [missing.id, older.id]
    assert len(archive.article_keys("portal")) == 500 + 4  # every active one, as before


def test_listing_lookups_are_index_searches(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = open_store(f"sqlite:///{tmp_path / 'plans.db'}")
    plant_articles(store, 1000, AROUND, owners=["portal", "other"], days=(-40, -10))
    article, _ = store.upsert_entry("portal", _entry(1, guid="g-1"))
    with query_plans(store.engine) as plans:
        store.find_articles("portal", ["g-1", "g-2"], [article.canonical_url, "https://x/"])
        store.find_article("portal", guid="g-1", canonical_url=article.canonical_url)
        store.find_article("portal", canonical_url=article.canonical_url)
    reads = reads_of(plans, "articles")
    assert reads and all(
        "(source_id=? AND guid=?)" in r or "(source_id=? AND canonical_url=?)" in r for r in reads
    ), reads
    with query_plans(store.engine) as plans:
        store.article_keys("portal", suspects_only=True)
        store.article_keys(
            "portal", suspects_only=True, since=AROUND, keys=["g-1", article.canonical_url]
        )
    reads = reads_of(plans, "articles")
    assert any("ix_articles_missing" in r for r in reads), reads
    # The date window is a range of the (source_id, published) index, never all of its rows.
    assert all("missing" in r or "published>?" in r or "=?)" in r for r in reads), reads
    store.close()
