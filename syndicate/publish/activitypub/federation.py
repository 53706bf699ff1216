"""The federation hub one process shares: our keys, an HTTP client, the remote key cache, and
the inbox (authenticate a request, then act on the activity)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import nh3

from syndicate import safejson
from syndicate.config import Settings
from syndicate.http import client_for
from syndicate.models import Article, ArticleStatus, new_id
from syndicate.models.federation import DeliveryJob, NewActivity, RemoteActor, Reply
from syndicate.publish.activitypub import vocab
from syndicate.publish.activitypub.remote import (
    KEY_TTL,
    REFETCH_AFTER,
    BlockedAddress,
    FetchError,
    KeyFetchBudget,
    PeerGuard,
    fetch_document,
    id_on_actor_host,
    object_id,
    resolve_key,
)
from syndicate.publish.activitypub.signatures import (
    CLOCK_SKEW,
    PendingSignature,
    SignatureError,
    check_request,
    generate_key,
    host_header,
)
from syndicate.store import Store

log = logging.getLogger("syndicate.federation")

MAX_INBOX_BYTES = (
    256_000  # Mastodon's own activities are a few KB; 256 KB leaves room for long posts
)
REACTIONS = {"Like": "like", "EmojiReact": "emoji", "Announce": "announce"}

# An unsigned Delete{actor} makes us GET that actor to confirm it is gone, so anyone could
# aim our GETs at a third party: one confirmation per actor per 10 minutes, a few per remote
# host and a small budget overall per minute.
GONE_CHECK_PER_ACTOR = 600.0
GONE_CHECKS_PER_HOST_MINUTE = 3
GONE_CHECKS_PER_MINUTE = 20


class FetchBudget:
    """In-memory limits on outbound confirmation GETs (per actor, per host, overall)."""

    def __init__(self) -> None:
        self.by_actor: dict[str, float] = {}
        self.recent: list[tuple[float, str]] = []  # (monotonic time, host) in the last minute

    def allow(self, actor_id: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        if len(self.by_actor) > 10_000:
            self.by_actor = {
                a: t for a, t in self.by_actor.items() if now - t < GONE_CHECK_PER_ACTOR
            }
        last = self.by_actor.get(actor_id)
        if last is not None and now - last < GONE_CHECK_PER_ACTOR:
            return False
        self.recent = [(t, h) for t, h in self.recent if now - t < 60.0]
        host = urlsplit(actor_id).netloc.lower()
        if len(self.recent) >= GONE_CHECKS_PER_MINUTE:
            return False
        if sum(1 for _, h in self.recent if h == host) >= GONE_CHECKS_PER_HOST_MINUTE:
            return False
        self.by_actor[actor_id] = now
        self.recent.append((now, host))
        return True


class HostState(Protocol):
    """What the federation needs from the running app (web.state.AppState fits)."""

    settings: Settings
    store: Store
    federation: Federation | None  # the one Federation of this process, set by federation_for
    node: str  # this process's name in leases (web.state.node_name())


@dataclass(slots=True)
class InboxResult:
    status: int
    message: str


class Unauthorized(Exception):
    pass


class KeyUnavailable(Unauthorized):
    """The signer's key could not be fetched for a reason that may pass (timeout, 5xx): 503, so
    the sender retries (as Mastodon >= 4.6 does) instead of dropping the activity on a 401."""


class Federation:
    def __init__(self, state: HostState) -> None:
        self.state = state
        self._keys: dict[str, tuple[str, str]] = {}
        self._key_lock = asyncio.Lock()
        self._client: httpx.AsyncClient | None = None
        self._key_client: httpx.AsyncClient | None = None
        self._guard: PeerGuard | None = None
        self._guard_cidrs: tuple[str, ...] = ()
        # key id -> (monotonic time, actor) of fetched keys that did not verify yet
        self._unverified: dict[str, tuple[float, RemoteActor]] = {}
        self.gone_checks = FetchBudget()
        self.key_budget = KeyFetchBudget()
        # source id -> (monotonic time, {host: Collection-Synchronization header}), FEP-8fcf
        self._sync: dict[str, tuple[float, dict[str, str]]] = {}
        self._sync_lock = asyncio.Lock()
        self.wake_event = asyncio.Event()

    # ---- shared resources -------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self.state.settings

    @property
    def store(self) -> Store:
        return self.state.store

    @property
    def urls(self) -> vocab.Urls:
        return vocab.Urls(self.settings.server.base_url)

    @property
    def guard(self) -> PeerGuard:
        cidrs = tuple(self.settings.federation.allow_private_networks)
        if self._guard is None or cidrs != self._guard_cidrs:  # follows a config reload
            self._guard = PeerGuard(cidrs)
            self._guard_cidrs = cidrs
        return self._guard

    @property
    def client(self) -> httpx.AsyncClient:
        """Deliveries: a pool the size of the sender count (syndicate.http, purpose delivery);
        connections go only to addresses the guard checked."""
        if self._client is None:
            self._client = client_for(self.settings, "delivery", guard=lambda: self.guard.net)
        return self._client

    @property
    def key_client(self) -> httpx.AsyncClient:
        """Key and actor fetches: their own small pool with short timeouts, so keyIds on slow
        hosts (chosen by unauthenticated senders) cannot hold the connections deliveries use."""
        if self._key_client is None:
            self._key_client = client_for(self.settings, "key_fetch", guard=lambda: self.guard.net)
        return self._key_client

    async def aclose(self) -> None:
        for client in (self._client, self._key_client):
            if client is not None:
                await client.aclose()
        self._client = self._key_client = None

    def wake(self) -> None:
        """Tell this process's delivery workers that new rows are queued."""
        self.wake_event.set()

    def sources(self) -> dict[str, Any]:
        return {s.id: s for s in self.settings.sources if s.enabled}

    # ---- FEP-8fcf followers synchronisation -------------------------------------------------

    def followers_on_host(self, source_id: str, host: str) -> list[str]:
        """The follower ids of a source whose actors live on `host` (host[:port])."""
        return [
            f.actor_id
            for f in self.store.followers(source_id)
            if urlsplit(f.actor_id).netloc.lower() == host.lower()
        ]

    async def followers_sync(self, job: DeliveryJob) -> dict[str, str] | None:
        """The Collection-Synchronization header for a followers-addressed delivery: the digest
        of our followers on the inbox's server, so it can notice and repair a drift. Cached per
        source for SYNC_TTL seconds (a stale digest only makes the other side re-check)."""
        followers = self.urls.collection(job.source_id, "followers")
        addressed = [*_as_list(job.payload.get("to")), *_as_list(job.payload.get("cc"))]
        if followers not in addressed:
            return None
        hit = self._sync.get(job.source_id)
        if hit is None or time.monotonic() - hit[0] > SYNC_TTL:
            # One load per source at a time: every sender of a burst missing the cache at once
            # read all followers each (16 x 2,000 rows) and stalled the event loop for ~1 s.
            async with self._sync_lock:
                hit = self._sync.get(job.source_id)
                if hit is None or time.monotonic() - hit[0] > SYNC_TTL:
                    headers = await asyncio.to_thread(self._sync_headers, job.source_id)
                    hit = self._sync[job.source_id] = (time.monotonic(), headers)
        header = hit[1].get(job.host.lower())
        return {"Collection-Synchronization": header} if header else None

    def _sync_headers(self, source_id: str) -> dict[str, str]:
        """{host: Collection-Synchronization value} for a source's followers (digest per host
        made once per load, not once per delivery)."""
        by_host: dict[str, list[str]] = {}
        for f in self.store.followers(source_id):
            by_host.setdefault(urlsplit(f.actor_id).netloc.lower(), []).append(f.actor_id)
        return {
            host: vocab.followers_sync_header(self.urls, source_id, ids)
            for host, ids in by_host.items()
        }

    # ---- our keys ---------------------------------------------------------------------------

    async def key(self, owner: str) -> tuple[str, str]:
        """(private PEM, public PEM) of a local actor; generated once and stored."""
        hit = self._keys.get(owner)
        if hit:
            return hit
        async with self._key_lock:
            hit = self._keys.get(owner) or await asyncio.to_thread(self.store.ap_key, owner)
            if hit is None:
                private, public = await asyncio.to_thread(generate_key)
                hit = await asyncio.to_thread(self.store.save_ap_key, owner, private, public)
            self._keys[owner] = hit
            return hit

    # ---- remote documents -------------------------------------------------------------------

    async def fetch(self, url: str) -> dict[str, Any]:
        """A remote ActivityPub document, fetched with a GET signed by our instance actor."""
        private, _ = await self.key(vocab.INSTANCE)
        return await fetch_document(
            self.key_client, self.guard, url, key=(private, self.urls.key_id(vocab.INSTANCE))
        )

    async def remote_actor(self, pending: PendingSignature) -> RemoteActor:
        """The actor whose key verifies `pending`: the cached key while it is fresh, else (or
        when it fails: a rotated key) the key fetched again, at most once a minute per key id.
        Only a key that loads and verifies this request is cached."""
        now = datetime.now(UTC)
        key_id = pending.key_id
        cached = await asyncio.to_thread(self.store.remote_actor_by_key, key_id)
        if cached and now - cached.fetched_at < KEY_TTL and pending.verify(cached.public_pem):
            return cached
        if cached and now - cached.fetched_at < REFETCH_AFTER:
            raise SignatureError(f"signature does not verify with {key_id}")
        # A key fetched for a request that did not verify is held in memory only: badly signed
        # requests neither fill the store nor refetch a key more than once a minute.
        clock, limit = time.monotonic(), REFETCH_AFTER.total_seconds()
        recent = self._unverified.get(key_id)
        if recent is not None and clock - recent[0] < limit:
            actor = recent[1]
        else:
            self.key_budget.spend(key_id)  # issue 12: bounded, negatively cached
            try:
                actor = await resolve_key(key_id, self.fetch, now)
            except BlockedAddress:
                raise  # our own refusal sent nothing, and a reload may allow the address
            except (FetchError, SignatureError) as exc:
                self.key_budget.failed(key_id, exc)
                raise
            if len(self._unverified) > 10_000:
                self._unverified = {
                    k: v for k, v in self._unverified.items() if clock - v[0] < limit
                }
            self._unverified[key_id] = (clock, actor)
        if not pending.verify(actor.public_pem):
            raise SignatureError(f"signature does not verify with {key_id}")
        self._unverified.pop(key_id, None)
        await asyncio.to_thread(self.store.save_remote_actor, actor)
        return actor

    # ---- inbox ------------------------------------------------------------------------------

    async def authenticate(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes | None
    ) -> RemoteActor:
        """The remote actor who signed this request, or Unauthorized (with the reason)."""
        base = self.settings.server.base_url
        scheme = urlsplit(base).scheme or "https"
        try:
            pending = check_request(
                method, path, query, headers, body, scheme=scheme, authority=host_header(base)
            )
        except SignatureError as exc:
            raise Unauthorized(str(exc)) from None
        try:
            actor = await self.remote_actor(pending)
        except SignatureError as exc:
            raise Unauthorized(str(exc)) from None
        except FetchError as exc:
            if exc.transient:
                raise KeyUnavailable(f"cannot fetch the key now: {exc}") from None
            raise Unauthorized(f"cannot check the key: {exc}") from None
        seen = await asyncio.to_thread(
            self.store.signature_seen,
            pending.replay_key,
            datetime.now(UTC),
            2 * CLOCK_SKEW + timedelta(minutes=5),
        )
        if seen:
            raise Unauthorized("replayed request")
        return actor

    async def receive(
        self,
        source_id: str | None,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
    ) -> InboxResult:
        """Handle one POST to an inbox (a source's, or the shared one with source_id None)."""
        if source_id is not None and source_id not in self.sources():
            return InboxResult(404, "no such actor")
        try:
            activity = safejson.loads(body, max_bytes=MAX_INBOX_BYTES)
        except safejson.JsonRefused:  # e.g. 100k-deep nesting: refused below, never a 500
            activity = None
        try:
            actor = await self.authenticate(method, path, query, headers, body)
        except KeyUnavailable as exc:
            log.info("inbox %s: key unavailable, asked to retry: %s", path, exc)
            return InboxResult(503, str(exc))
        except Unauthorized as exc:
            gone = await self._deleted_actor(activity, headers, body, str(exc))
            if gone is not None:
                return gone
            log.info("inbox %s: refused: %s", path, exc)
            return InboxResult(401, str(exc))
        if not isinstance(activity, dict):
            return InboxResult(400, "body is not a JSON object")
        if object_id(activity.get("actor")) != actor.actor_id:
            return InboxResult(401, "the activity's actor is not the signer")
        await asyncio.to_thread(self.store.server_is_back, urlsplit(actor.actor_id).netloc)
        return await self.handle(activity, actor)

    async def _deleted_actor(
        self, activity: Any, headers: dict[str, str], body: bytes, reason: str
    ) -> InboxResult | None:
        """A Delete of an actor whose key is gone: Mastodon sends these after the account is
        removed. We check with the actor's own server (404/410) before forgetting it; only for
        actors we know, and within self.gone_checks, since the request proves nothing."""
        if not isinstance(activity, dict) or activity.get("type") != "Delete":
            return None
        actor_id = object_id(activity.get("actor"))
        if not actor_id or object_id(activity.get("object")) != actor_id:
            return None
        if not await asyncio.to_thread(self._knows, actor_id):
            return InboxResult(202, "ignored: not an actor we know")
        if not self.gone_checks.allow(actor_id):
            log.info("inbox: Delete of %s not checked now (rate limit)", actor_id)
            return None
        try:
            await self.fetch(actor_id)
        except FetchError as exc:
            if exc.gone:
                n = await asyncio.to_thread(self.store.remove_remote_actor, actor_id)
                log.info("actor %s is gone; removed as follower of %d source(s)", actor_id, n)
                return InboxResult(202, "actor removed")
            return None
        return None

    def _knows(self, actor_id: str) -> bool:
        if self.store.remote_actor(actor_id) is not None:
            return True
        return any(self.store.follower(s.id, actor_id) for s in self.settings.sources)

    async def handle(self, activity: dict[str, Any], actor: RemoteActor) -> InboxResult:
        kind = activity.get("type")
        if kind == "Follow":
            return await self._follow(activity, actor)
        if kind == "Undo":
            return await self._undo(activity, actor)
        if kind == "Delete":
            gone = object_id(activity.get("object"))
            if gone == actor.actor_id:
                await asyncio.to_thread(self.store.remove_remote_actor, actor.actor_id)
                return InboxResult(202, "actor removed")
            if gone:
                removed = await asyncio.to_thread(self.store.remove_reply, gone, actor.actor_id)
                if removed:
                    return InboxResult(202, "reply removed")
            return InboxResult(202, "ignored")
        if kind in REACTIONS:
            return await self._react(activity, actor, REACTIONS[kind])
        if kind == "QuoteRequest":
            return await self._quote_request(activity, actor)
        if kind == "Create":
            return await self._reply(activity, actor)
        return InboxResult(202, "ignored")

    async def _follow(self, activity: dict[str, Any], actor: RemoteActor) -> InboxResult:
        target = object_id(activity.get("object")) or ""
        source_id = self.urls.source_of_actor(target)
        if source_id is None or source_id not in self.sources():
            return InboxResult(202, "ignored: not one of our actors")
        if not actor.inbox:
            return InboxResult(400, "the follower has no inbox")
        follow_id = object_id(activity)
        new = await asyncio.to_thread(
            self.store.add_follower,
            source_id,
            actor.actor_id,
            actor.inbox,
            actor.shared_inbox,
            follow_id,
        )
        # Answer every Follow, repeats too: the other side may still show "pending".
        aid = new_id()
        payload = vocab.accept(self.urls, aid, source_id, activity)
        act = NewActivity(
            id=aid, source_id=source_id, type="Accept", payload=payload, published=datetime.now(UTC)
        )
        await asyncio.to_thread(self.store.add_activity, act, [actor.inbox])
        self.wake()
        log.info("%s %s %s", actor.actor_id, "followed" if new else "re-followed", source_id)
        return InboxResult(202, "accepted")

    async def _undo(self, activity: dict[str, Any], actor: RemoteActor) -> InboxResult:
        inner = activity.get("object")
        inner_id = object_id(inner)
        inner_type = inner.get("type") if isinstance(inner, dict) else None
        if inner_type in (None, "Follow"):
            target = object_id(inner.get("object")) if isinstance(inner, dict) else None
            for source_id in self._undo_targets(target, actor, inner_id):
                if await asyncio.to_thread(self.store.remove_follower, source_id, actor.actor_id):
                    log.info("%s unfollowed %s", actor.actor_id, source_id)
                    return InboxResult(202, "unfollowed")
        if (
            inner_id
            and inner_type in (None, *REACTIONS)
            and await asyncio.to_thread(self.store.remove_reaction, inner_id, actor.actor_id)
        ):
            return InboxResult(202, "reaction removed")
        return InboxResult(202, "ignored")

    def _undo_targets(
        self, target: str | None, actor: RemoteActor, follow_id: str | None
    ) -> list[str]:
        if target:
            sid = self.urls.source_of_actor(target)
            return [sid] if sid else []
        # Undo by Follow id only: find the follow it names.
        out = []
        for sid in self.sources():
            f = self.store.follower(sid, actor.actor_id)
            if f and (follow_id is None or f.follow_id == follow_id):
                out.append(sid)
        return out

    async def _react(self, activity: dict[str, Any], actor: RemoteActor, kind: str) -> InboxResult:
        obj = object_id(activity.get("object")) or ""
        found = self.urls.article_of_object(obj)
        activity_id = object_id(activity)
        if found is None or not activity_id:
            return InboxResult(202, "ignored: not one of our posts")
        if not id_on_actor_host(activity_id, actor.actor_id):
            return InboxResult(202, "ignored: the activity id is not on the actor's host")
        article = await asyncio.to_thread(self.store.get_article, found[1])
        if article is None or article.status != ArticleStatus.ACTIVE:
            return InboxResult(202, "ignored: no such post")
        content = activity.get("content") if isinstance(activity.get("content"), str) else None
        if kind == "like" and content:
            kind = "emoji"  # Misskey sends emoji reactions as a Like with content (FEP-c0e0)
        await asyncio.to_thread(
            self.store.add_reaction, activity_id, article.id, kind, actor.actor_id, content
        )
        return InboxResult(202, "counted")

    async def _our_post(self, url: str | None) -> Article | None:
        """The active article one of our object ids (or article pages) names."""
        found = self.urls.article_of_object(url or "")
        if found is None:
            return None
        article = await asyncio.to_thread(self.store.get_article, found[1])
        if article is None or article.status != ArticleStatus.ACTIVE:
            return None
        if found[0] and found[0] != article.source_id or article.source_id not in self.sources():
            return None
        return article

    async def _quote_request(self, activity: dict[str, Any], actor: RemoteActor) -> InboxResult:
        """FEP-044f, as Mastodon sends it: `object` is our post, `instrument` the quote. The
        source's `quotes` policy is applied at once (automatic approval): Accept with a
        dereferenceable QuoteAuthorization stamp as `result`, or Reject."""
        article = await self._our_post(object_id(activity.get("object")))
        if article is None:
            return InboxResult(202, "ignored: not one of our posts")
        instrument = activity.get("instrument")
        quote_id = object_id(instrument)
        if not quote_id or not actor.inbox:
            return InboxResult(400, "a QuoteRequest needs the quoting post as `instrument`")
        author = instrument.get("attributedTo") if isinstance(instrument, dict) else None
        if urlsplit(quote_id).netloc != urlsplit(actor.actor_id).netloc or (
            author is not None and object_id(author) != actor.actor_id
        ):
            return InboxResult(403, "the quoting post is not the requester's")
        sid = article.source_id
        policy = self.sources()[sid].quotes
        allowed = policy == "anyone" or (
            policy == "followers"
            and await asyncio.to_thread(self.store.follower, sid, actor.actor_id) is not None
        )
        stamp_url = None
        if allowed:
            stamp = await asyncio.to_thread(
                self.store.add_quote_stamp,
                article.id,
                sid,
                quote_id,
                actor.actor_id,
                object_id(activity),
            )
            stamp_url = self.urls.quote_stamp(sid, stamp.id)
        aid = new_id()
        payload = vocab.answer_quote_request(self.urls, aid, sid, activity, stamp_url)
        act = NewActivity(
            id=aid,
            source_id=sid,
            type=payload["type"],
            payload=payload,
            published=datetime.now(UTC),
        )
        await asyncio.to_thread(self.store.add_activity, act, [actor.inbox])
        self.wake()
        log.info("%s quote of %s by %s", payload["type"], article.id, actor.actor_id)
        return InboxResult(202, "quote approved" if allowed else "quote refused")

    async def _reply(self, activity: dict[str, Any], actor: RemoteActor) -> InboxResult:
        """A Create{Note inReplyTo one of our posts}: stored sanitised and capped, at most
        REPLIES_PER_HOST_HOUR per remote server (429 beyond: the sender retries later)."""
        note = activity.get("object")
        if not isinstance(note, dict):
            return InboxResult(202, "ignored")
        article = await self._our_post(object_id(note.get("inReplyTo")))
        if article is None:
            return InboxResult(202, "ignored: not a reply to one of our posts")
        note_id = object_id(note)
        if not note_id or object_id(note.get("attributedTo")) != actor.actor_id:
            return InboxResult(403, "the reply is not the sender's")
        host = urlsplit(actor.actor_id).netloc.lower()
        if urlsplit(note_id).netloc.lower() != host:
            return InboxResult(403, "the reply's id is not on the sender's server")
        content = note.get("content")
        if not isinstance(content, str):
            content = ""
        html = sanitize_reply(content)
        if not html.strip():
            return InboxResult(202, "ignored: empty reply")
        if len(html) > MAX_REPLY_CHARS:
            return InboxResult(413, f"reply longer than {MAX_REPLY_CHARS} characters")
        now = datetime.now(UTC)
        recent = await asyncio.to_thread(
            self.store.replies_from_host_since, host, now - timedelta(hours=1)
        )
        if recent >= REPLIES_PER_HOST_HOUR:
            return InboxResult(429, "too many replies from your server; try again later")
        url = note.get("url")
        reply = Reply(
            object_id=note_id,
            article_id=article.id,
            activity_id=object_id(activity) or note_id,
            actor_id=actor.actor_id,
            host=host,
            url=url if isinstance(url, str) and url.startswith(("https://", "http://")) else None,
            content_html=html,
            published=_parse_time(note.get("published")),
            received_at=now,
            hidden=False,
        )
        new = await asyncio.to_thread(self.store.add_reply, reply)
        return InboxResult(202, "reply stored" if new else "reply already stored")


SYNC_TTL = 60.0


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value else []


REPLY_TAGS = {"p", "br", "a", "span", "strong", "em", "b", "i", "u", "ul", "ol", "li"}
REPLY_TAGS |= {"blockquote", "code", "pre"}
MAX_REPLY_CHARS = 5_000  # sanitised HTML; Mastodon's own limit is 500 characters of text
REPLIES_PER_HOST_HOUR = 60  # per remote server, across all our posts


def sanitize_reply(html: str) -> str:
    """Remote HTML cut down to what a reply needs: text, links (nofollow ugc), simple markup."""
    return nh3.clean(
        html[: MAX_REPLY_CHARS * 4],
        tags=REPLY_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel="nofollow noopener ugc",
    ).strip()


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def federation_for(state: HostState) -> Federation:
    """The process's Federation, created on first use and kept on the runtime."""
    if state.federation is None:
        state.federation = Federation(state)
    return state.federation
