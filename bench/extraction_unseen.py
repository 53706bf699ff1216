"""Extraction accuracy and speed on pages from sites the extractor was not built on.

    .venv/bin/python bench/extraction_unseen.py [--verbose]

The pages in tests/normalize/unseen imitate other CMSs and portals (national portals, WordPress
block themes, Yoast/Rank Math @graph, Ghost, Blogger Contempo, microdata-only and plain HTML5
sites, legacy PHP) and are scored like the corpus in bench/extraction.py: the same fields, body
token F1 against truth.json, leaks, and median ms/page for us and for plain trafilatura. Each
page is extracted in the time zone its source would be configured with (truth `timezone`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import trafilatura  # noqa: E402
from extraction import FIELDS, entry_fields, f1, field_ok, traf_fields  # noqa: E402

from syndicate.normalize.dates import parse_date  # noqa: E402
from syndicate.normalize.encoding import decode_html  # noqa: E402
from syndicate.normalize.extract import extract_article  # noqa: E402

UNSEEN = ROOT / "tests" / "normalize" / "unseen"


def gold_fields(art: dict) -> dict:
    return {
        "title": art["title"],
        "authors": art.get("authors") or ([art["author"]] if art.get("author") else []),
        "published": parse_date(art["published"], art["timezone"]),
        "canonical_url": art["canonical_url"],
        "image": art.get("lead_image"),
        "tags": art.get("tags") or [],
        "dateline": art.get("dateline"),
        "editor": art.get("editor"),
    }


def leaks_in(text: str, art: dict) -> list[str]:
    low = text.lower()
    found = [s for s in art.get("absent", []) if s.lower() in low]
    if art.get("dateline") and art["dateline"].lower() in low:
        found.append("dateline")
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--verbose", "-v", action="store_true", help="print every miss")
    opts = ap.parse_args()
    truth = json.loads((UNSEEN / "truth.json").read_text())
    ours_ok: dict[str, list[bool]] = {f: [] for f in FIELDS}
    traf_ok: dict[str, list[bool]] = {f: [] for f in FIELDS}
    ours_f1, traf_f1, ours_ms, traf_ms, leaks = [], [], [], [], []
    for art in truth["articles"]:
        html = decode_html((UNSEEN / art["file"]).read_bytes(), None)
        url, tz = art["url"], art["timezone"]
        t0 = time.perf_counter()
        entry = extract_article(html, url, timezone=tz)
        ours_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        plain = trafilatura.extract(html, url=url) or ""
        traf_ms.append((time.perf_counter() - t0) * 1000)
        tf = traf_fields(html, url, tz)
        gold = gold_fields(art)
        ours = entry_fields(entry)
        for name, store, values in (("ours", ours_ok, ours), ("trafilatura", traf_ok, tf)):
            for f in FIELDS:
                ok = field_ok(f, values.get(f), gold[f])
                store[f].append(ok)
                if not ok and opts.verbose and name == "ours":
                    print(f"  MISS {art['id']} {f}: {values.get(f)!r} != {gold[f]!r}")
        gold_text = "\n".join(art["body"])
        ours_f1.append(f1(entry.content_text, gold_text))
        traf_f1.append(f1(plain, gold_text))
        if opts.verbose and ours_f1[-1] < 0.98:
            print(f"  F1 {art['id']} {ours_f1[-1]:.3f}")
        found = leaks_in(entry.content_text, art)
        if found:
            leaks.append(f"{art['id']}: {', '.join(found)}")

    n = len(truth["articles"])
    print(f"unseen pages: {n} (tests/normalize/unseen)")
    print(f"{'field':<16}{'ours':>8}{'trafilatura':>14}")
    for f in FIELDS:
        print(f"{f:<16}{sum(ours_ok[f]) / n:>8.3f}{sum(traf_ok[f]) / n:>14.3f}")
    print(
        f"{'body F1 (mean)':<16}{statistics.mean(ours_f1):>8.3f}{statistics.mean(traf_f1):>14.3f}"
    )
    print(f"{'body F1 (min)':<16}{min(ours_f1):>8.3f}{min(traf_f1):>14.3f}")
    print(
        f"{'ms/page (median)':<16}{statistics.median(ours_ms):>8.2f}{statistics.median(traf_ms):>14.2f}"
    )
    print(f"leaks in bodies: {len(leaks)}")
    for line in leaks:
        print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
