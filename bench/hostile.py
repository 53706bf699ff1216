"""Hostile-input costs (issue 12), each against a baseline measured in the same run.

    .venv/bin/python bench/hostile.py [--tags 6000] [--unknown 20]

1. Rendering one article with N tags: the feed renderer now (one feedgen category() call,
   at most 50 tags) against the previous way (one category() call per tag, all tags; feedgen
   rebuilds its RSS list on every call, so it is quadratic). Ratio = before / after.
2. /healthz latency on a live server (uvicorn on loopback, its own process) while N concurrent
   requests ask for unknown tags (pages and feeds), against /healthz on the idle server.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from feedgen.feed import FeedGenerator  # noqa: E402

from syndicate.models import Article  # noqa: E402
from syndicate.publish.feeds import FeedInfo, render  # noqa: E402


def article(tags: int) -> Article:
    now = datetime(2026, 1, 5, tzinfo=UTC)
    return Article(
        id="0123456789abcdef",
        source_id="site",
        url="https://site.example/a",
        canonical_url="https://site.example/a",
        title="Judul",
        published=now,
        summary="Ringkasan",
        content_html="<p>Isi</p>",
        content_text="Isi",
        tags=[f"tag {i}" for i in range(tags)],
        first_seen=now,
    )


def render_before(a: Article) -> bytes:
    """The previous per-tag loop, everything else as feedgen needs it."""
    fg = FeedGenerator()
    fg.id("http://x.example/")
    fg.title("t")
    fg.link(href="http://x.example/", rel="alternate")
    fg.description("d")
    fe = fg.add_entry()
    fe.id(a.id)
    fe.title(a.title)
    fe.link(href=a.url)
    for tag in a.tags:
        fe.category(term=tag, label=tag)
    return fg.rss_str()


def render_after(a: Article) -> bytes:
    info = FeedInfo(
        key="site",
        title="t",
        description="d",
        base_url="http://x.example",
        home_url="http://x.example/",
    )
    return render(info, [a], "rss")


def best_of(fn, arg, rounds: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - t)
    return min(times)


SERVER = """
import sys, uvicorn
from syndicate.config import settings_from_dict
from syndicate.store import open_store
from syndicate.web.app import create_app
from syndicate.models import Entry
from datetime import datetime, UTC
port, db = int(sys.argv[1]), sys.argv[2]
s = settings_from_dict({"server": {"base_url": f"http://127.0.0.1:{port}", "port": port},
    "sources": [{"id": "site", "name": "Site", "url": "https://site.example/", "kind": "feed"}]})
store = open_store(f"sqlite:///{db}")
for i in range(int(sys.argv[3])):
    store.upsert_entry("site", Entry(url=f"https://site.example/{i}", title=f"Judul {i}",
        content_text="isi " * 200, content_html="<p>" + "isi " * 200 + "</p>",
        published=datetime(2026, 1, 1, tzinfo=UTC), tags=[f"t{i % 40}"]))
uvicorn.run(create_app(s, store), host="127.0.0.1", port=port, log_level="warning")
"""


async def healthz_latency(port: int, unknown: int, rounds: int = 10) -> tuple[float, float]:
    import httpx

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        idle = []
        for _ in range(rounds):
            t = time.perf_counter()
            await client.get("/healthz")
            idle.append(time.perf_counter() - t)
        loaded = []
        for r in range(rounds):
            probes = [
                client.get(f"/tags/unknown{r}x{i}" if i % 2 else f"/feeds/tag/unknown{r}x{i}.rss")
                for i in range(unknown)
            ]
            tasks = [asyncio.ensure_future(p) for p in probes]
            await asyncio.sleep(0.01)
            t = time.perf_counter()
            await client.get("/healthz")
            loaded.append(time.perf_counter() - t)
            await asyncio.gather(*tasks)
    return statistics.median(idle), max(loaded)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tags", type=int, default=6000)
    ap.add_argument("--unknown", type=int, default=20)
    ap.add_argument("--articles", type=int, default=5000)
    ap.add_argument(
        "--server-tree", help="serve from another checkout (e.g. the code before issue 12)"
    )
    args = ap.parse_args()
    a = article(args.tags)
    before, after = best_of(render_before, a), best_of(render_after, a)
    print(
        f"render 1 article with {args.tags} tags: before {before * 1000:.0f} ms, "
        f"after {after * 1000:.1f} ms, ratio {before / after:.0f}x"
    )
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        import os

        env = {**os.environ, "PYTHONPATH": args.server_tree} if args.server_tree else None
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port), f"{tmp}/b.db", str(args.articles)],
            cwd=args.server_tree or HERE.parent,
            env=env,
        )
        try:
            import httpx

            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                raise SystemExit("the server did not start within 300 s")
            idle, loaded = asyncio.run(healthz_latency(port, args.unknown))
            print(
                f"/healthz: idle median {idle * 1000:.1f} ms; worst with {args.unknown} "
                f"concurrent unknown-tag requests ({args.articles} articles) {loaded * 1000:.1f} ms; "
                f"ratio {loaded / idle:.1f}x"
            )
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
