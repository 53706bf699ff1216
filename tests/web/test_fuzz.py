"""Property-based fuzzing (hypothesis) of what strangers send: the push API and the inbox over
real HTTP, feed parsing, the input boundary and feed rendering. Any input gets a clean answer:
a 2xx or a 4xx, never a 500, a hang or an exception other than the documented one.

Example counts are modest so the suite stays fast; failures print the smallest input found.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser
import pytest
from conftest import LiveServer, free_port
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from syndicate import safejson
from syndicate.boundary import bound_entry, xml_safe
from syndicate.config import settings_from_dict
from syndicate.ingest.feed import FeedParseError, entry_from_item, parse_feed
from syndicate.models import Article, Entry
from syndicate.publish.feeds import FeedInfo, render
from syndicate.store import open_store
from syndicate.web.app import create_app

FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
TOKEN = "fuzz-token"

# Text with the characters that broke things: controls, NUL, non-characters, surrogates,
# entity references, markup.
_pieces = st.one_of(
    st.characters(codec=None, exclude_categories=()),
    st.sampled_from(["\x00", "\x01", "\ufffe", "\uffff", "\ud800", "&#1;", "&#x0;", "<", "&"]),
)
nasty_text = st.lists(_pieces, max_size=60).map("".join)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | nasty_text,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                [
                    "source",
                    "id",
                    "title",
                    "url",
                    "tags",
                    "posts",
                    "type",
                    "actor",
                    "object",
                    "content_text",
                ]
            )
            | nasty_text,
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)


def post_like() -> st.SearchStrategy[dict[str, Any]]:
    """Posts that get past the first checks, so the fuzzing reaches the store."""
    return st.fixed_dictionaries(
        {
            "source": st.just("newsroom"),
            "id": nasty_text,
            "title": nasty_text,
            "content_text": nasty_text,
        },
        optional={
            "url": st.one_of(nasty_text, nasty_text.map(lambda t: "https://news.example/" + t)),
            "tags": st.lists(nasty_text, max_size=60),
            "authors": st.one_of(nasty_text, st.lists(nasty_text, max_size=5)),
            "summary": nasty_text,
            "content_html": nasty_text,
            "published": st.sampled_from(["2026-01-05T11:42:18+08:00", "yesterday", "2026-01-05"]),
        },
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    port = free_port()
    cfg = settings_from_dict(
        {
            "server": {"base_url": f"http://127.0.0.1:{port}", "port": port},
            "api": {"token": TOKEN},
            "sources": [
                {"id": "newsroom", "name": "Newsroom", "url": "push", "kind": "api"},
                {"id": "site", "name": "Site", "url": "https://site.example/", "kind": "feed"},
            ],
        }
    )
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}")
    srv = LiveServer(create_app(cfg, store), port)
    yield srv
    srv.stop()
    store.close()


CLEAN = {200, 201, 400, 401, 403, 404, 409, 413, 415, 422}


@FUZZ
@given(doc=st.one_of(json_values, st.lists(post_like(), min_size=1, max_size=4), post_like()))
def test_push_api_answers_any_json_cleanly(server: LiveServer, doc: Any) -> None:
    r = server.client.post(
        "/api/posts",
        content=json.dumps(doc),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert r.status_code in CLEAN, (r.status_code, r.text[:300])
    assert server.get("/feeds/newsroom.rss").status_code in (200, 404)


@FUZZ
@given(raw=st.binary(max_size=300), depth=st.sampled_from([0, 1, 31, 33, 2000, 100_000]))
def test_push_api_and_inbox_answer_any_bytes_cleanly(
    server: LiveServer, raw: bytes, depth: int
) -> None:
    for body in (raw, b"[" * depth + raw + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
        r = server.client.post(
            "/api/posts",
            content=body,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        assert r.status_code in CLEAN, (r.status_code, r.text[:300])
        for path in ("/inbox", "/users/site/inbox"):
            r = server.client.post(
                path, content=body, headers={"Content-Type": "application/activity+json"}
            )
            assert r.status_code in CLEAN, (path, r.status_code, r.text[:300])


@FUZZ
@given(raw=st.binary(max_size=2000) | nasty_text.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_safe_json_refuses_or_parses(raw: bytes) -> None:
    try:
        safejson.loads(raw)
    except safejson.JsonRefused as exc:
        assert exc.status in (400, 413)


def feed_document(items: list[dict[str, str]]) -> bytes:
    parts = []
    for it in items:
        cats = "".join(f"<category><![CDATA[{c}]]></category>" for c in it["cats"])
        parts.append(
            f"<item><title>{it['title']}</title><link>https://site.example/{it['slug']}</link>"
            f"<description><![CDATA[{it['body']}]]></description>{cats}</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        + "".join(parts)
        + "</channel></rss>"
    ).encode("utf-8", "surrogatepass")


@FUZZ
@given(
    items=st.lists(
        st.fixed_dictionaries(
            {
                "title": nasty_text,
                "slug": st.text("abcxyz/-?#%", max_size=20),
                "body": nasty_text,
                "cats": st.lists(nasty_text, max_size=80),
            }
        ),
        max_size=4,
    ),
    garbage=st.binary(max_size=200),
)
def test_feed_parsing_then_storing_then_rendering_never_breaks(items: list, garbage: bytes) -> None:
    for body in (feed_document(items), garbage, feed_document(items)[: len(garbage) + 50]):
        try:
            parsed = parse_feed(body, "https://site.example/feed")
        except FeedParseError:
            continue
        for item in parsed.entries:
            entry = entry_from_item(item, "https://site.example/feed")
            if entry is None:
                continue
            _render_all(bound_entry(entry))


def _render_all(entry: Entry) -> None:
    now = datetime(2026, 1, 5, tzinfo=UTC)
    article = Article(
        id="0123456789abcdef",
        source_id="site",
        url=entry.url,
        canonical_url=entry.canonical_url,
        title=entry.title,
        authors=entry.authors,
        published=now,
        summary=entry.summary,
        content_html=entry.content_html,
        content_text=entry.content_text,
        image=entry.image,
        tags=entry.tags,
        first_seen=now,
    )
    info = FeedInfo(
        key="site",
        title="Site",
        description="d",
        base_url="http://x.example",
        home_url="http://x.example/",
    )
    assert len(article.tags) <= 50
    for fmt in ("rss", "atom"):
        doc = render(info, [article], fmt)
        assert not feedparser.parse(doc).bozo or etree.fromstring(doc) is not None
    json.loads(render(info, [article], "json"))


@FUZZ
@given(
    title=nasty_text,
    body=nasty_text,
    tags=st.lists(nasty_text, max_size=200),
    authors=st.lists(nasty_text, max_size=30),
    url=nasty_text,
)
def test_any_entry_through_the_boundary_renders_in_every_format(
    title: str, body: str, tags: list[str], authors: list[str], url: str
) -> None:
    entry = bound_entry(
        Entry(
            url="https://site.example/" + url[:100],
            title=title,
            content_html=f"<p>{body}</p>",
            content_text=body,
            summary=body,
            tags=tags,
            authors=authors,
        )
    )
    assert xml_safe(entry.title) == entry.title
    _render_all(entry)
