"""ActivityStreams JSON for our actors, posts, activities and collections. Pure functions.

Written to what Mastodon, Misskey, GoToSocial and Pleroma parse (see FEDERATION.md):
a Note shows its `content` in full on Mastodon, so that is the default; `url`s point at pages on
our own host (Mastodon drops, Misskey rejects, off-host urls); never a `summary` on a Note (it
would become a content warning); hashtags are Hashtag objects; `published` is the article's time.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

from syndicate.models import Article, tag_slug

AS = "https://www.w3.org/ns/activitystreams"
SECURITY = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_MEDIA = "application/activity+json"
LD_MEDIA = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
INSTANCE = "~instance"  # key owner name of the instance actor (cannot be a source id)
LEAD_LIMIT = 500  # characters of lead text in a Note
PAGE_SIZE = 20
CORRECTIONS_IN_NOTE = 3

ACTOR_CONTEXT: list[Any] = [
    AS,
    SECURITY,
    {
        "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "attributionDomains": {"@id": "toot:attributionDomains", "@type": "@id"},
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "webfinger": "https://purl.archive.org/socialweb/webfinger#webfinger",
        "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
        "implements": {"@id": "https://w3id.org/fep/844e/implements", "@type": "@id"},
        "gts": "https://gotosocial.org/ns#",
        "interactionPolicy": {"@id": "gts:interactionPolicy", "@type": "@id"},
        "automaticApproval": {"@id": "gts:automaticApproval", "@type": "@id"},
        "canFeature": {"@id": "http://joinmastodon.org/ns#canFeature", "@type": "@id"},
    },
]
# FEP-844e: what the application actor tells other servers it speaks.
IMPLEMENTS = [
    {
        "name": "RFC-9421: HTTP Message Signatures",
        "href": "https://datatracker.ietf.org/doc/html/rfc9421",
    },
    {"name": "FEP-044f: Consent-respecting quote posts", "href": "https://w3id.org/fep/044f"},
    {"name": "FEP-8fcf: Followers collection synchronization", "href": "https://w3id.org/fep/8fcf"},
]
# GoToSocial's interaction policies (which Mastodon >= 4.5 reads for quotes) and FEP-044f terms.
INTERACTION_TERMS: dict[str, Any] = {
    "gts": "https://gotosocial.org/ns#",
    "interactionPolicy": {"@id": "gts:interactionPolicy", "@type": "@id"},
    "canQuote": {"@id": "gts:canQuote", "@type": "@id"},
    "automaticApproval": {"@id": "gts:automaticApproval", "@type": "@id"},
    "manualApproval": {"@id": "gts:manualApproval", "@type": "@id"},
    "interactingObject": {"@id": "gts:interactingObject", "@type": "@id"},
    "interactionTarget": {"@id": "gts:interactionTarget", "@type": "@id"},
    "QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest",
    "QuoteAuthorization": "https://w3id.org/fep/044f#QuoteAuthorization",
    "quote": {"@id": "https://w3id.org/fep/044f#quote", "@type": "@id"},
    "quoteAuthorization": {"@id": "https://w3id.org/fep/044f#quoteAuthorization", "@type": "@id"},
}
OBJECT_CONTEXT: list[Any] = [
    AS,
    {
        "Hashtag": "as:Hashtag",
        "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#",
        "blurhash": "toot:blurhash",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
        **INTERACTION_TERMS,
    },
]
QUOTE_POLICIES = ("anyone", "followers", "nobody")


@dataclass(frozen=True, slots=True)
class Urls:
    """Our URL layout, from the public base URL."""

    base: str

    @property
    def host(self) -> str:
        return urlsplit(self.base).netloc

    @property
    def instance_actor(self) -> str:
        return f"{self.base}/actor"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    def actor(self, source_id: str) -> str:
        return f"{self.base}/users/{source_id}"

    def key_id(self, source_id: str) -> str:
        if source_id == INSTANCE:
            return f"{self.instance_actor}#main-key"
        return f"{self.actor(source_id)}#main-key"

    def collection(self, source_id: str, name: str) -> str:
        return f"{self.actor(source_id)}/{name}"

    def object(self, source_id: str, article_id: str) -> str:
        return f"{self.actor(source_id)}/statuses/{article_id}"

    def object_collection(self, source_id: str, article_id: str, name: str) -> str:
        """replies / likes / shares of one post."""
        return f"{self.object(source_id, article_id)}/{name}"

    def quote_stamp(self, source_id: str, stamp_id: str) -> str:
        return f"{self.actor(source_id)}/quote_authorizations/{stamp_id}"

    def activity(self, activity_id: str) -> str:
        return f"{self.base}/activities/{activity_id}"

    def profile_page(self, source_id: str) -> str:
        return f"{self.base}/sources/{source_id}"

    def article_page(self, article_id: str) -> str:
        return f"{self.base}/articles/{article_id}"

    def tag_page(self, tag: str) -> str:
        return f"{self.base}/tags/{quote(tag_slug(tag))}"

    def icon(self, source_id: str) -> str:
        return f"{self.actor(source_id)}/icon.png"

    def acct(self, source_id: str) -> str:
        return f"{source_id}@{self.host}"

    def source_of_actor(self, url: str) -> str | None:
        """The source id an actor URL (or key id) of ours names, if any."""
        prefix = f"{self.base}/users/"
        if not url.startswith(prefix):
            return None
        rest = url[len(prefix) :].split("#", 1)[0]
        return rest if rest and "/" not in rest else None

    def article_of_object(self, url: str) -> tuple[str, str] | None:
        """(source id, article id) for one of our object URLs (or article pages)."""
        prefix = f"{self.base}/users/"
        if url.startswith(prefix):
            parts = url[len(prefix) :].split("/")
            if len(parts) == 3 and parts[1] == "statuses":
                return parts[0], parts[2]
        if url.startswith(f"{self.base}/articles/"):
            return "", url.rsplit("/", 1)[1]
        return None


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _site_domain(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.removeprefix("www.")


# ---- actors -------------------------------------------------------------------------------


def source_actor(
    urls: Urls,
    *,
    source_id: str,
    name: str,
    description: str,
    site_url: str,
    public_key_pem: str,
    published: datetime,
    other_urls: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The Service actor of one news source (a bot badge on Mastodon).

    `attributionDomains` lists the source's domain(s) (`site_url` and `other_urls`, e.g. its
    feed) and our own host: Mastodon honours `fediverse:creator` on a page only when the page's
    host is listed, and our /articles/{id} pages carry it."""
    actor = urls.actor(source_id)
    domain = _site_domain(site_url)
    summary = f"<p>{escape(description)}</p>" if description else ""
    if domain:
        summary += (
            f'<p>Berita dari <a href="{escape(site_url)}" rel="nofollow noopener" '
            f'target="_blank">{escape(domain)}</a>, dibagikan otomatis.</p>'
        )
    doc: dict[str, Any] = {
        "@context": ACTOR_CONTEXT,
        "id": actor,
        "type": "Service",
        "preferredUsername": source_id,
        "name": name,
        "summary": summary,
        "url": urls.profile_page(source_id),
        "icon": {"type": "Image", "mediaType": "image/png", "url": urls.icon(source_id)},
        "inbox": f"{actor}/inbox",
        "outbox": urls.collection(source_id, "outbox"),
        "followers": urls.collection(source_id, "followers"),
        "following": urls.collection(source_id, "following"),
        "featured": urls.collection(source_id, "featured"),
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "publicKey": {"id": urls.key_id(source_id), "owner": actor, "publicKeyPem": public_key_pem},
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "indexable": True,
        "published": iso(published),
        "webfinger": urls.acct(source_id),
        "featuredTags": urls.collection(source_id, "collections/tags"),
        # Mastodon 4.6 collections: anyone may feature this account without asking.
        "interactionPolicy": {"canFeature": {"automaticApproval": [PUBLIC]}},
        "attachment": [],
    }
    domains = [d for d in (domain, *map(_site_domain, other_urls)) if d]
    domains.append(urlsplit(urls.base).hostname or urls.host)
    doc["attributionDomains"] = list(dict.fromkeys(domains))
    if domain:
        doc["attachment"].append(
            {
                "type": "PropertyValue",
                "name": "Situs",
                "value": f'<a href="{escape(site_url)}" rel="me nofollow noopener" '
                f'target="_blank">{escape(domain)}</a>',
            }
        )
    return doc


