"""Reprints are folded into one story however many articles are stored: candidates come from
the LSH band index, not from the oldest 200 articles of the week (which at 100k stored articles
silently found none)."""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta

import pytest
from conftest import REPO

from syndicate.ingest.runner import store_entry
from syndicate.store import open_store

sys.path.insert(0, str(REPO))
from bench.synthetic import entry, plant_articles, reprint, story_text  # noqa: E402

PLANTED = 30


@pytest.mark.parametrize("stored", [100_000])
def test_reprints_found_among_many_stored_articles(tmp_path, stored: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    store = open_store(f"sqlite:///{tmp_path / 'big.db'}")
    around = datetime(2026, 3, 10, 9, tzinfo=UTC)
    plant_articles(store, stored, around)
    originals, reprints, others = [], [], []
    for i in range(PLANTED):
        text = story_text(rng)
        when = around + timedelta(hours=i)
        store_entry(store, "portal-a", entry(f"https://a.example/{i}", f"Rilis {i}", text, when))
        originals.append(f"https://a.example/{i}")
        store_entry(
            store,
            "portal-b",
            entry(f"https://b.example/{i}", f"Judul lain {i}", reprint(text, rng), when),
        )
        reprints.append(f"https://b.example/{i}")
        # A different story the same hour on the reprinting portal: never folded.
        store_entry(
            store,
            "portal-b",
            entry(f"https://b.example/x{i}", f"Lain {i}", story_text(rng), when),
        )
        others.append(f"https://b.example/x{i}")
    by_url = {a.url: a for a in store.latest_articles(["portal-a", "portal-b"], limit=1000)}
    folded = [
        o
        for o, r in zip(originals, reprints, strict=True)
        if by_url[r].story_id and by_url[r].story_id == by_url[o].story_id
    ]
    assert len(folded) == PLANTED, f"recall {len(folded)}/{PLANTED} among {stored} stored"
    assert not any(by_url[u].story_id for u in others), "an unrelated story was folded"
    store.close()
