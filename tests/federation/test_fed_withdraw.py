"""A removed article is never resurrected on the other side: copies not yet sent are cancelled,
and the Delete goes only where the post went, never ahead of a copy still in flight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fedutil import offline_federation
from sqlalchemy import select, update

from syndicate.models import Entry
from syndicate.models.delivery_states import CANCELLED, DONE, PENDING
from syndicate.publish.activitypub.delivery import process_events
from syndicate.store.tables import ap_activities, ap_deliveries

INBOXES = {
    "sent": "https://sent.example/inbox",
    "queued": "https://queued.example/inbox",
    "flying": "https://flying.example/inbox",
}


def rows(store, kind: str) -> dict[str, tuple[str, datetime]]:  # type: ignore[no-untyped-def]
    d, a = ap_deliveries, ap_activities
    with store.engine.connect() as conn:
        found = conn.execute(
            select(d.c.inbox, d.c.status, d.c.next_attempt_at)
            .join(a, a.c.id == d.c.activity_id)
            .where(a.c.type == kind)
        ).all()
    return {r.inbox: (r.status, r.next_attempt_at) for r in found}


def test_removal_cancels_unsent_copies_and_deletes_only_where_the_post_went(db_url: str) -> None:
    store, fed = offline_federation(db_url)
    for name, inbox in INBOXES.items():
        store.add_follower("detailnews", f"https://{name}.example/users/a", inbox, None, None)
    article, _ = store.upsert_entry(
        "detailnews",
        Entry(
            url="https://detailnews.id/hoax",
            title="Hoax",
            content_text="Teks yang ditarik.",
            published=datetime.now(UTC) - timedelta(minutes=5),
        ),
    )
    process_events(fed)
    assert set(rows(store, "Create")) == set(INBOXES.values())
    lease = datetime.now(UTC) + timedelta(minutes=2)
    with store.engine.begin() as conn:
        conn.execute(
            update(ap_deliveries)
            .where(ap_deliveries.c.inbox == INBOXES["sent"])
            .values(status=DONE)
        )
        conn.execute(
            update(ap_deliveries)
            .where(ap_deliveries.c.inbox == INBOXES["flying"])
            .values(lease_until=lease, lease_token="w1")
        )

    assert store.record_missing(article.id, checks_needed=1)
    process_events(fed)

    creates = rows(store, "Create")
    assert creates[INBOXES["queued"]][0] == CANCELLED  # never sent: the withdrawn text never leaves
    assert creates[INBOXES["sent"]][0] == DONE
    assert creates[INBOXES["flying"]][0] == PENDING  # a worker is sending it right now
    deletes = rows(store, "Delete")
    assert set(deletes) == {INBOXES["sent"], INBOXES["flying"]}  # the queued server never saw it
    assert all(status == PENDING for status, _ in deletes.values())
    assert deletes[INBOXES["flying"]][1] >= lease  # cannot overtake the copy in flight
    assert deletes[INBOXES["sent"]][1] < lease
    store.close()
