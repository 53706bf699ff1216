"""A removed article's FEP-044f stamps are withdrawn in the removal event's own transaction: a
crash before it commits loses no quoter's notice, and two processes answering the same event
send it once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fedutil import offline_federation, running_instance
from sqlalchemy import select

from syndicate.models import Entry
from syndicate.models.federation import RemoteActor
from syndicate.publish.activitypub.delivery import process_events
from syndicate.store.tables import ap_activities, ap_deliveries

QUOTER = "https://quoter.example/users/alice"
QUOTER_INBOX = "https://quoter.example/inbox"


def stamped_article(store):  # type: ignore[no-untyped-def]
    """An article quoted by a known remote actor, whose removal event is pending."""
    store.save_remote_actor(
        RemoteActor(QUOTER, f"{QUOTER}#main-key", "PEM", QUOTER_INBOX, None, datetime.now(UTC))
    )
    article, _ = store.upsert_entry(
        "detailnews",
        Entry(
            url="https://detailnews.id/dikutip",
            title="Dikutip",
            content_text="Teks yang dikutip lalu ditarik.",
            published=datetime.now(UTC) - timedelta(minutes=5),
        ),
    )
    stamp = store.add_quote_stamp(
        article.id, "detailnews", f"{QUOTER}/statuses/1", QUOTER, f"{QUOTER}/quote_requests/1"
    )
    return article, stamp


def revocation_notices(store, stamp_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The inboxes queued a Delete of this stamp, one entry per delivery row."""
    d, a = ap_deliveries, ap_activities
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(d.c.inbox, a.c.payload)
            .join(a, a.c.id == d.c.activity_id)
            .where(a.c.type == "Delete")
        ).all()
    return [r.inbox for r in rows if str(r.payload["object"]).endswith(f"/{stamp_id}")]


def test_a_crash_before_the_removal_commits_keeps_the_stamp_and_its_notice(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, fed = offline_federation(db_url)
    article, stamp = stamped_article(store)
    process_events(fed)
    assert store.remove_article(article.id)

    real = store.add_event_activity

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("the database went away mid-pass")

    monkeypatch.setattr(store, "add_event_activity", crash)
    with pytest.raises(ConnectionError):
        process_events(fed)
    assert [s.id for s in store.quote_stamps(article.id)] == [stamp.id]  # nothing half-done

    monkeypatch.setattr(store, "add_event_activity", real)
    process_events(fed)  # the restarted poller answers the event again
    assert revocation_notices(store, stamp.id) == [QUOTER_INBOX]
    assert store.quote_stamps(article.id) == []
    store.close()


def test_two_processes_answering_one_removal_notify_the_quoter_once(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both read the stamp before either commits (the race a poller and a one-off pass ran on
    PostgreSQL); the unique event id and the stamp's own deletion let only one notice through."""
    store, fed = offline_federation(db_url)
    article, stamp = stamped_article(store)
    process_events(fed)
    assert store.remove_article(article.id)

    both_read = threading.Barrier(2, timeout=10)
    real = store.quote_stamps

    def read_then_wait(article_id: str):  # type: ignore[no-untyped-def]
        found = real(article_id)
        both_read.wait()
        return found

    monkeypatch.setattr(store, "quote_stamps", read_then_wait)
    errors: list[BaseException] = []

    def answer() -> None:
        try:
            process_events(fed)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    twins = [threading.Thread(target=answer) for _ in range(2)]
    for t in twins:
        t.start()
    for t in twins:
        t.join(30)
    assert errors == []
    assert revocation_notices(store, stamp.id) == [QUOTER_INBOX]
    store.close()


async def test_a_stamp_fetched_before_the_removal_is_answered_still_tells_its_quoter(
    db_url: str, tmp_path: Path
) -> None:
    """The stamp's URL 410s as soon as the article is withdrawn, but reading it deletes
    nothing: the removal event withdraws it, and that is what queues the quoter's notice."""
    async with running_instance(db_url, tmp_path, deliver=False) as inst:
        article, stamp = stamped_article(inst.store)
        await inst.pump()
        assert inst.store.remove_article(article.id)
        async with httpx.AsyncClient() as client:
            url = f"{inst.actor()}/quote_authorizations/{stamp.id}"
            assert (await client.get(url)).status_code == 410
        await inst.pump()
        assert revocation_notices(inst.store, stamp.id) == [QUOTER_INBOX]
        assert inst.store.quote_stamps(article.id) == []
