"""One like / announce per actor and post, one of each emoji: held by the database (migration
0010), so two nodes storing the same reaction at once cannot both succeed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from syndicate.store import open_store
from syndicate.store.database import make_engine, migrate
from syndicate.store.tables import ap_reactions

T0 = datetime(2026, 1, 5, 3, tzinfo=UTC)
ACTOR = "https://m.example/users/ana"


def _row(activity_id: str, kind: str, content: str | None = None, at: datetime = T0) -> dict:
    return {
        "activity_id": activity_id,
        "article_id": "a1",
        "kind": kind,
        "actor_id": ACTOR,
        "content": content,
        "created_at": at,
    }


def test_a_second_like_by_the_same_actor_cannot_be_stored(db_url: str) -> None:
    store = open_store(db_url)
    try:
        # What add_reaction does when its look found nothing, on two nodes at once:
        with store.engine.begin() as conn:
            conn.execute(sa.insert(ap_reactions), [_row("https://m.example/1", "like")])
        with pytest.raises(IntegrityError), store.engine.begin() as conn:
            conn.execute(sa.insert(ap_reactions), [_row("https://m.example/2", "like")])
        with store.engine.begin() as conn:  # other kinds and other emoji are other reactions
            conn.execute(
                sa.insert(ap_reactions),
                [
                    _row("https://m.example/3", "announce"),
                    _row("https://m.example/4", "emoji", "👍"),
                    _row("https://m.example/5", "emoji", "🎉"),
                ],
            )
        with pytest.raises(IntegrityError), store.engine.begin() as conn:
            conn.execute(sa.insert(ap_reactions), [_row("https://m.example/6", "emoji", "👍")])
        assert store.reaction_counts("a1") == {"like": 1, "announce": 1, "emoji": 2}
        # add_reaction answers "not stored" for a repeat, as before.
        assert not store.add_reaction("https://m.example/7", "a1", "like", ACTOR)
    finally:
        store.close()


def test_repeats_stored_before_0010_are_folded_into_the_newest(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0009")
    with engine.begin() as conn:
        conn.execute(
            sa.insert(ap_reactions),
            [
                _row("https://m.example/old", "like", at=T0),
                _row("https://m.example/new", "like", at=T0 + timedelta(minutes=5)),
                _row("https://m.example/e1", "emoji", "👍"),
                _row("https://m.example/e2", "emoji", "👍"),
                _row("https://m.example/e3", "emoji", "🎉"),
            ],
        )
    engine.dispose()
    store = open_store(db_url)  # migrates to head
    try:
        assert store.reaction_counts("a1") == {"like": 1, "emoji": 2}
        # The newest like is kept: its id is the one an Undo names.
        assert store.remove_reaction("https://m.example/new", ACTOR)
    finally:
        store.close()
