"""Extraction accuracy and speed on the offline corpus, ours vs plain trafilatura.

    .venv/bin/python bench/extraction.py [--verbose]

Every article page of every site and state in tests/corpus (bytes as served, so nusautara's lying
charsets are included) is extracted and compared with the ground truth: per-field accuracy
(title, authors, published to the minute with the right offset, canonical URL, lead image, tags,
dateline, editor), body token F1 (multi-page articles: all pages merged) and leaks (dateline,
byline or "Baca Juga" left in a body). Median ms/page is timed per page for both extractors.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from syndicate.normalize.clean import fold_ws  # noqa: E402
from syndicate.normalize.dates import parse_date  # noqa: E402
from syndicate.normalize.encoding import decode_html  # noqa: E402
from syndicate.normalize.extract import extract_article, merge_pages, next_page_url  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"
BASE = "http://127.0.0.1:8000"
FIELDS = ("title", "authors", "published", "canonical_url", "image", "tags", "dateline", "editor")
# The corpus truth also names each article's categories (the unseen pages' truth does not).
CORPUS_FIELDS = (*FIELDS, "categories")
TOKEN = re.compile(r"\w+", re.U)


def _load_serve():
    spec = importlib.util.spec_from_file_location("corpus_serve", CORPUS / "serve.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def fetch(site, url: str) -> tuple[bytes, str | None] | None:
    """The bytes serve.py would send for `url` (200 only) and the declared HTTP charset."""
    serve = sys.modules["corpus_serve"]
    parts = urlsplit(url)
    route = site.routes.get(serve.norm_key(parts.path + ("?" + parts.query if parts.query else "")))
    if route is None:
        route = site.routes.get((parts.path, ()))
    if route is None or int(route.get("status", 200)) != 200:
        path = site.static_lookup(parts.path)
        if path is None:
            return None
        route = {"file": path, "type": "text/html"}
    path = site.find_file(route["file"]) if not Path(route["file"]).is_absolute() else route["file"]
    if path is None:
        return None
    body = Path(path).read_bytes().replace(b"{{BASE}}", BASE.encode())
    m = re.search(r"charset=([\w-]+)", route.get("type") or "", re.I)
    return body, (m.group(1) if m else None)


def f1(pred: str, gold: str) -> float:
    p, g = Counter(TOKEN.findall(pred.lower())), Counter(TOKEN.findall(gold.lower()))
    overlap = sum((p & g).values())
    if not overlap:
        return 0.0
    prec, rec = overlap / sum(p.values()), overlap / sum(g.values())
    return 2 * prec * rec / (prec + rec)


def same_minute(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return a.utcoffset() == b.utcoffset() and a.replace(second=0, microsecond=0) == b.replace(
        second=0, microsecond=0
    )


def field_ok(field: str, value, gold) -> bool:  # type: ignore[no-untyped-def]
    """A field is right when a reader would see the same thing (tags ignore case, times the second)."""
    if field == "published":
        return same_minute(value, gold)
    if field in ("tags", "categories"):
        return {t.lower() for t in value or []} == {t.lower() for t in gold}
    if field == "title":
        return fold_ws(value or "") == fold_ws(gold)
    return (value or None) == (gold or None)


def entry_fields(entry, fields=FIELDS) -> dict:  # type: ignore[no-untyped-def]
    return {f: getattr(entry, f) for f in fields}


def traf_fields(html: str, url: str, timezone: str = "Asia/Makassar") -> dict:
    raw = trafilatura.extract(html, url=url, output_format="json", with_metadata=True)
    if not raw:
        return {}
    data = json.loads(raw)
    date = parse_date(data["date"], timezone) if data.get("date") else None
    tags = [t.strip() for t in re.split(r"[;,]", data.get("tags") or "") if t.strip()]
    return {
        "title": data.get("title"),
        "authors": [a.strip() for a in (data.get("author") or "").split(";") if a.strip()],
        "published": date,
        "canonical_url": data.get("source") or data.get("url"),
        "image": data.get("image"),
        "tags": tags,
        "dateline": None,
        "editor": None,
        "text": data.get("text") or "",
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--verbose", "-v", action="store_true", help="print every miss")
    opts = ap.parse_args()
    serve = _load_serve()
    sys.modules["corpus_serve"] = serve
    ours_ok: dict[str, list[bool]] = {f: [] for f in CORPUS_FIELDS}
    traf_ok: dict[str, list[bool]] = {f: [] for f in CORPUS_FIELDS}
    ours_f1, traf_f1, ours_ms, traf_ms, leaks = [], [], [], [], []
    n_articles = 0
    for truth_path in sorted((CORPUS / "truth").glob("*.json")):
        truth = json.loads(truth_path.read_text().replace("{{BASE}}", BASE))
        site_id = truth["site_id"]
        for state, data in truth["states"].items():
            site = serve.Site(site_id, state)
            for art in data["articles"]:
                if art.get("http_status", 200) != 200:
                    continue
                n_articles += 1
                pages = []
                url = art["url"]
                traf_text = []
                tf = {}
                for _ in range(10):
                    got = fetch(site, url)
                    if got is None:
                        break
                    body, charset = got
                    t0 = time.perf_counter()
                    html = decode_html(body, charset)
                    entry = extract_article(html, url, timezone="Asia/Makassar")
                    ours_ms.append((time.perf_counter() - t0) * 1000)
                    t0 = time.perf_counter()
                    plain = trafilatura.extract(html, url=url)
                    traf_ms.append((time.perf_counter() - t0) * 1000)
                    traf_text.append(plain or "")
                    if not pages:
                        tf = traf_fields(html, url)
                    pages.append(entry)
                    url = next_page_url(html, url)
                    if not url:
                        break
                entry = merge_pages(pages)
                gold_pub = parse_date(art["published"], "Asia/Makassar")
                gold = {
                    "title": art["title"],
                    "authors": [art["author"]] if art.get("author") else [],
                    "published": gold_pub,
                    "canonical_url": art["canonical_url"],
                    "image": art.get("lead_image"),
                    "tags": art.get("tags") or [],
                    "dateline": art.get("dateline"),
                    "editor": art.get("editor"),
                    "categories": art.get("categories") or [],
                }
                ours = entry_fields(entry, CORPUS_FIELDS)
                for name, store, values in (("ours", ours_ok, ours), ("trafilatura", traf_ok, tf)):
                    for f in CORPUS_FIELDS:
                        v, g = values.get(f), gold[f]
                        ok = field_ok(f, v, g)
                        store[f].append(ok)
                        if not ok and opts.verbose and name == "ours":
                            print(f"  MISS {art['id']} [{state}] {f}: {v!r} != {g!r}")
                gold_text = "\n".join(art["body"])
                ours_f1.append(f1(entry.content_text, gold_text))
                traf_f1.append(f1("\n".join(traf_text), gold_text))
                if opts.verbose and ours_f1[-1] < 0.98:
                    print(f"  F1 {art['id']} [{state}] {ours_f1[-1]:.3f}")
                low = entry.content_text.lower()
                leak = []
                if art.get("dateline") and art["dateline"].lower() in low:
                    leak.append("dateline")
                if art.get("author_raw") and art["author_raw"].lower() in low:
                    leak.append("byline")
                if "baca juga" in low:
                    leak.append("baca juga")
                if leak:
                    leaks.append(f"{art['id']} [{state}]: {', '.join(leak)}")

    print(f"articles: {n_articles} (all sites and states; multi-page articles merged)")
    print(f"{'field':<16}{'ours':>8}{'trafilatura':>14}")
    for f in CORPUS_FIELDS:
        print(
            f"{f:<16}{sum(ours_ok[f]) / len(ours_ok[f]):>8.3f}{sum(traf_ok[f]) / len(traf_ok[f]):>14.3f}"
        )
    print(
        f"{'body F1 (mean)':<16}{statistics.mean(ours_f1):>8.3f}{statistics.mean(traf_f1):>14.3f}"
    )
    print(f"{'body F1 (min)':<16}{min(ours_f1):>8.3f}{min(traf_f1):>14.3f}")
    print(
        f"{'ms/page (median)':<16}{statistics.median(ours_ms):>8.2f}{statistics.median(traf_ms):>14.2f}"
    )
    print(
        f"time ratio ours/trafilatura: {statistics.median(ours_ms) / statistics.median(traf_ms):.2f}"
    )
    print(f"leaks in bodies: {len(leaks)}")
    for line in leaks:
        print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
