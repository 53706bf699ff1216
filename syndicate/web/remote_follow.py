"""Where the remote-follow form may send a reader: only to a follow dialog WebFinger names.

/follow used to redirect to whatever host was typed (an open redirect with our name on it).
Now the typed account (or the server's own `host@host` account) is looked up with WebFinger;
the reader goes to the `http://ostatus.org/schema/1.0/subscribe` template it gives, or, when the
server answered WebFinger without one, to that server's /authorize_interaction.
"""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

import httpx

from syndicate import safejson
from syndicate.publish.activitypub.federation import Federation
from syndicate.publish.activitypub.remote import FetchError

log = logging.getLogger("syndicate.web")

SUBSCRIBE = "http://ostatus.org/schema/1.0/subscribe"
MAX_JRD = 64 * 1024


def typed_account(text: str, host: str) -> str:
    """'user@host' from '@user@host', 'user@host' or 'https://host/@user'; else 'host@host'
    (Mastodon and others answer WebFinger for their instance actor under that name)."""
    text = text.strip()
    if "://" in text:
        path = urlsplit(text).path.strip("/")
        user = path[1:] if path.startswith("@") and "/" not in path else ""
    else:
        text = text.lstrip("@")
        user = text.rsplit("@", 1)[0] if "@" in text else ""
    bare = host.split(":")[0]
    return f"{user}@{host}" if user and "@" not in user else f"{bare}@{host}"


def subscribe_link(doc: object, actor_url: str) -> str | None:
    """The follow dialog a JRD names for `actor_url`, if it is an http(s) URL."""
    links = doc.get("links") if isinstance(doc, dict) else None
    for link in links if isinstance(links, list) else []:
        template = link.get("template") if isinstance(link, dict) else None
        if link.get("rel") == SUBSCRIBE and isinstance(template, str) and "{uri}" in template:
            target = template.replace("{uri}", quote(actor_url, safe=""))
            parts = urlsplit(target)
            if parts.scheme in ("http", "https") and parts.netloc:
                return target
    return None


async def follow_dialog(
    fed: Federation, instance: tuple[str, str], typed: str, actor_url: str
) -> str | None:
    """The URL to send the reader to, or None when the server does not answer WebFinger."""
    scheme, host = instance
    account = typed_account(typed, host)
    url = f"{scheme}://{host}/.well-known/webfinger?resource={quote('acct:' + account)}"
    try:
        await fed.guard.check(url)
        resp = await fed.key_client.get(
            url, headers={"Accept": "application/jrd+json, application/json"}
        )
        if resp.status_code != 200 or len(resp.content) > MAX_JRD:
            return None
        doc = safejson.loads(resp.content, max_bytes=MAX_JRD)
    except (FetchError, httpx.HTTPError, safejson.JsonRefused) as exc:
        log.info("remote follow: no WebFinger answer from %s: %s", host, exc)
        return None
    if not isinstance(doc, dict):
        return None
    found = subscribe_link(doc, actor_url)
    if found is not None:
        return found
    return f"{scheme}://{host}/authorize_interaction?uri={quote(actor_url, safe='')}"
