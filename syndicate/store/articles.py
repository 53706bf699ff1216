"""Article storage: upsert with change detection, change events, and the queries feeds need."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union,
    union_all,
    update,
)

from syndicate.boundary import bound_entry
from syndicate.models import Article, ArticleEvent, ArticleStatus, Change, Entry, new_id, tag_slug
from syndicate.store import event_signal
from syndicate.store.event_signal import EVENTS
from syndicate.store.tables import MISSING, article_events, article_tags, articles, story_bands
from syndicate.store.versions import save_version

# Fields compared to decide that an article was corrected (a reader would notice these).
CORRECTION_FIELDS = ("title", "content_text")
EVENT_LOCK = 0x5E7E  # advisory lock key that orders article_events ids on PostgreSQL


def _offset(dt: datetime | None) -> int | None:
    if dt is None or dt.utcoffset() is None:
        return None
    return int(dt.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]


def _local(dt: datetime | None, offset: int | None) -> datetime | None:
    if dt is None:
        return None
    if offset is None:
        return dt
    from datetime import timezone

    return dt.astimezone(timezone(timedelta(minutes=offset)))


def row_to_article(row: Any) -> Article:
    m = row._mapping
    return Article(
        id=m["id"],
        source_id=m["source_id"],
        url=m["url"],
        canonical_url=m["canonical_url"],
        guid=m["guid"],
        title=m["title"],
        authors=list(m["authors"] or []),
        editor=m["editor"],
        published=_local(m["published"], m["published_offset"]),
        updated=_local(m["updated"], m["updated_offset"]),
        summary=m["summary"],
        content_html=m["content_html"],
        content_text=m["content_text"],
        image=m["image"],
        image_alt=m["image_alt"],
        tags=list(m["tags"] or []),
        categories=list(m["categories"] or []),
        language=m["language"],
        dateline=m["dateline"],
        content_hash=m["content_hash"],
        first_seen=m["first_seen"],
        last_seen=m["last_seen"],
        status=ArticleStatus(m["status"]),
        removed_at=m["removed_at"],
        story_id=m["story_id"],
        fingerprint=m["fingerprint"],
        missing_checks=m["missing_checks"],
    )


def _entry_values(entry: Entry) -> dict[str, Any]:
    return {
        "url": entry.url,
        "canonical_url": entry.canonical_url,
        "guid": entry.guid,
        "title": entry.title,
        "authors": entry.authors,
        "editor": entry.editor,
        "published": entry.published,
        "published_offset": _offset(entry.published),
        "updated": entry.updated,
        "updated_offset": _offset(entry.updated),
        "summary": entry.summary,
        "content_html": entry.content_html,
        "content_text": entry.content_text,
        "image": entry.image,
        "image_alt": entry.image_alt,
        "tags": entry.tags,
        "categories": entry.categories,
        "language": entry.language,
        "dateline": entry.dateline,
        "content_hash": entry.content_hash(),
    }


def _changed_fields(old: Article, entry: Entry) -> list[str]:
    new = {"title": entry.title, "content_text": entry.content_text or entry.summary}
    prev = {"title": old.title, "content_text": old.content_text or old.summary}
    return [f for f in CORRECTION_FIELDS if (prev[f] or "").strip() != (new[f] or "").strip()]


# Built once: a statement object made per call costs more to build and to key for the
# compiled-statement cache than the database takes to run it. Values go in as parameters.
_INSERT_ARTICLE = insert(articles).returning(*articles.c)
_UPDATE_ARTICLE = (
    update(articles).where(articles.c.id == bindparam("article_id")).returning(*articles.c)
)
_INSERT_EVENT = insert(article_events)
_INSERT_BANDS = insert(story_bands)


def _by_keys(source_id: str, guids: list[str], urls: list[str]) -> CompoundSelect | Select | None:
    """A source's articles by guid, then by canonical URL: one index lookup each, glued with
    UNION ALL. Written as `source_id = ? AND (guid IN ... OR canonical_url IN ...)` SQLite
    (without ANALYZE statistics) reads every article of the source through its
    (source_id, published) index instead: a listing's lookup cost the source's whole archive."""
    parts = []
    for rank, column, values in ((0, articles.c.guid, guids), (1, articles.c.canonical_url, urls)):
        if values:
            cond = column == values[0] if len(values) == 1 else column.in_(values)
            parts.append(
                select(*articles.c, literal(rank).label("match_rank")).where(
                    articles.c.source_id == source_id, cond
                )
            )
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return union_all(*parts).order_by(text("match_rank"))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Unknown:
    """The type of UNKNOWN: "not looked up yet" (None already means "looked up, not stored")."""


UNKNOWN = Unknown()

# An article's SimHash, or what makes it: called only when the text is new or changed.
Fingerprint = int | Callable[[], int] | None


class KeyConflict(Exception):
    """An entry's URL is another stored article's (see upsert_entries)."""

    def __init__(self, index: int, other: Article) -> None:
        super().__init__(f"entry {index}: url belongs to stored article {other.id} ({other.guid})")
        self.index = index
        self.other = other


class ArticleQueries:
    engine: Engine

    def _add_event(
        self,
        conn: Connection,
        article_id: str,
        source_id: str,
        kind: Change,
        at: datetime,
        backfill: bool = False,
        detail: dict | None = None,
    ) -> None:
        if conn.dialect.name == "postgresql":
            # Sequence values are handed out at insert but become visible at commit, so two
            # writers could commit ids 11 then 10 and a poller past 11 would never see 10.
            # One transaction-scoped lock makes event ids commit in order (SQLite already
            # serialises writers). The same round trip queues the NOTIFY that wakes followers
            # on every node at commit (syndicate.store.event_signal).
            conn.exec_driver_sql(
                f"SELECT pg_advisory_xact_lock({EVENT_LOCK}), {event_signal.notify(EVENTS)}"
            )
        event_signal.mark(conn, EVENTS)
        conn.execute(
            _INSERT_EVENT,
            {
                "article_id": article_id,
                "source_id": source_id,
                "kind": kind.value,
                "at": at,
                "backfill": backfill,
                "detail": detail or {},
            },
        )

    def find_article(
        self, source_id: str, *, guid: str | None = None, canonical_url: str | None = None
    ) -> Article | None:
        with self.engine.connect() as conn:
            return self._find(conn, source_id, guid, canonical_url)

    def find_articles(
        self, source_id: str, guids: list[str], canonical_urls: list[str]
    ) -> list[Article]:
        """A source's stored articles with any of these guids or canonical URLs, in one query
        (a listing's items are looked up together, not one by one); guid matches first."""
        q = _by_keys(source_id, sorted(set(guids)), sorted(set(canonical_urls)))
        if q is None:
            return []
        with self.engine.connect() as conn:
            return [row_to_article(r) for r in conn.execute(q)]

    def _find(
        self, conn: Connection, source_id: str, guid: str | None, canonical_url: str | None
    ) -> Article | None:
        """The article with this guid, else the one with this canonical URL."""
        q = _by_keys(source_id, [guid] if guid else [], [canonical_url] if canonical_url else [])
        if q is None:
            return None
        row = conn.execute(q.limit(1)).first()
        return row_to_article(row) if row else None

    def upsert_entry(
        self,
        source_id: str,
        entry: Entry,
        *,
        backfill: bool = False,
        now: datetime | None = None,
        fingerprint: Fingerprint = None,
        story_id: str | None = None,
        known: Article | None | Unknown = UNKNOWN,
        bands: Callable[[], list[int]] | None = None,
    ) -> tuple[Article, Change]:
        """Store one article; returns it with NEW, UPDATED (a correction) or UNCHANGED.

        Matching is by the source's own id (guid) or the canonical URL, so re-ingesting an item
        through another route or with tracking parameters never creates a second article.
        Every entry passes the input boundary here, the one place articles are written.
        `known` is the stored article (or None) the caller already looked up for this entry's
        guid and canonical URL: passed, the lookup is not made a second time. `bands` makes a
        NEW article's LSH bands, stored in the same transaction (one commit, and no moment when
        the article is stored but cannot be found as a reprint candidate).
        """
        with self.engine.begin() as conn:
            return self._upsert(
                conn, source_id, entry, backfill, now, fingerprint, story_id, known, bands
            )

    def upsert_entries(
        self,
        items: list[tuple[str, Entry, Fingerprint]],
        *,
        now: datetime | None = None,
    ) -> list[tuple[Article, Change]]:
        """Store (source id, entry, fingerprint) triples all or nothing, in one transaction.

        Stricter than upsert_entry about identity: an entry with its own guid whose canonical
        URL belongs to a stored article with another guid raises KeyConflict (a publisher
        reusing a URL must not silently rewrite another post).
        """
        out = []
        with self.engine.begin() as conn:
            for index, (source_id, entry, fp) in enumerate(items):
                entry = bound_entry(entry)
                if entry.guid:
                    by_url = self._find(conn, source_id, None, entry.canonical_url)
                    if by_url is not None and by_url.guid and by_url.guid != entry.guid:
                        raise KeyConflict(index, by_url)
                out.append(self._upsert(conn, source_id, entry, False, now, fp, None))
        return out

    def _upsert(
        self,
        conn: Connection,
        source_id: str,
        entry: Entry,
        backfill: bool,
        now: datetime | None,
        fingerprint: Fingerprint,
        story_id: str | None,
        known: Article | None | Unknown = UNKNOWN,
        bands: Callable[[], list[int]] | None = None,
    ) -> tuple[Article, Change]:
        entry = bound_entry(entry)
        now = now or datetime.now(UTC)
        old = (
            self._find(conn, source_id, entry.guid, entry.canonical_url)
            if isinstance(known, Unknown)
            else known
        )
        values = _entry_values(entry)
        if callable(fingerprint):  # made only for a new or changed text, never an unchanged one
            same = (
                old is not None
                and old.fingerprint is not None
                and (old.content_text or "").strip() == (entry.content_text or "").strip()
            )
            fingerprint = None if same else fingerprint()
        if fingerprint is not None:
            values["fingerprint"] = fingerprint
        if old is None:
            article_id = new_id()
            values.update(
                id=article_id,
                source_id=source_id,
                first_seen=now,
                last_seen=now,
                status=ArticleStatus.ACTIVE.value,
                story_id=story_id,
                missing_checks=0,
            )
            if values["published"] is None:
                values["published"] = now
            if values["updated"] is None:
                values["updated"] = values["published"]
                values["updated_offset"] = values["published_offset"]
            # Values as execute parameters, not .values(**...): one cached compiled statement
            # instead of a new cache key and ~40 bound literals built per article.
            row = conn.execute(_INSERT_ARTICLE, values).one()
            if bands is not None:  # a new text's LSH bands (story_bands), in the same commit
                published = values["published"]
                rows = [
                    {"band": b, "article_id": article_id, "published": published} for b in bands()
                ]
                if rows:
                    conn.execute(_INSERT_BANDS, rows)
            self._add_event(conn, article_id, source_id, Change.NEW, now, backfill)
            change = Change.NEW
        else:
            article_id = old.id
            changed = _changed_fields(old, entry)
            revived = old.status == ArticleStatus.REMOVED
            if not changed and not revived:
                # Same text: refresh metadata quietly (a route may give more than another did).
                quiet = {
                    k: v
                    for k, v in values.items()
                    if k not in ("published", "published_offset", "updated", "updated_offset")
                    and v not in (None, "", [])
                }
                row = conn.execute(
                    _UPDATE_ARTICLE,
                    {**quiet, "last_seen": now, "missing_checks": 0, "article_id": article_id},
                ).one()
                change = Change.UNCHANGED
            else:
                values["guid"] = values["guid"] or old.guid
                if values["published"] is None:
                    values["published"] = old.published
                    values["published_offset"] = _offset(old.published)
                # A correction must carry a newer `updated` than the last one readers saw.
                upd = entry.updated
                if upd is None or (old.updated and upd <= old.updated):
                    upd = now
                    if old.updated and old.updated.utcoffset() is not None:
                        upd = now.astimezone(old.updated.tzinfo)
                values["updated"] = upd
                values["updated_offset"] = _offset(upd)
                if changed and not revived:  # a correction: keep what readers saw before
                    save_version(conn, old, now)
                row = conn.execute(
                    update(articles)
                    .where(articles.c.id == article_id)
                    .values(
                        **values,
                        last_seen=now,
                        status=ArticleStatus.ACTIVE.value,
                        removed_at=None,
                        missing_checks=0,
                    )
                    .returning(*articles.c)
                ).one()
                detail: dict[str, Any] = {"fields": changed, "previous_title": old.title}
                if revived:
                    detail["revived"] = True
                self._add_event(conn, article_id, source_id, Change.UPDATED, now, backfill, detail)
                change = Change.UPDATED
        # The row as stored comes back from the write itself (RETURNING), not a second SELECT.
        article = row_to_article(row)
        if old is None or article.tags != old.tags:
            self._index_tags(conn, article_id, article.tags, new=old is None)
        return article, change

    def _index_tags(
        self, conn: Connection, article_id: str, tags: list[str], new: bool = False
    ) -> None:
        if not new:  # a new article has no rows to replace
            conn.execute(delete(article_tags).where(article_tags.c.article_id == article_id))
        slugs = list(dict.fromkeys(s for s in map(tag_slug, tags) if s))
        if slugs:
            conn.execute(
                insert(article_tags), [{"slug": s, "article_id": article_id} for s in slugs]
            )

    def record_missing(
        self, article_id: str, *, checks_needed: int = 2, now: datetime | None = None
    ) -> bool:
        """Count a 404/410 for an article's page; on the second in a row mark it removed.

        Returns True when this call removed the article (a tombstone event is written).
        """
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            row = conn.execute(select(articles).where(articles.c.id == article_id)).first()
            if row is None or row._mapping["status"] == ArticleStatus.REMOVED.value:
                return False
            checks = row._mapping["missing_checks"] + 1
            values: dict[str, Any] = {"missing_checks": checks}
            removed = checks >= checks_needed
            if removed:
                values.update(status=ArticleStatus.REMOVED.value, removed_at=now)
            conn.execute(update(articles).where(articles.c.id == article_id).values(**values))
            if removed:
                self._add_event(conn, article_id, row._mapping["source_id"], Change.REMOVED, now)
        return removed

    def remove_article(self, article_id: str, *, now: datetime | None = None) -> bool:
        """Mark an article removed at once (its publisher said so, or its file is gone).

        Returns True when this call removed it; an article already removed gets no second event.
        """
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            done = conn.execute(
                update(articles)
                .where(
                    articles.c.id == article_id,
                    articles.c.status == ArticleStatus.ACTIVE.value,
                )
                .values(status=ArticleStatus.REMOVED.value, removed_at=now)
                .returning(articles.c.source_id)
            ).first()
            if done is None:
                return False
            self._add_event(conn, article_id, done.source_id, Change.REMOVED, now)
        return True

    def get_article(self, article_id: str) -> Article | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(articles).where(articles.c.id == article_id)).first()
        return row_to_article(row) if row else None

    def latest_articles(
        self,
        source_ids: list[str] | None = None,
        *,
        limit: int = 50,
        offset: int = 0,
        tag: str | None = None,
        include_removed: bool = False,
    ) -> list[Article]:
        """Newest first by published time; removed articles are left out unless asked for."""
        q = select(articles)
        if source_ids is not None:
            q = q.where(articles.c.source_id.in_(source_ids))
        if not include_removed:
            q = q.where(articles.c.status == ArticleStatus.ACTIVE.value)
        if tag is not None:
            tagged = select(article_tags.c.article_id).where(article_tags.c.slug == tag_slug(tag))
            q = q.where(articles.c.id.in_(tagged))
        q = q.order_by(articles.c.published.desc(), articles.c.id.desc())
        q = q.limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [row_to_article(r) for r in conn.execute(q)]

    def tag_in_use(self, tag: str) -> bool:
        """Whether any stored article carries the tag (one index lookup)."""
        q = select(article_tags.c.article_id).where(article_tags.c.slug == tag_slug(tag)).limit(1)
        with self.engine.connect() as conn:
            return conn.execute(q).first() is not None

    def top_tags(self, source_id: str, limit: int = 10) -> list[str]:
        """A source's most used tag slugs on its active articles (its featured tags)."""
        n = func.count().label("n")
        q = (
            select(article_tags.c.slug, n)
            .join(articles, articles.c.id == article_tags.c.article_id)
            .where(
                articles.c.source_id == source_id,
                articles.c.status == ArticleStatus.ACTIVE.value,
            )
            .group_by(article_tags.c.slug)
            .order_by(n.desc(), article_tags.c.slug)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [r.slug for r in conn.execute(q)]

    def latest_story_heads(
        self, source_ids: list[str] | None = None, *, limit: int = 50, offset: int = 0
    ) -> list[Article]:
        """Like latest_articles, but a near-duplicate story appears once: its earliest-seen member."""
        a2 = articles.alias("a2")
        conds = [
            a2.c.story_id == articles.c.story_id,
            a2.c.status == ArticleStatus.ACTIVE.value,
            or_(
                a2.c.first_seen < articles.c.first_seen,
                and_(a2.c.first_seen == articles.c.first_seen, a2.c.id < articles.c.id),
            ),
        ]
        q = select(articles).where(articles.c.status == ArticleStatus.ACTIVE.value)
        if source_ids is not None:
            conds.append(a2.c.source_id.in_(source_ids))
            q = q.where(articles.c.source_id.in_(source_ids))
        earlier = select(a2.c.id).where(*conds).exists()
        q = q.where(or_(articles.c.story_id.is_(None), ~earlier))
        q = q.order_by(articles.c.published.desc(), articles.c.id.desc())
        with self.engine.connect() as conn:
            return [row_to_article(r) for r in conn.execute(q.limit(limit).offset(offset))]

    def articles_per_day(self, source_id: str, since: datetime, tz: tzinfo = UTC) -> dict[str, int]:
        """{'YYYY-MM-DD': count} of a source's articles published since a time, by local day."""
        q = select(articles.c.published).where(
            articles.c.source_id == source_id, articles.c.published >= since
        )
        out: dict[str, int] = {}
        with self.engine.connect() as conn:
            for (published,) in conn.execute(q):
                day = published.astimezone(tz).date().isoformat()
                out[day] = out.get(day, 0) + 1
        return out

    def count_articles(self, source_id: str | None = None) -> int:
        q = (
            select(func.count())
            .select_from(articles)
            .where(articles.c.status == ArticleStatus.ACTIVE.value)
        )
        if source_id:
            q = q.where(articles.c.source_id == source_id)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def story_members(self, story_id: str) -> list[Article]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(articles)
                .where(
                    and_(
                        articles.c.story_id == story_id,
                        articles.c.status == ArticleStatus.ACTIVE.value,
                    )
                )
                .order_by(articles.c.first_seen)
            )
            return [row_to_article(r) for r in rows]

    def last_event(self) -> tuple[int, datetime | None]:
        """(id, time) of the newest change event; (0, None) when nothing happened yet."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(article_events.c.id, article_events.c.at)
                .order_by(article_events.c.id.desc())
                .limit(1)
            ).first()
        return (row.id, row.at) if row else (0, None)

    def last_event_id(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(func.coalesce(func.max(article_events.c.id), 0))).scalar_one()
            )

    def events_after(self, last_id: int, limit: int = 500) -> list[ArticleEvent]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(article_events)
                .where(article_events.c.id > last_id)
                .order_by(article_events.c.id)
                .limit(limit)
            )
            return [
                ArticleEvent(
                    id=r.id,
                    article_id=r.article_id,
                    source_id=r.source_id,
                    kind=Change(r.kind),
                    at=r.at,
                    backfill=r.backfill,
                    detail=r.detail or {},
                )
                for r in rows
            ]

    # ---- ingest: near-duplicate folding and removal checks

    def set_story(self, article_ids: list[str], story_id: str) -> None:
        """Put articles into one near-duplicate story."""
        with self.engine.begin() as conn:
            conn.execute(
                update(articles).where(articles.c.id.in_(article_ids)).values(story_id=story_id)
            )

    def article_keys(
        self,
        source_id: str,
        *,
        suspects_only: bool = False,
        since: datetime | None = None,
        keys: Iterable[str] = (),
    ) -> list[tuple[str, str, str, str | None, datetime | None, int]]:
        """(id, url, canonical_url, guid, published, missing_checks) of a source's active articles.

        With `suspects_only`, only the removal check's suspects: those whose page was found
        missing at least once, those published at or after `since`, and those whose canonical
        URL or guid is in `keys`; each part an index lookup, not a read of the whole archive."""
        cols = (
            articles.c.id,
            articles.c.url,
            articles.c.canonical_url,
            articles.c.guid,
            articles.c.published,
            articles.c.missing_checks,
        )
        active = (
            articles.c.source_id == source_id,
            articles.c.status == ArticleStatus.ACTIVE.value,
        )
        q: Select | CompoundSelect = select(*cols).where(*active)
        if suspects_only:
            parts = [select(*cols).where(*active, MISSING)]
            if since is not None:
                parts.append(select(*cols).where(*active, articles.c.published >= since))
            wanted = sorted(set(keys))
            if wanted:
                parts.append(select(*cols).where(*active, articles.c.canonical_url.in_(wanted)))
                parts.append(select(*cols).where(*active, articles.c.guid.in_(wanted)))
            q = union(*parts) if len(parts) > 1 else parts[0]
        with self.engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(q)]
        # Oldest first (undated first), sorted here: an ORDER BY published makes SQLite walk
        # the source's (source_id, published) index, the whole archive, instead.
        rows.sort(key=lambda r: (r[4] is not None, r[4] or _EPOCH, r[0]))
        return rows  # type: ignore[return-value]

    def clear_missing(self, article_id: str) -> None:
        """The page answered again: a later 404 starts the count from one."""
        with self.engine.begin() as conn:
            conn.execute(
                update(articles).where(articles.c.id == article_id).values(missing_checks=0)
            )
