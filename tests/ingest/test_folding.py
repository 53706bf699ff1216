"""Near-duplicate folding on the ingest path: a text is shingled and hashed once, only when it is
new or changed; a reprint still joins its story (on SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from conftest import REPO

from syndicate.ingest.runner import store_entries, store_entry
from syndicate.models import Change
from syndicate.normalize import dedupe
from syndicate.store import Store, open_store

sys.path.insert(0, str(REPO))
from bench.synthetic import entry, reprint, story_text  # noqa: E402

WHEN = datetime(2026, 3, 10, 9, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = open_store(db_url)
    yield s
    s.close()


@pytest.fixture
def signed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts dedupe.signature was asked for."""
    calls: list[str] = []
    real = dedupe.signature

    def spy(text: str) -> tuple[int, list[int]]:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(dedupe, "signature", spy)
    return calls


def _fingerprint(store: Store, url: str) -> int | None:
    [art] = [a for a in store.latest_articles(["a", "b"], limit=100) if a.url == url]
    return art.fingerprint


def test_an_unchanged_item_is_not_fingerprinted_again(store: Store, signed: list[str]) -> None:
    text = story_text(random.Random(1))
    item = entry("https://a.example/1", "Rilis", text, WHEN)
    assert store_entry(store, "a", item) is Change.NEW
    assert len(signed) == 1
    assert _fingerprint(store, item.url) == dedupe.fingerprint(text)
    # The same item again (every later pass of a listing repeats it): no shingling, no hashing.
    assert store_entry(store, "a", item) is Change.UNCHANGED
    assert len(signed) == 1
    assert _fingerprint(store, item.url) == dedupe.fingerprint(text)
    # A correction changes the text: its fingerprint is made again and stored.
    corrected = text + "\n\nRalat: angka diperbaiki menjadi dua puluh."
    fixed = entry(item.url, "Rilis", corrected, WHEN)
    assert store_entry(store, "a", fixed) is Change.UPDATED
    assert signed[-1] == corrected and len(signed) == 2
    assert _fingerprint(store, item.url) == dedupe.fingerprint(corrected)


def test_a_reprint_is_folded_with_one_signature_per_text(store: Store, signed: list[str]) -> None:
    rng = random.Random(2)
    text = story_text(rng)
    store_entry(store, "a", entry("https://a.example/1", "Rilis", text, WHEN))
    store_entry(store, "b", entry("https://b.example/1", "Judul", reprint(text, rng), WHEN))
    store_entry(store, "b", entry("https://b.example/2", "Lain", story_text(rng), WHEN))
    assert len(signed) == 3
    by_url = {a.url: a for a in store.latest_articles(["a", "b"], limit=100)}
    original, copy, other = (
        by_url["https://a.example/1"],
        by_url["https://b.example/1"],
        by_url["https://b.example/2"],
    )
    assert copy.story_id and copy.story_id == original.story_id
    assert other.story_id is None


def test_a_batch_fingerprints_only_its_new_texts(store: Store, signed: list[str]) -> None:
    rng = random.Random(3)
    first = entry("https://a.example/1", "Satu", story_text(rng), WHEN)
    second = entry("https://a.example/2", "Dua", story_text(rng), WHEN)
    store_entries(store, [("a", first)])
    assert len(signed) == 1
    stored = store_entries(store, [("a", first), ("a", second)])
    assert [c for _, c in stored] == [Change.UNCHANGED, Change.NEW]
    assert signed[-1] == second.content_text and len(signed) == 2


def test_a_new_article_and_its_bands_are_one_commit(store: Store) -> None:
    from sqlalchemy import event, text

    commits: list[int] = []
    event.listen(store.engine, "commit", lambda conn: commits.append(1))
    body = story_text(random.Random(4))
    assert store_entry(store, "a", entry("https://a.example/9", "Baru", body, WHEN)) is Change.NEW
    assert len(commits) == 1  # the article, its event and its LSH bands together
    with store.engine.connect() as conn:
        [(stored,)] = conn.execute(text("SELECT count(*) FROM story_bands")).all()
    assert stored == len(dedupe.bands(body)) == dedupe.BANDS
