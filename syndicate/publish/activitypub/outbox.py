"""From article change events to activities: Create for new articles, Update for corrections,
Delete for removals. Backfilled articles are listed in the outbox but never sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from syndicate.config import Settings
from syndicate.models import Article, ArticleEvent, ArticleStatus, Change, new_id
from syndicate.models.federation import NewActivity, QuoteStamp, RemoteActor, Revocation
from syndicate.publish.activitypub import vocab
from syndicate.publish.feeds import article_link


def render_object(
    settings: Settings,
    article: Article,
    *,
    force_updated: datetime | None = None,
    counts: vocab.PostCounts | None = None,
    corrections: list[str] | None = None,
) -> dict:
    """The Note/Article JSON of an article, as its source is configured."""
    urls = vocab.Urls(settings.server.base_url)
    try:
        src = settings.source(article.source_id)
        object_type, language = src.object_type, article.language or settings.language(src)
        full = settings.content(src) == "full"
        quotes = src.quotes
    except KeyError:
        object_type, language, full = "Note", article.language or settings.defaults.language, True
        quotes = "anyone"
    return vocab.post_object(
        urls,
        article,
        original=article_link(article, settings.server.base_url),
        language=language,
        object_type=object_type,
        full_content=full,
        force_updated=force_updated,
        quotes=quotes,
        counts=counts,
        corrections=tuple(corrections or ()),
    )


def activity_for_event(
    settings: Settings,
    event: ArticleEvent,
    article: Article | None,
    now: datetime | None = None,
    corrections: list[str] | None = None,
) -> tuple[NewActivity | None, dict[str, Any] | None]:
    """(activity to store and send, refreshed object for the article's Create) for one event.

    `corrections` (publish.corrections) are shown in the Update's text, so followers see what
    changed, not just a silently different post.

    None when there is nothing to say: an unknown source, a missing article, or an update that
    arrives for an article that is gone again."""
    now = now or datetime.now(UTC)
    if article is None or not any(s.id == event.source_id and s.enabled for s in settings.sources):
        return None, None
    urls = vocab.Urls(settings.server.base_url)
    aid = new_id()

    def activity(
        type: str, payload: dict[str, Any], published: datetime, delivered: bool = True
    ) -> NewActivity:
        return NewActivity(
            id=aid,
            source_id=article.source_id,
            type=type,
            payload=payload,
            published=published,
            article_id=article.id,
            event_id=event.id,
            delivered=delivered,
        )

    if event.kind == Change.NEW:
        if article.status == ArticleStatus.REMOVED:
            return None, None
        obj = render_object(settings, article)
        payload = vocab.create(urls, aid, obj)
        published = article.published or article.first_seen or now
        # Backfill: listed in the outbox, never pushed as a (backdated) new post.
        return activity("Create", payload, published, delivered=not event.backfill), None
    if event.kind == Change.UPDATED:
        if article.status == ArticleStatus.REMOVED:
            return None, None
        # Mastodon applies an Update only with an `updated` newer than what it has.
        stamp = (
            article.updated
            if article.updated and article.published and article.updated > article.published
            else event.at
        )
        obj = render_object(settings, article, force_updated=stamp, corrections=corrections)
        payload = vocab.update(urls, aid, obj)
        return activity("Update", payload, event.at, delivered=not event.backfill), obj
    if event.kind == Change.REMOVED:
        tomb = vocab.tombstone(urls, article.source_id, article.id, article.removed_at or event.at)
        payload = vocab.delete(urls, aid, article.source_id, tomb)
        return activity("Delete", payload, event.at), None
    return None, None


class StampStore(Protocol):
    def quote_stamps(self, article_id: str) -> list[QuoteStamp]: ...

    def remote_actor(self, actor_id: str) -> RemoteActor | None: ...


def quote_revocations(
    store: StampStore, settings: Settings, article_id: str, now: datetime | None = None
) -> list[Revocation]:
    """A removed article's FEP-044f stamps, each with the Delete of it for its quoter (Mastodon
    then drops the quote). The store withdraws them in the removal event's transaction, so a
    crash or a twin process neither loses nor repeats a notice."""
    urls = vocab.Urls(settings.server.base_url)
    now = now or datetime.now(UTC)
    revocations = []
    for stamp in store.quote_stamps(article_id):
        quoter = store.remote_actor(stamp.actor_id)
        inbox = quoter and (quoter.shared_inbox or quoter.inbox)
        if not inbox:  # its key expired from our cache: the stamp URL 410s all the same
            revocations.append(Revocation(stamp.id))
            continue
        aid = new_id()
        payload = vocab.revoke_quote(urls, aid, stamp.source_id, stamp.id, stamp.actor_id)
        notice = NewActivity(
            id=aid, source_id=stamp.source_id, type="Delete", payload=payload, published=now
        )
        revocations.append(Revocation(stamp.id, notice, inbox))
    return revocations
