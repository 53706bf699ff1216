"""Helpers for ingest tests: a config for corpus sites, a pass runner that keeps its fetcher, a store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from syndicate.config import Settings, settings_from_dict
from syndicate.ingest.fetcher import Fetcher
from syndicate.ingest.runner import make_fetcher, run_sources
from syndicate.models import PassResult
from syndicate.normalize.urls import canonicalize_url
from syndicate.store import Store, open_store


def corpus_settings(db_url: str, sources: dict[str, str], **fetch: object) -> Settings:
    """kind = "auto" sources {id: base URL}; a tiny per-host delay keeps the tests fast."""
    return settings_from_dict(
        {
            "storage": {"url": db_url},
            "fetch": {"per_host_delay": 0.005, **fetch},
            "sources": [
                {"id": sid, "name": sid, "url": base + "/"} for sid, base in sources.items()
            ],
        }
    )


def run_pass(settings: Settings, store: Store, **kw: object) -> tuple[list[PassResult], Fetcher]:
    """One pass over every source with a fresh fetcher (as `syndicate fetch` does); returns its log."""

    async def go() -> tuple[list[PassResult], Fetcher]:
        fetcher = make_fetcher(settings, store)
        async with fetcher:
            results = await run_sources(settings, store, fetcher=fetcher, **kw)  # type: ignore[arg-type]
        return results, fetcher

    return asyncio.run(go())


def stored_keys(store: Store, source_id: str) -> list[str]:
    return [a.canonical_url for a in store.latest_articles([source_id], limit=1000)]


def truth_keys(truth: dict) -> set[str]:
    return {canonicalize_url(a["canonical_url"]) for a in truth["articles"]}


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = open_store(f"sqlite:///{tmp_path / 'ingest.db'}")
    yield s
    s.close()
