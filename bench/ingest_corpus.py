"""Ingest accuracy on the offline corpus with `kind = "auto"`: found, tags and lifecycle per site.

    .venv/bin/python bench/ingest_corpus.py [--site SITE ...] [--verbose]

Each site is served with tests/corpus/serve.py, state after state, on one port; every state gets
two passes (a removal is confirmed by a second 404/410 or not-found page). Scores per site:
- found: truth articles stored, over truth articles (summed over states); an article stored twice
  or a stored page that is not in the truth counts against it;
- tags, categories: found articles whose stored tags (categories) equal the truth's, as sets;
- lifecycle: corrections (an `updated` event in the state that corrects it) and removals (a
  `removed` event) noticed, over those the truth lists; a spurious updated/removed event counts
  against it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syndicate.config import settings_from_dict  # noqa: E402
from syndicate.ingest.runner import make_fetcher, run_sources  # noqa: E402
from syndicate.normalize.urls import canonicalize_url  # noqa: E402
from syndicate.store import open_store  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(site: str, state: str, port: int) -> subprocess.Popen:
    cmd = [sys.executable, str(CORPUS / "serve.py"), "--site", site, "--state", state]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # the URL line: the server is listening
    return proc


def truth(site: str, base: str) -> dict:
    raw = (CORPUS / "truth" / f"{site}.json").read_text(encoding="utf-8")
    return json.loads(raw.replace("{{BASE}}", base))


def one_pass(settings, store) -> list:  # type: ignore[no-untyped-def]
    async def go() -> list:
        async with make_fetcher(settings, store) as fetcher:
            return await run_sources(settings, store, fetcher=fetcher)

    return asyncio.run(go())


def score_site(site: str, verbose: bool) -> dict[str, tuple[int, int]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    states = truth(site, base)["states"]
    counts = {"found": [0, 0], "tags": [0, 0], "categories": [0, 0], "lifecycle": [0, 0]}
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/bench.db")
        settings = settings_from_dict(
            {
                "storage": {"url": store.url},
                "fetch": {"per_host_delay": 0.005},
                "sources": [{"id": site, "name": site, "url": base + "/"}],
            }
        )
        try:
            for state, st in states.items():
                proc = serve(site, state, port)
                try:
                    last = store.last_event_id()
                    results = one_pass(settings, store) + one_pass(settings, store)
                finally:
                    proc.terminate()
                    proc.wait(5)
                for r in results:
                    if r.failed and verbose:
                        print(f"  {site} {state}: pass failed: {r.error}")
                arts = store.latest_articles([site], limit=1000)
                by_key: dict[str, list] = {}
                for a in arts:
                    by_key.setdefault(a.canonical_url, []).append(a)
                want = {canonicalize_url(a["canonical_url"]): a for a in st["articles"]}
                extra = [k for k in by_key if k not in want]
                twice = sum(len(v) - 1 for v in by_key.values())
                got = [k for k in want if k in by_key]
                counts["found"][0] += len(got)
                counts["found"][1] += len(want) + len(extra) + twice
                for k in got:
                    ok = {t.casefold() for t in by_key[k][0].tags} == {
                        t.casefold() for t in want[k]["tags"]
                    }
                    counts["tags"][0] += ok
                    counts["tags"][1] += 1
                    if verbose and not ok:
                        print(f"  {site} {state}: tags {by_key[k][0].tags} != {want[k]['tags']}")
                    got_cats = {c.casefold() for c in by_key[k][0].categories}
                    ok = got_cats == {c.casefold() for c in want[k].get("categories") or []}
                    counts["categories"][0] += ok
                    counts["categories"][1] += 1
                    if verbose and not ok:
                        cats = (by_key[k][0].categories, want[k].get("categories"))
                        print(f"  {site} {state}: categories {cats[0]} != {cats[1]}")
                events = store.events_after(last)
                every = store.latest_articles([site], limit=1000, include_removed=True)
                urls = {a.id: a.canonical_url for a in every}
                updated = {urls.get(e.article_id) for e in events if e.kind.value == "updated"}
                removed = {urls.get(e.article_id) for e in events if e.kind.value == "removed"}
                fixed = {k for k, a in want.items() if a.get("change") == "corrected"}
                gone = {canonicalize_url(r["url"]) for r in st.get("removed", [])}
                hits = len(fixed & updated) + len(gone & removed)
                spurious = len(updated - fixed) + len(removed - gone)
                counts["lifecycle"][0] += hits
                counts["lifecycle"][1] += len(fixed) + len(gone) + spurious
                if verbose:
                    for k in sorted(set(want) - set(by_key)):
                        print(f"  {site} {state}: not found {k}")
                    for k in extra:
                        print(f"  {site} {state}: not in truth {k}")
                    for k in sorted((fixed - updated) | (gone - removed)):
                        print(f"  {site} {state}: change missed {k}")
                    for k in sorted((updated - fixed) | (removed - gone)):
                        print(f"  {site} {state}: spurious change {k}")
        finally:
            store.close()
    return {k: (v[0], v[1]) for k, v in counts.items()}


def _cells(counts: dict[str, tuple[int, int]]) -> list[str]:
    widths = {"found": 7, "tags": 7, "categories": 10, "lifecycle": 9}
    return [f"{ratio(counts[k]):>{w}.3f}" for k, w in widths.items()]


def ratio(pair: tuple[int, int]) -> float:
    return pair[0] / pair[1] if pair[1] else 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", action="append", help="only these sites (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    args = parser.parse_args()
    sites = args.site or sorted(p.stem for p in (CORPUS / "truth").glob("*.json"))
    total = {"found": [0, 0], "tags": [0, 0], "categories": [0, 0], "lifecycle": [0, 0]}
    print(f"{'site':<15} {'found':>7} {'tags':>7} {'categories':>10} {'lifecycle':>9}")
    for site in sites:
        counts = score_site(site, args.verbose)
        for k, (a, b) in counts.items():
            total[k][0] += a
            total[k][1] += b
        print(f"{site:<15} " + " ".join(_cells(counts)))
    print(f"{'all':<15} " + " ".join(_cells({k: (v[0], v[1]) for k, v in total.items()})))
    return 0


if __name__ == "__main__":
    sys.exit(main())
