"""Main-text extraction on real pages from the open web: syndicate vs trafilatura, same run.

    .venv/bin/python bench/extraction_public.py --data /work/trafeval [--limit N] [--losses 40]

Data: trafilatura's evaluation set (990 pages in many languages, each with snippets the main text
must and must not contain). It is 136 MB and never committed; get it with

    git clone --depth 1 https://github.com/adbar/trafilatura /tmp/trafilatura
    mkdir -p DIR && git --git-dir=/tmp/trafilatura/.git archive HEAD \\
        tests/eval tests/cache tests/evaldata.json | tar -x -C DIR

Scoring is trafilatura's own (tests/eval_common.py): whitespace-normalised substring matching,
a kept "with" snippet is a true positive, a missed one a false negative, a kept "without" snippet
a false positive, a dropped one a true negative. Files resolve cache/ first, then eval/, as there.
trafilatura runs with its benchmark options (include_tables=True, no comments, no formatting),
once by default and once with favor_precision. Time is wall and CPU time per page, measured around each
extractor call in the same process, interleaved page by page so machine load hits both alike.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from syndicate.normalize.encoding import decode_html  # noqa: E402
from syndicate.normalize.extract import extract_article  # noqa: E402

HOWTO = __doc__.split("Data:", 1)[1].split("Scoring", 1)[0].strip()
OPTS = {"include_comments": False, "include_tables": True, "include_formatting": False}


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def ours(html: bytes, url: str) -> str:
    entry = extract_article(decode_html(html, None), url)
    return entry.content_text


def traf_default(html: bytes, url: str) -> str | None:
    return trafilatura.extract(html, url=url, **OPTS)


def traf_precision(html: bytes, url: str) -> str | None:
    return trafilatura.extract(html, url=url, favor_precision=True, **OPTS)


RUNNERS = {
    "syndicate": ours,
    "trafilatura": traf_default,
    "trafilatura precision": traf_precision,
}


def count(item: dict, result: str | None) -> tuple[int, int, int, int]:
    res = norm(result or "")
    tp = sum(1 for w in item["with"] if norm(w) in res)
    fp = sum(1 for w in item["without"] if norm(w) in res)
    return tp, fp, len(item["with"]) - tp, len(item["without"]) - fp


def scores(c: list[int]) -> tuple[float, float, float, float]:
    tp, fp, fn, tn = c
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    acc = (tp + tn) / sum(c) if sum(c) else 0.0
    f = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return p, r, f, acc


def resolve(data: Path, name: str) -> Path | None:
    for sub in ("cache", "eval"):
        p = data / sub / name
        if p.is_file():
            return p
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("/work/trafeval"), help="evaluation set dir")
    ap.add_argument("--limit", type=int, default=0, help="only the first N pages (sorted by URL)")
    ap.add_argument("--losses", type=int, default=40, help="how many lossy pages to list")
    ap.add_argument("--only-ours", action="store_true", help="skip trafilatura (quick iteration)")
    ap.add_argument("--json", type=Path, help="write per-page results here")
    opts = ap.parse_args()
    evalfile = opts.data / "tests" / "evaldata.json"
    if not evalfile.exists():
        evalfile = opts.data / "evaldata.json"
    if not evalfile.exists():
        print(f"no evaluation set under {opts.data}.\n{HOWTO}", file=sys.stderr)
        return 2
    here = evalfile.parent
    evaldata = json.loads(evalfile.read_text(encoding="utf-8"))
    urls = sorted(evaldata)
    if opts.limit:
        urls = urls[: opts.limit]
    runners = {"syndicate": ours} if opts.only_ours else RUNNERS
    totals = {name: [0, 0, 0, 0] for name in runners}
    secs = dict.fromkeys(runners, 0.0)
    cpu = dict.fromkeys(runners, 0.0)
    errors: dict[str, int] = dict.fromkeys(runners, 0)
    # Warm up outside the clock (imports, language model, trafilatura's caches), as
    # trafilatura's own evaluation does.
    for url in urls[:3]:
        path = resolve(here, evaldata[url]["file"])
        if path is not None:
            for fn in runners.values():
                fn(path.read_bytes(), url)
    pages = []
    for url in urls:
        item = evaldata[url]
        path = resolve(here, item["file"])
        if path is None:
            continue
        html = path.read_bytes()
        row = {"url": url, "file": item["file"]}
        for name, fn in runners.items():
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                result = fn(html, url)
            except Exception as exc:  # a crash is a full miss, as in trafilatura's own run
                result = None
                errors[name] += 1
                if errors[name] == 1:
                    print(f"{name}: {url}: {type(exc).__name__}: {exc}", file=sys.stderr)
            secs[name] += time.perf_counter() - t0
            cpu[name] += time.process_time() - c0
            c = count(item, result)
            totals[name] = [a + b for a, b in zip(totals[name], c, strict=True)]
            row[name] = c
            if name == "syndicate":
                res = norm(result or "")
                row["missed"] = [w for w in item["with"] if norm(w) not in res]
                row["kept"] = [w for w in item["without"] if norm(w) in res]
                row["chars"] = len(res)
        pages.append(row)
    n = len(pages)
    print(f"pages: {n} (trafilatura {trafilatura.__version__})")
    print(
        f"{'extractor':<24}{'P':>7}{'R':>7}{'F1':>7}{'acc':>7}{'ms/page':>9}{'cpu ms':>8}  errors"
    )
    for name in runners:
        p, r, f, acc = scores(totals[name])
        ms = secs[name] / max(n, 1) * 1000
        cms = cpu[name] / max(n, 1) * 1000
        print(
            f"{name:<24}{p:>7.3f}{r:>7.3f}{f:>7.3f}{acc:>7.3f}{ms:>9.1f}{cms:>8.1f}  {errors[name]}"
        )
    if not opts.only_ours:
        best = max(("trafilatura", "trafilatura precision"), key=lambda k: scores(totals[k])[2])
        f_ours, f_best = scores(totals["syndicate"])[2], scores(totals[best])[2]
        ratio = secs["syndicate"] / secs[best] if secs[best] else 0.0
        cratio = cpu["syndicate"] / cpu[best] if cpu[best] else 0.0
        print(
            f"syndicate - best trafilatura ({best}): F1 {f_ours - f_best:+.3f}, "
            f"time ratio {ratio:.2f} wall, {cratio:.2f} CPU (goal: F1 >= +0.000 at <= 0.70)"
        )
    lossy = [r for r in pages if r["missed"] or r["kept"]]
    lossy.sort(key=lambda r: -(len(r["missed"]) + len(r["kept"])))
    print(f"\npages with a loss: {len(lossy)}; the {min(opts.losses, len(lossy))} worst:")
    for r in lossy[: opts.losses]:
        other = r.get("trafilatura")
        vs = f" traf fn={other[2]} fp={other[1]}" if other else ""
        print(f"- {r['file']} chars={r['chars']}{vs} {r['url']}")
        for w in r["missed"]:
            print(f"    missed: {norm(w)[:90]}")
        for w in r["kept"]:
            print(f"    kept:   {norm(w)[:90]}")
    if opts.json:
        opts.json.write_text(json.dumps(pages, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
