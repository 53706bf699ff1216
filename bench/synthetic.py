"""Synthetic articles for scale tests and benches: story texts, their reprints, and bulk-loaded
stored articles (rows and LSH band rows written directly, so 100k take seconds, not hours)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

from sqlalchemy import text as text_sql

from syndicate.models import Entry
from syndicate.normalize.dedupe import BANDS
from syndicate.store import Store

VOCAB = [f"{a}{b}" for a in ("ka", "ma", "to", "bi", "su", "la", "ne", "ri") for b in range(400)]


def story_text(rng: random.Random, words: int = 300) -> str:
    """Paragraphs of random words from a 3,200-word vocabulary (unrelated stories: J ~ 0)."""
    out = [" ".join(rng.choice(VOCAB) for _ in range(60)) for _ in range(words // 60)]
    return "\n\n".join(out)


def reprint(text: str, rng: random.Random) -> str:
    """What a second portal makes of a press release: a new dateline, one paragraph dropped,
    a few words changed."""
    paragraphs = text.split("\n\n")
    if len(paragraphs) > 2:
        paragraphs.pop(rng.randrange(1, len(paragraphs)))
    words = " ".join(paragraphs).split()
    for _ in range(4):
        words[rng.randrange(len(words))] = rng.choice(VOCAB)
    return "MANADO, portal lain - " + " ".join(words)


def entry(url: str, title: str, text: str, published: datetime) -> Entry:
    return Entry(url=url, title=title, published=published, content_text=text, content_html=text)


def plant_articles(
    store: Store,
    n: int,
    around: datetime,
    *,
    sources: int = 50,
    owners: list[str] | None = None,
    days: tuple[float, float] = (-3, 3),
    prefix: str = "s",
) -> None:
    """Store `n` articles published between `days[0]` and `days[1]` days from `around`, each
    with BANDS band rows (random: what unrelated texts' bands are). They belong to `sources`
    other sources ('filler0'...), or round-robin to the source ids `owners` (an archive of
    sources being polled). `prefix` (one character) starts their ids: one prefix per call.
    Generated inside the database in two statements; rows one by one from Python would take
    minutes for 100k."""
    sqlite = store.engine.dialect.name == "sqlite"
    around = around.astimezone(UTC)
    now = datetime.now(UTC)
    lo, span = int(days[0] * 86400), max(1, int((days[1] - days[0]) * 86400))
    owned = owners or [f"filler{i}" for i in range(sources)]
    if sqlite:
        seq = "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < :n - 1)"
        rnd, ident = "random()", "printf('%s%015d', :prefix, i)"
        published = "datetime(:around, printf('%+d seconds', :lo + abs(random()) % :span))"
        owner = "json_extract(:owners, '$[' || (i % :sources) || ']')"
    else:
        seq = "WITH seq(i) AS (SELECT generate_series(0, :n - 1))"
        rnd = "(random() * 9.2e18)::bigint"
        ident = ":prefix || lpad(i::text, 15, '0')"
        published = "(:around)::timestamptz + make_interval(secs => :lo + random() * :span)"
        owner = "(CAST(:owners AS jsonb) ->> (i % :sources))"
    articles_sql = f"""{seq}
        INSERT INTO articles (id, source_id, url, canonical_url, title, authors, published,
            summary, content_html, content_text, tags, content_hash, first_seen, last_seen,
            status, fingerprint, missing_checks)
        SELECT {ident}, {owner}, 'https://filler.example/' || {ident},
            'https://filler.example/' || {ident}, 'Filler', '[]', {published}, '', '', 'filler',
            '[]', 'h' || {ident}, :now, :now, 'active', {rnd}, 0
        FROM seq"""
    bands_sql = f"""{seq.replace(":n - 1", ":bands - 1")}
        INSERT INTO story_bands (band, article_id, published)
        SELECT {rnd} AS band, a.id, a.published FROM articles a, seq
        WHERE a.id LIKE :prefix || '%' AND a.content_text = 'filler'
        ORDER BY band"""  # in key order: appending to the B-tree, not 2M random inserts
    stamp = (lambda t: t.replace(tzinfo=None).isoformat(" ")) if sqlite else (lambda t: t)
    params = {
        "n": n,
        "sources": len(owned),
        "owners": json.dumps(owned),
        "around": stamp(around),
        "now": stamp(now),
        "lo": lo,
        "span": span,
        "prefix": prefix,
    }
    with store.engine.begin() as conn:
        conn.execute(text_sql(articles_sql), params)
        conn.execute(text_sql(bands_sql), {"bands": BANDS, "prefix": prefix})
