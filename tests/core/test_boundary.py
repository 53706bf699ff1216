"""The input boundary (syndicate/boundary.py): XML-safe and bounded fields, pure logic."""

from __future__ import annotations

import pytest
from lxml import etree

from syndicate.boundary import (
    MAX_TAGS,
    MAX_URL,
    RefusedField,
    bound_entry,
    clean_tags,
    clip,
    clip_html,
    xml_safe,
)
from syndicate.models import Entry


def xml_accepts(text: str) -> bool:
    el = etree.Element("t")
    try:
        el.text = text
    except ValueError:
        return False
    return True


def test_every_codepoint_that_lxml_refuses_is_removed() -> None:
    sample = "".join(chr(c) for c in range(0, 0x3000)) + "\ufdd0\ufffe\uffff\U0001fffe\U0010ffff"
    assert not xml_accepts(sample)
    cleaned = xml_safe(sample)
    assert xml_accepts(cleaned)
    assert cleaned.startswith("\t\n\r !") and "abc" in cleaned and "\u00e9" in cleaned
    assert "\x01" not in cleaned and "\ufffe" not in cleaned and "\U0001fffe" not in cleaned


def test_character_references_to_unsafe_characters_are_removed() -> None:
    assert xml_safe("a&#1;b&#x0;c&#xFFFE;d&#99999999;e") == "abcde"
    assert xml_safe("&#233; &#x41; &amp;") == "&#233; &#x41; &amp;"  # good ones stay


def test_tags_are_deduplicated_and_capped() -> None:
    tags = [
        "Bitung",
        "bitung",
        " BITUNG ",
        "Pemkot  Bitung",
        "pemkot-bitung",
        "!!!",
        "A&amp;B",
        "A&B",
    ]
    assert clean_tags(tags) == ["Bitung", "Pemkot Bitung", "A&B"]
    assert len(clean_tags([f"t{i}" for i in range(150_000)])) == MAX_TAGS
    assert all(len(t) <= 100 for t in clean_tags(["x" * 10_000]))


def test_long_fields_are_clipped_and_long_urls_refused() -> None:
    assert len(clip("kata " * 1000, 100)) <= 100
    cut = clip_html("<p>" + "a" * 50 + '<a href="https://x.example/long">', 60)
    assert cut.endswith("a") and "<a" not in cut
    e = bound_entry(Entry(url="https://x.example/", title="t" * 5000, tags=["a"] * 3))
    assert len(e.title) == 1000 and e.tags == ["a"]
    with pytest.raises(RefusedField) as refused:
        bound_entry(Entry(url="https://x.example/" + "a" * MAX_URL, title="t"))
    assert refused.value.field == "url"


def test_safe_json_hands_back_xml_safe_strings_and_refuses_depth() -> None:
    from syndicate import safejson

    doc = safejson.loads(b'{"a\\u0000": ["x\\ud800y", {"k": "\\u0001&#1;z"}], "n": 1}')
    assert doc == {"a": ["xy", {"k": "z"}], "n": 1}
    assert safejson.loads(b'"\\u0000"') == ""
    with pytest.raises(safejson.JsonRefused):
        safejson.loads(b"[" * 33 + b"]" * 33)
    assert safejson.loads(b"[" * 32 + b"]" * 32) is not None
