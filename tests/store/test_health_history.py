"""A source's health history (store/source_health.py): bounded to KEEP_PASSES rows, read back
newest first by insertion (id), not by the pass's clock. Answers on SQLite and PostgreSQL; on
SQLite the plans walk the (source_id, id) index and sort nothing (they sorted all of the
source's rows, up to 2,000, on every pass)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sql_probes import query_plans, reads_of

from syndicate.models.health import HealthPass
from syndicate.store import Store, open_store
from syndicate.store import source_health as queries

NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)
# Minutes before NOW of each pass, in the order recorded: the clock stepped back after the
# third (a node's NTP correction), so insertion order and `at` order disagree.
MINUTES = [50, 40, 30, 45, 35, 20, 10, 5]


def _record(store: Store) -> None:
    for i, minutes in enumerate(MINUTES):
        store.add_health_pass(HealthPass("a", NOW - timedelta(minutes=minutes), "ok", listed=i))
        store.add_health_pass(HealthPass("b", NOW, "ok", listed=100 + i))


@pytest.fixture
def store(db_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(queries, "KEEP_PASSES", 5)
    store = open_store(db_url)
    yield store
    store.close()


def test_the_newest_passes_are_kept_and_read_in_the_order_recorded(store: Store) -> None:
    _record(store)
    listed = [p.listed for p in store.health_passes("a", NOW - timedelta(days=1))]
    assert listed == [3, 4, 5, 6, 7]  # the last five recorded, oldest first; the rest pruned
    # The window is by the pass's time; the limit keeps the newest recorded of it.
    assert [p.listed for p in store.health_passes("a", NOW - timedelta(minutes=40))] == [4, 5, 6, 7]
    assert [p.listed for p in store.health_passes("a", NOW - timedelta(days=1), 2)] == [6, 7]
    assert [p.listed for p in store.health_passes("b", NOW)] == [103, 104, 105, 106, 107]
    latest = store.latest_health()
    assert (latest["a"].listed, latest["b"].listed) == (7, 107)


def test_recording_and_reading_a_pass_sort_nothing(sqlite_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(queries, "KEEP_PASSES", 5)
    store = open_store(sqlite_url)
    try:
        _record(store)
        with query_plans(store.engine) as plans:
            store.add_health_pass(HealthPass("a", NOW, "ok"))  # prunes the oldest row
            store.health_passes("a", NOW - timedelta(days=30))  # a pass's drift window
            store.health_passes("a", NOW - timedelta(days=30), 1)  # a quiet pass's last row
        statements = [s for s, _ in plans]
        assert any(s.startswith("DELETE") for s in statements), "nothing was pruned; untested"
        assert len(plans) == 4, statements
        sorts = [(s, lines) for s, lines in plans if any("TEMP B-TREE" in x for x in lines)]
        assert not sorts, sorts
        reads = reads_of(plans, "source_health")
        assert len(reads) == 4 and all("ix_source_health_source " in r for r in reads), reads
    finally:
        store.close()
