"""A folder source notices a deleted post on the next pass, and revives one that comes back."""

from __future__ import annotations

from pathlib import Path

from ingest_util import run_pass, store  # noqa: F401

from syndicate.config import settings_from_dict
from syndicate.models import Change

POST = """---
title: {title}
published: 2026-01-0{day}T11:42:18+08:00
---
Posyandu lansia dibuka di Kelurahan Matani. Warga antusias datang sejak pagi hari.
"""


def test_a_deleted_file_is_removed_once_and_revived_when_it_returns(tmp_path: Path, store) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    posts = tmp_path / "posts"
    posts.mkdir()
    for day in (1, 2):
        (posts / f"post-{day}.md").write_text(POST.format(title=f"Berita {day}", day=day))
    settings = settings_from_dict(
        {
            "storage": {"url": store.url},
            "sources": [{"id": "local", "name": "Local", "url": str(posts), "kind": "folder"}],
        }
    )
    [first], _ = run_pass(settings, store)
    assert first.new == 2
    gone = posts / "post-2.md"
    text = gone.read_text()
    gone.unlink()
    mark = store.last_event_id()
    [second], _ = run_pass(settings, store)
    assert second.removed == 1 and second.summary() == "1 removed"
    [third], _ = run_pass(settings, store)
    assert third.removed == 0
    events = store.events_after(mark)
    assert [e.kind for e in events] == [Change.REMOVED]
    assert store.get_article(events[0].article_id).status.value == "removed"
    assert [a.title for a in store.latest_articles(["local"])] == ["Berita 1"]

    gone.write_text(text)
    mark = store.last_event_id()
    [back], _ = run_pass(settings, store)
    assert back.updated == 1
    [revived] = store.events_after(mark)
    assert revived.kind is Change.UPDATED and revived.detail.get("revived")
