"""A feed item with thousands of repeated elements is capped before feedparser reads it.

feedparser's _add_tag checks each new tag against the item's list: 20,000 <category> elements
on one item cost ~10 s of CPU. parse_feed keeps the first MAX_ITEM_TAGS of each listed element.
"""

from __future__ import annotations

from typing import Any

import feedparser.mixin
import pytest

from syndicate.ingest.feed import MAX_ITEM_TAGS, cap_feed, entry_from_item, parse_feed

FEED_URL = "https://site.example/feed"


def rss(item: str, channel: str = "", decl: str = '<?xml version="1.0"?>') -> str:
    return (
        f'{decl}<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>'
        f"{channel}<item><title>x</title><link>https://site.example/a</link>{item}</item>"
        "</channel></rss>"
    )


@pytest.fixture
def add_tag_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every tag feedparser adds (its call with no term, scheme or label does nothing)."""
    calls: list[Any] = []
    real = feedparser.mixin._FeedParserMixin._add_tag

    def counting(self: Any, term: Any, scheme: Any, label: Any) -> None:
        if term or scheme or label:
            calls.append(term)
        real(self, term, scheme, label)

    monkeypatch.setattr(feedparser.mixin._FeedParserMixin, "_add_tag", counting)
    return calls


def test_20000_categories_on_one_item_are_capped_before_feedparser(add_tag_calls) -> None:  # type: ignore[no-untyped-def]
    cats = "".join(f"<category>kategori {i}</category>" for i in range(20_000))
    parsed = parse_feed(rss(cats).encode(), FEED_URL)
    assert len(parsed.entries[0].tags) == MAX_ITEM_TAGS
    assert len(add_tag_calls) == MAX_ITEM_TAGS  # was 20,000
    assert parsed.entries[0].tags[0].term == "kategori 0"  # the first ones are kept, in order
    got = entry_from_item(parsed.entries[0], FEED_URL)
    assert got is not None and got.tags[-1] == f"kategori {MAX_ITEM_TAGS - 1}"
    assert got.url == "https://site.example/a" and got.title == "x"


def test_channel_categories_dc_subjects_and_keywords_are_capped(add_tag_calls) -> None:  # type: ignore[no-untyped-def]
    many = range(5_000)
    item = "".join(f"<dc:subject>s{i}</dc:subject>" for i in many)
    item += f"<media:keywords>{','.join(f'k{i}' for i in many)}</media:keywords>"
    channel = "".join(f'<category domain="d">c{i}</category>' for i in many)
    parsed = parse_feed(rss(item, channel).encode(), FEED_URL)
    assert len(parsed.feed.tags) == MAX_ITEM_TAGS
    terms = [t.term for t in parsed.entries[0].tags]
    assert terms[:2] == ["s0", "s1"] and "k0" in terms
    assert len(terms) == 2 * MAX_ITEM_TAGS  # MAX_ITEM_TAGS subjects and keywords each
    assert len(add_tag_calls) == 3 * MAX_ITEM_TAGS


def test_enclosures_media_content_and_links_are_capped() -> None:
    item = "".join(
        f'<enclosure url="https://site.example/{i}.mp3" type="audio/mpeg" length="1"/>'
        f'<media:content url="https://site.example/{i}.jpg" medium="image"/>'
        for i in range(3_000)
    )
    parsed = parse_feed(rss(item).encode(), FEED_URL)
    entry = parsed.entries[0]
    assert len(entry.media_content) == MAX_ITEM_TAGS
    assert len(entry.enclosures) == MAX_ITEM_TAGS
    got = entry_from_item(entry, FEED_URL)
    assert got is not None and got.image == "https://site.example/0.jpg"


def test_a_capped_feed_keeps_its_own_encoding() -> None:
    """Re-serialised as UTF-8: the text of a Latin-1 feed (named by its declaration and by the
    server's charset) is the same after the cap."""
    cats = "".join(f"<category>kategori {i}</category>" for i in range(1_000))
    doc = rss(
        f"<description>Café Jalan Élok</description>{cats}",
        decl='<?xml version="1.0" encoding="iso-8859-1"?>',
    )
    body = doc.replace("<title>x</title>", "<title>Kopi Café</title>").encode("iso-8859-1")
    parsed = parse_feed(body, FEED_URL, "text/xml; charset=iso-8859-1")
    assert parsed.entries[0].title == "Kopi Café"
    assert parsed.entries[0].summary == "Café Jalan Élok"
    assert len(parsed.entries[0].tags) == MAX_ITEM_TAGS


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_a_utf16_or_utf32_feed_is_capped_too(codec: str, add_tag_calls) -> None:  # type: ignore[no-untyped-def]
    """The byte pre-check cannot see "<category>" two or four bytes a character wide: such a
    feed goes to the lxml pass (with a BOM, or without one, named by its declaration)."""
    cats = "".join(f"<category>kategori {i}</category>" for i in range(20_000))
    name = "utf-16" if codec == "utf-16-be" else codec
    doc = rss(
        f"{cats}<description>Café</description>", decl=f'<?xml version="1.0" encoding="{name}"?>'
    )
    parsed = parse_feed(doc.encode(codec), FEED_URL, f"application/rss+xml; charset={name}")
    assert len(add_tag_calls) == MAX_ITEM_TAGS  # was 20,000: ~10 s of CPU
    assert parsed.entries[0].title == "x" and parsed.entries[0].summary == "Café"


@pytest.mark.parametrize(
    ("codec", "charset"),
    [("utf-16-be", "utf-16"), ("utf-16", "utf-8"), ("utf-32", "iso-8859-1")],
)
def test_a_wide_feed_is_read_by_its_own_bytes_whatever_the_header_says(
    codec: str, charset: str
) -> None:
    """Big-endian UTF-16 without a BOM served as "utf-16" (which Python reads little-endian),
    or UTF-16/32 served under a blanket charset: the NULs say what the bytes are."""
    doc = rss("<description>Jalan Élok</description>").replace(
        "<title>x</title>", "<title>Kopi Café</title>"
    )
    parsed = parse_feed(doc.encode(codec), FEED_URL, f"application/rss+xml; charset={charset}")
    assert parsed.entries[0].title == "Kopi Café"
    assert parsed.entries[0].summary == "Jalan Élok"


def test_a_malformed_hostile_feed_is_capped_too() -> None:
    """An undefined entity makes the document not well-formed; the cap still applies."""
    cats = "".join(f"<category>k{i}</category>" for i in range(5_000))
    body = rss(f"<description>a &nbsp; b</description>{cats}").encode()
    parsed = parse_feed(body, FEED_URL)
    assert parsed.entries[0].title == "x"
    assert len(parsed.entries[0].tags) == MAX_ITEM_TAGS


def test_feeds_under_the_cap_reach_feedparser_unchanged() -> None:
    # 30 items of 10 categories: over the byte pre-check, under the per-item cap.
    items = "".join(
        f"<item><title>t{n}</title><link>https://site.example/{n}</link>"
        + "".join(f"<category>c{i}</category>" for i in range(10))
        + "</item>"
        for n in range(30)
    )
    body = rss("").replace("</channel>", items + "</channel>").encode()
    assert cap_feed(body) is None
    assert cap_feed(b"not xml at all, <category>" * 500) is None
    assert len(parse_feed(body, FEED_URL).entries) == 31
