"""SIGHUP with new [fetch] settings: the scheduler's passes use a new HTTP client from then on."""

from __future__ import annotations

import asyncio
from pathlib import Path

from syndicate.config import settings_from_dict
from syndicate.scheduler import IngestScheduler
from syndicate.store import open_store


async def test_reload_with_new_fetch_settings_rebuilds_the_fetcher(tmp_path: Path) -> None:
    s = settings_from_dict(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 's.db'}"},
            "sources": [
                {"id": "down", "name": "Down", "url": "http://127.0.0.1:9/", "kind": "feed"}
            ],
        }
    )
    store = open_store(s.storage.url)
    sched = IngestScheduler(s, store)
    sched.start()
    try:
        first = sched.fetcher
        assert first is not None and first.options.max_redirects == 5
        sched.reload(s)  # nothing changed: the same client
        assert sched.fetcher is first
        changed = s.model_copy(update={"fetch": s.fetch.model_copy(update={"max_redirects": 2})})
        sched.reload(changed)
        assert sched.fetcher is not first and sched.fetcher.options.max_redirects == 2
        await asyncio.sleep(0.1)
        assert first.client.is_closed  # no pass was running on it
    finally:
        await sched.shutdown()
        store.close()