def instance_actor(urls: Urls, public_key_pem: str, published: datetime) -> dict[str, Any]:
    """The server's own Application actor (FEP-2677): signs our outbound GETs; fetchable unsigned."""
    actor = urls.instance_actor
    return {
        "@context": ACTOR_CONTEXT,
        "id": actor,
        "type": "Application",
        "preferredUsername": urls.host.split(":")[0],
        "name": "syndicate",
        "summary": "<p>The server actor of this syndicate instance. It follows no one.</p>",
        "url": f"{urls.base}/",
        "inbox": f"{actor}/inbox",
        "outbox": f"{actor}/outbox",
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "publicKey": {"id": urls.key_id(INSTANCE), "owner": actor, "publicKeyPem": public_key_pem},
        "manuallyApprovesFollowers": True,
        "discoverable": False,
        "indexable": False,
        "published": iso(published),
        "implements": IMPLEMENTS,
    }


# ---- posts --------------------------------------------------------------------------------


def _lead_paragraphs(article: Article) -> list[str]:
    text = article.summary.strip() or article.content_text.strip()
    out: list[str] = []
    used = 0
    for para in (p.strip() for p in text.split("\n\n")):
        if not para or para == article.title.strip():
            continue
        if used + len(para) > LEAD_LIMIT:
            if not out:  # one long paragraph: cut it at a word
                cut = para[:LEAD_LIMIT].rsplit(" ", 1)[0].rstrip(",;:") + "…"
                out.append(cut)
            break
        out.append(para)
        used += len(para)
    return out


