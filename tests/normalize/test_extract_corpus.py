"""Every article page of the corpus (all sites and states) against the ground truth."""

import re
from collections import Counter
from datetime import UTC

import pytest
from normalize_corpus import articles, page_bytes, truth

from syndicate.normalize.dates import parse_date
from syndicate.normalize.encoding import decode_html
from syndicate.normalize.extract import amp_url, extract_article, merge_pages, next_page_url

CASES = [pytest.param(s, st, a, id=f"{a['id']}@{st}") for s, st, a in articles()]
TOKEN = re.compile(r"\w+")


def f1(pred: str, gold: str) -> float:
    p, g = Counter(TOKEN.findall(pred.lower())), Counter(TOKEN.findall(gold.lower()))
    overlap = sum((p & g).values())
    if not overlap:
        return 0.0
    prec, rec = overlap / sum(p.values()), overlap / sum(g.values())
    return 2 * prec * rec / (prec + rec)


def extract_all_pages(site_id, state, url):
    pages = []
    for _ in range(10):
        body, charset = page_bytes(site_id, url, state)
        html = decode_html(body, charset)
        pages.append(extract_article(html, url, timezone="Asia/Makassar"))
        url = next_page_url(html, url)
        if not url:
            break
    return merge_pages(pages), len(pages)


@pytest.mark.parametrize(("site_id", "state", "art"), CASES)
def test_article_matches_truth(site_id, state, art):
    entry, n_pages = extract_all_pages(site_id, state, art["url"])
    assert n_pages == len(art["pages"])
    assert entry.title == art["title"]
    assert entry.authors == [art["author"]]
    assert entry.editor == art["editor"]
    gold = parse_date(art["published"], "Asia/Makassar")
    assert entry.published.utcoffset() == gold.utcoffset()
    assert entry.published.replace(second=0, microsecond=0) == gold.replace(second=0, microsecond=0)
    assert entry.canonical_url == art["canonical_url"]
    assert entry.image == art["lead_image"]
    assert {t.lower() for t in entry.tags} == {t.lower() for t in art["tags"]}
    assert entry.dateline == art["dateline"]
    assert entry.language == "id"
    gold_text = "\n".join(art["body"])
    assert f1(entry.content_text, gold_text) >= 0.98
    low = entry.content_text.lower()
    assert "baca juga" not in low
    assert art["author_raw"].lower() not in low or art["author_raw"] == art["author"]
    if art["dateline"]:
        assert art["dateline"].lower() not in low
    assert set(entry.rules) >= {"title", "published", "authors", "body", "canonical_url", "image"}


def test_page_two_keys_on_page_one():
    url = truth("sulutaktual")["states"]["t0"]["articles"][-1]["pages"][1]
    body, charset = page_bytes("sulutaktual", url)
    entry = extract_article(decode_html(body, charset), url)
    assert entry.canonical_url == url.rsplit("/2/", 1)[0] + "/"
    assert entry.rules["canonical_url"].endswith("+page1")


def test_amp_urls():
    for art in truth("nusautara")["states"]["t0"]["articles"]:
        body, charset = page_bytes("nusautara", art["url"])
        assert amp_url(decode_html(body, charset), art["url"]) == art["amp_url"]


@pytest.mark.parametrize("lie", [True, False])
def test_lying_charsets_decode(lie):
    """nusautara's declared charsets lie; swapping them again (serve.py --wrong-charset) changes nothing."""
    for art in truth("nusautara")["states"]["t0"]["articles"]:
        body, charset = page_bytes("nusautara", art["url"])
        if lie:
            charset = "windows-1252" if (charset or "").lower() == "utf-8" else "utf-8"
        html = decode_html(body, charset)
        for para in art["body"]:
            assert para in " ".join(html.split()), art["id"]


def test_hint_with_offset_beats_naive_page_date():
    from datetime import datetime, timedelta

    from syndicate.models import Entry

    art = truth("nusautara")["states"]["t0"]["articles"][0]
    body, charset = page_bytes("nusautara", art["url"])
    html = decode_html(body, charset)
    plain = extract_article(html, art["url"])
    assert plain.rules["published"] == "text"
    hint_time = datetime(2026, 1, 8, 3, 0, 9, tzinfo=UTC)
    hinted = extract_article(
        html, art["url"], hints=Entry(url=art["url"], title="", published=hint_time)
    )
    assert hinted.rules["published"] == "hint"
    assert hinted.published == hint_time and hinted.published.utcoffset() == timedelta(hours=8)
    # ...but a page date with its own offset wins over the feed's.
    body, charset = page_bytes(
        "detailnews", truth("detailnews")["states"]["t0"]["articles"][0]["url"]
    )
    dn_url = truth("detailnews")["states"]["t0"]["articles"][0]["url"]
    e = extract_article(
        decode_html(body, charset), dn_url, hints=Entry(url=dn_url, title="", published=hint_time)
    )
    assert e.rules["published"] == "json-ld"
