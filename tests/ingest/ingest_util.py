"""Helpers for ingest tests: a config for corpus sites, a pass runner that keeps its fetcher, a store."""

from __future__ import annotations

import asyncio
import json
import shutil
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


CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def corpus_copy(tmp_path: Path, site: str) -> Path:
    """A private copy of serve.py and one corpus site, to edit before serving it."""
    root = tmp_path / "corpus"
    (root / "sites").mkdir(parents=True)
    shutil.copy(CORPUS / "serve.py", root / "serve.py")
    shutil.copytree(CORPUS / "sites" / site, root / "sites" / site)
    return root


def edit_routes(root: Path, site: str, state: str = "t0", **changes: object) -> None:
    """Change a copied site's routes.json (state "t0" = the base): `routes` entries are merged,
    other keys (query_rules) replaced."""
    folder = root / "sites" / site / ("" if state == "t0" else f"states/{state}")
    path = folder / "routes.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"routes": {}}
    for key, value in changes.items():
        if key == "routes":
            data.setdefault("routes", {}).update(value)  # type: ignore[call-overload]
        else:
            data[key] = value
    path.write_text(json.dumps(data), encoding="utf-8")