def _display_link(url: str) -> str:
    parts = urlsplit(url)
    shown = (parts.netloc.removeprefix("www.") + parts.path).rstrip("/")
    return shown if len(shown) <= 45 else shown[:44] + "…"


def hashtags(urls: Urls, tags: list[str]) -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for tag in tags:
        slug = tag_slug(tag)
        if slug and slug not in seen:
            seen[slug] = {"type": "Hashtag", "name": f"#{slug}", "href": urls.tag_page(slug)}
    return list(seen.values())


def note_content(
    urls: Urls, article: Article, original: str, corrections: tuple[str, ...] = ()
) -> str:
    """Headline in bold, the lead, the correction line if any, a link to the original article,
    hashtags: HTML inside Mastodon's sanitiser allowlist (p, strong, em, a, span)."""
    parts = [f"<p><strong>{escape(article.title)}</strong></p>"]
    parts += [f"<p>{escape(p)}</p>".replace("\n", "<br>") for p in _lead_paragraphs(article)]
    if corrections:  # the latest few; our page lists them all with the earlier versions
        lines = "<br>".join(escape(c) for c in corrections[-CORRECTIONS_IN_NOTE:])
        parts.append(f"<p><em>{lines}</em></p>")
    parts.append(
        f'<p><a href="{escape(original)}" rel="nofollow noopener" target="_blank">'
        f"{escape(_display_link(original))}</a></p>"
    )
    tags = hashtags(urls, article.tags)
    if tags:
        links = " ".join(
            f'<a href="{escape(t["href"])}" class="mention hashtag" rel="tag">'
            f"#<span>{escape(t['name'][1:])}</span></a>"
            for t in tags
        )
        parts.append(f"<p>{links}</p>")
    return "".join(parts)


def image_media_type(url: str) -> str:
    guessed, _ = mimetypes.guess_type(urlsplit(url).path)
    if guessed and guessed.startswith("image/"):
        return guessed
    return "image/jpeg"  # most news pictures; Mastodon sniffs the real type when it downloads


def post_object(
    urls: Urls,
    article: Article,
    *,
    original: str,
    language: str,
    object_type: str = "Note",
    full_content: bool = True,
    force_updated: datetime | None = None,
    quotes: str = "anyone",
    counts: PostCounts | None = None,
    corrections: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The Note (default) or Article for one stored article.

    `counts` fills the replies / likes / shares collections; `corrections` are the dated
    "Diperbarui …" lines shown under the text of a corrected article."""
    actor = urls.actor(article.source_id)
    content = note_content(urls, article, original, corrections)
    obj: dict[str, Any] = {
        "@context": OBJECT_CONTEXT,
        "id": urls.object(article.source_id, article.id),
        "type": object_type,
        "attributedTo": actor,
        "published": iso(article.published or article.first_seen),
        "url": urls.article_page(article.id),
        "to": [PUBLIC],
        "cc": [urls.collection(article.source_id, "followers")],
        "sensitive": False,
    }
    updated = force_updated or article.updated
    if updated and article.published and updated > article.published:
        obj["updated"] = iso(updated)
    if object_type == "Article":
        # FEP-b2b8: title as name, a short summary (not a CW on an Article), the full text.
        lead = _lead_paragraphs(article)
        body = article.content_html if full_content and article.content_html else ""
        if not body:
            body = "".join(f"<p>{escape(p)}</p>" for p in lead)
        if corrections:
            lines = "<br>".join(escape(c) for c in corrections[-CORRECTIONS_IN_NOTE:])
            body += f"<p><em>{lines}</em></p>"
        body += f'<p><a href="{escape(original)}">{escape(_display_link(original))}</a></p>'
        obj["name"] = article.title
        obj["summary"] = " ".join(lead)
        obj["content"] = body
        obj["preview"] = {"type": "Note", "attributedTo": actor, "content": content}
    else:
        obj["content"] = content
    obj["contentMap"] = {language: obj["content"]}
    obj["interactionPolicy"] = {"canQuote": quote_rule(urls, article.source_id, quotes)}
    obj.update(post_collections(urls, article.source_id, article.id, counts or PostCounts()))
    tags = hashtags(urls, article.tags)
    if tags:
        obj["tag"] = tags
    if article.image and article.image.startswith(("http://", "https://")):
        obj["attachment"] = [
            {
                "type": "Image",
                "mediaType": image_media_type(article.image),
                "url": article.image,
                "name": article.image_alt or article.title,
            }
        ]
        if object_type == "Article":
            obj["image"] = {"type": "Image", "url": article.image}
    return obj


@dataclass(frozen=True, slots=True)
class PostCounts:
    """What the Fediverse did with one post, for its collections."""

    likes: int = 0
    shares: int = 0
    replies: int = 0
    reply_ids: tuple[str, ...] = ()  # the first page of replies (object ids, oldest first)


def quote_rule(urls: Urls, source_id: str, quotes: str) -> dict[str, Any]:
    """FEP-044f `canQuote`: who gets their quote approved automatically. "nobody" still
    lists the author, as Mastodon does (an empty rule reads as "not stated")."""
    if quotes == "followers":
        return {"automaticApproval": [urls.collection(source_id, "followers")]}
    if quotes == "nobody":
        return {"automaticApproval": [urls.actor(source_id)]}
    return {"automaticApproval": [PUBLIC]}


def post_collections(
    urls: Urls, source_id: str, article_id: str, counts: PostCounts
) -> dict[str, Any]:
    """`replies` (first page embedded, as Mastodon crawls it), `likes` and `shares`."""
    replies = urls.object_collection(source_id, article_id, "replies")
    first: dict[str, Any] = {
        "id": f"{replies}?page=1",
        "type": "CollectionPage",
        "partOf": replies,
        "items": list(counts.reply_ids),
    }
    if counts.replies > len(counts.reply_ids):
        first["next"] = f"{replies}?page=2"
    return {
        "replies": {
            "id": replies,
            "type": "Collection",
            "totalItems": counts.replies,
            "first": first,
        },
        "likes": {
            "id": urls.object_collection(source_id, article_id, "likes"),
            "type": "Collection",
            "totalItems": counts.likes,
        },
        "shares": {
            "id": urls.object_collection(source_id, article_id, "shares"),
            "type": "Collection",
            "totalItems": counts.shares,
        },
    }


def quote_authorization(
    urls: Urls, source_id: str, stamp_id: str, article_id: str, quote_id: str
) -> dict[str, Any]:
    """FEP-044f stamp: proof that `quote_id` may quote our post; dereferenceable at its id."""
    return {
        "@context": [AS, INTERACTION_TERMS],
        "id": urls.quote_stamp(source_id, stamp_id),
        "type": "QuoteAuthorization",
        "attributedTo": urls.actor(source_id),
        "interactingObject": quote_id,
        "interactionTarget": urls.object(source_id, article_id),
    }


def answer_quote_request(
    urls: Urls,
    activity_id: str,
    source_id: str,
    request: dict[str, Any],
    stamp_url: str | None,
) -> dict[str, Any]:
    """Accept (with the stamp as `result`) or, without a stamp, Reject of a QuoteRequest."""
    embedded: dict[str, Any] = {k: request[k] for k in ("id", "type", "actor") if k in request}
    for key in ("object", "instrument"):
        value = request.get(key)
        embedded[key] = value.get("id") if isinstance(value, dict) else value
    doc: dict[str, Any] = {
        "@context": [AS, INTERACTION_TERMS],
        "id": urls.activity(activity_id),
        "type": "Accept" if stamp_url else "Reject",
        "actor": urls.actor(source_id),
        "to": [request.get("actor")],
        "object": embedded,
    }
    if stamp_url:
        doc["result"] = stamp_url
    return doc


def revoke_quote(urls: Urls, activity_id: str, source_id: str, stamp_id: str, to: str) -> dict:
    """Delete of a QuoteAuthorization: the quoting server drops (or detaches) the quote."""
    return {
        "@context": [AS, INTERACTION_TERMS],
        "id": urls.activity(activity_id),
        "type": "Delete",
        "actor": urls.actor(source_id),
        "to": [to],
        "object": urls.quote_stamp(source_id, stamp_id),
    }


def tombstone(urls: Urls, source_id: str, article_id: str, deleted: datetime | None) -> dict:
    doc: dict[str, Any] = {
        "@context": AS,
        "id": urls.object(source_id, article_id),
        "type": "Tombstone",
    }
    if deleted:
        doc["deleted"] = iso(deleted)
    return doc


# ---- activities ---------------------------------------------------------------------------


def _bare(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != "@context"}


def create(urls: Urls, activity_id: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": OBJECT_CONTEXT,
        "id": urls.activity(activity_id),
        "type": "Create",
        "actor": obj["attributedTo"],
        "published": obj["published"],
        "to": obj["to"],
        "cc": obj["cc"],
        "object": _bare(obj),
    }


def update(urls: Urls, activity_id: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": OBJECT_CONTEXT,
        "id": urls.activity(activity_id),
        "type": "Update",
        "actor": obj["attributedTo"],
        "published": obj.get("updated", obj["published"]),
        "to": obj["to"],
        "cc": obj["cc"],
        "object": _bare(obj),
    }


def delete(urls: Urls, activity_id: str, source_id: str, tomb: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": urls.activity(activity_id),
        "type": "Delete",
        "actor": urls.actor(source_id),
        "to": [PUBLIC],
        "cc": [urls.collection(source_id, "followers")],
        "object": _bare(tomb),
    }


def accept(urls: Urls, activity_id: str, source_id: str, follow: dict[str, Any]) -> dict:
    """Accept with the Follow embedded (Mastodon matches it by the Follow's id)."""
    embedded = {k: follow[k] for k in ("id", "type", "actor", "object") if k in follow}
    return {
        "@context": AS,
        "id": urls.activity(activity_id),
        "type": "Accept",
        "actor": urls.actor(source_id),
        "object": embedded,
    }


# ---- collections --------------------------------------------------------------------------


def followers_digest(actor_ids: list[str]) -> str:
    """FEP-8fcf: the XOR of the SHA-256 of each follower id, as hex (order does not matter)."""
    acc = 0
    for actor_id in actor_ids:
        acc ^= int.from_bytes(hashlib.sha256(actor_id.encode()).digest(), "big")
    return f"{acc:064x}"


def followers_sync_header(urls: Urls, source_id: str, actor_ids: list[str]) -> str:
    """The Collection-Synchronization value sent with followers-addressed deliveries."""
    collection = urls.collection(source_id, "followers")
    return (
        f'collectionId="{collection}", url="{urls.collection(source_id, "followers_synchronization")}", '
        f'digest="{followers_digest(actor_ids)}"'
    )


def featured_tags(urls: Urls, source_id: str, slugs: list[str]) -> dict[str, Any]:
    """The source's most used tags as Mastodon's featured tags collection."""
    items = [{"type": "Hashtag", "name": f"#{s}", "href": urls.tag_page(s)} for s in slugs]
    return {
        "@context": [AS, {"Hashtag": "as:Hashtag"}],
        "id": urls.collection(source_id, "collections/tags"),
        "type": "Collection",
        "totalItems": len(items),
        "items": items,
    }


def ordered_collection(url: str, total: int, *, paged: bool = True) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": AS,
        "id": url,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if paged:
        doc["first"] = f"{url}?page=1"
        doc["last"] = f"{url}?page={max(1, -(-total // PAGE_SIZE))}"
    else:
        doc["orderedItems"] = []
    return doc


def ordered_page(url: str, page: int, total: int, items: list[Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": AS,
        "id": f"{url}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": url,
        "totalItems": total,
        "orderedItems": [_bare(i) if isinstance(i, dict) else i for i in items],
    }
    if page * PAGE_SIZE < total:
        doc["next"] = f"{url}?page={page + 1}"
    if page > 1:
        doc["prev"] = f"{url}?page={page - 1}"
    return doc


# ---- discovery ----------------------------------------------------------------------------


def webfinger(urls: Urls, source_id: str | None) -> dict[str, Any]:
    """JRD for a source (or, with None, the instance actor)."""
    if source_id is None:
        subject = f"acct:{urls.host.split(':')[0]}@{urls.host}"
        return {
            "subject": subject,
            "aliases": [urls.instance_actor],
            "links": [{"rel": "self", "type": AS_MEDIA, "href": urls.instance_actor}],
        }
    actor = urls.actor(source_id)
    return {
        "subject": f"acct:{urls.acct(source_id)}",
        "aliases": [actor, urls.profile_page(source_id)],
        "links": [
            {"rel": "self", "type": AS_MEDIA, "href": actor},
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": urls.profile_page(source_id),
            },
        ],
    }


def nodeinfo_links(urls: Urls) -> dict[str, Any]:
    return {
        "links": [
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                "href": f"{urls.base}/nodeinfo/2.1",
            },
            {
                "rel": "https://www.w3.org/ns/activitystreams#Application",
                "href": urls.instance_actor,
            },
        ]
    }


def nodeinfo(version: str, users: int, posts: int, name: str) -> dict[str, Any]:
    return {
        "version": "2.1",
        "software": {
            "name": "syndicate",
            "version": version,
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["rss2.0", "atom1.0"]},
        "openRegistrations": False,
        "usage": {
            "users": {"total": users, "activeMonth": users, "activeHalfyear": users},
            "localPosts": posts,
        },
        "metadata": {"nodeName": name},
    }


def host_meta(base: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" type="application/jrd+json" '
        f'template="{escape(base)}/.well-known/webfinger?resource={{uri}}"/>\n'
        "</XRD>\n"
    )
