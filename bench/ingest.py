"""Ingest throughput: S loopback feed sources (distinct ports, K full-text items each, strong
ETags and 304s), three passes — first, unchanged, 10 % of items changed — on an empty database
and on one with N articles already stored (the ratio is the cost of a big database), then the
per-article near-duplicate folding cost at 1k / 10k / 100k stored articles, and optionally the
RSS of a real `syndicate run` with S sources and N stored articles.

    .venv/bin/python bench/ingest.py                    # S=200 K=20 N=100000, 5 pairs: ~8 min
    .venv/bin/python bench/ingest.py --sources 50 --stored 10000 --rss

The N stored articles: half of 50 other sources within +-3 days of the feeds' items (band-index
neighbours of every new article), half the benched sources' own archive of the month before.
Each (empty, N) pair of pass trios runs on fresh copies of two template databases; --repeat
pairs are interleaved, alternating which side goes first, and the summary is the median of the
per-pair ratios, wall and CPU (a neighbour's load that hits one side of one pair moves no
median). The unchanged pass, half a second, runs three times per trio (its median).

The feed farm runs in a child process (one asyncio loop, S listening sockets, every feed body
made before the first pass), so the process CPU time printed beside wall time is syndicate's own
work (the event loop and the store's writer thread): on a shared machine wall time is inflated,
CPU time much less.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synthetic import entry, plant_articles, story_text  # noqa: E402
from syndicate.config import settings_from_dict  # noqa: E402
from syndicate.ingest.runner import make_fetcher, run_sources, store_entry  # noqa: E402
from syndicate.store import open_store  # noqa: E402

# ---- the feed farm (child process) -----------------------------------------------------------


def feed_xml(port: int, items: int, generation: int) -> bytes:
    rng = random.Random(port)
    now = datetime(2026, 3, 10, 9, tzinfo=UTC)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Portal {port}</title><link>http://127.0.0.1:{port}/</link>"
        "<description>bench</description>"
    ]
    for i in range(items):
        text = story_text(rng, 300)
        # From generation 1 on, 10 % of the items carry a correction.
        if generation and i % 10 == 0:
            text += f"\n\nRalat {generation}: angka diperbaiki."
        paras = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
        published = format_datetime(now - timedelta(minutes=7 * i + port % 60))
        parts.append(
            f"<item><title>Berita {port} nomor {i}</title>"
            f"<link>http://127.0.0.1:{port}/{i}.html</link><guid>p{port}-{i}</guid>"
            f"<pubDate>{published}</pubDate><description>{text[:200]}</description>"
            f"<content:encoded><![CDATA[{paras}]]></content:encoded></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def farm(ports: list[int], items: int) -> None:
    generation = 0
    cache: dict[tuple[int, int], tuple[bytes, str]] = {}

    def body(port: int) -> tuple[bytes, str]:
        key = (port, generation)
        if key not in cache:
            data = feed_xml(port, items, generation)
            cache[key] = (data, '"' + hashlib.sha256(data).hexdigest()[:20] + '"')
        return cache[key]

    def switch(signum: int, _frame: object) -> None:
        nonlocal generation
        generation = 1 if signum == signal.SIGUSR1 else 0

    signal.signal(signal.SIGUSR1, switch)
    signal.signal(signal.SIGUSR2, switch)

    async def handle(port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {
                    k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])
                }
                if path == "/robots.txt":
                    status, data, extra = "404 Not Found", b"", ""
                else:
                    data, etag = body(port)
                    if headers.get("if-none-match") == etag:
                        status, data, extra = "304 Not Modified", b"", f"ETag: {etag}\r\n"
                    else:
                        status = "200 OK"
                        extra = (
                            f"ETag: {etag}\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
                        )
                writer.write(
                    f"HTTP/1.1 {status}\r\n{extra}Content-Length: {len(data)}\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        # Bound first (free_ports() only reserved the numbers: another process may take one),
        # then both generations made before "ready": the farm's own CPU must not delay
        # answers (and turn into connect timeouts) while a pass is being measured.
        for p in ports:
            await asyncio.start_server(lambda r, w, p=p: handle(p, r, w), "127.0.0.1", p)
        nonlocal generation
        for gen in (1, 0):
            generation = gen
            for p in ports:
                body(p)
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


# ---- the measuring side ----------------------------------------------------------------------


def free_ports(n: int) -> list[int]:
    import socket

    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def config(db: str, ports: list[int]) -> dict:
    return {
        "storage": {"url": db},
        "fetch": {"per_host_delay": 0, "timeout": "30s"},
        "defaults": {"content": "full"},
        "sources": [
            {
                "id": f"p{port}",
                "name": f"Portal {port}",
                "url": f"http://127.0.0.1:{port}/",
                "kind": "feed",
                "feed_url": f"http://127.0.0.1:{port}/feed.xml",
                "interval": "30s",
            }
            for port in ports
        ],
    }


def timed_pass(settings, store) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    async def go() -> list:
        async with make_fetcher(settings, store) as fetcher:
            return await run_sources(settings, store, fetcher=fetcher)

    gc.collect()  # not the previous pass's garbage collected inside this one's timing
    wall, cpu = time.perf_counter(), time.process_time()
    results = asyncio.run(go())
    failed = sum(1 for r in results if r.failed)
    return time.perf_counter() - wall, time.process_time() - cpu, failed


def count(store) -> int:  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM articles").scalar_one())


PASSES = ("first", "unchanged", "changed")
AROUND = datetime(2026, 3, 10, 9, tzinfo=UTC)


class Farm:
    """The feed farm child: S ports; generation 0 (as first served) or 1 (10 % corrected)."""

    def __init__(self, sources: int, items: int) -> None:
        self.ports = free_ports(sources)
        self.child = subprocess.Popen(
            [sys.executable, __file__, "--farm", ",".join(map(str, self.ports))]
            + ["--items", str(items)],
            stdout=subprocess.PIPE,
        )
        assert self.child.stdout is not None
        if self.child.stdout.readline() != b"ready\n":
            raise SystemExit("the feed farm did not start (a port taken? see its traceback)")

    def generation(self, gen: int) -> None:
        self.child.send_signal(signal.SIGUSR1 if gen else signal.SIGUSR2)
        time.sleep(0.2)

    def close(self) -> None:
        self.child.terminate()
        self.child.wait(5)


def template(path: Path, stored: int, owners: list[str]) -> None:
    """A migrated database with `stored` articles: half of 50 other sources published within
    +-3 days of the feeds' items (every one a band-index neighbour of a new article), half the
    benched sources' own archive of the 30 days before (source-wide queries: removal windows,
    health, newest article). Checkpointed, so a copy starts with an empty WAL."""
    store = open_store(f"sqlite:///{path}")
    if stored:
        plant_articles(store, stored - stored // 2, AROUND)
        plant_articles(store, stored // 2, AROUND, owners=owners, days=(-31, -1), prefix="o")
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


UNCHANGED_RUNS = 3


def pass_once(settings, store, label: str, name: str, items: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """One timed pass, printed; (items/s wall, items per CPU second)."""
    sources = len(settings.sources)
    before = count(store)
    wall, cpu, failed = timed_pass(settings, store)
    n = sources * items if name == "first" else sources * items // 10
    print(
        f"  {label:>10} {name:<9} stored before {before:>7}: {wall:6.2f} s wall, "
        f"{cpu:6.2f} s cpu, {n / wall:7.1f} items/s wall, {n / cpu:7.1f} items/cpu-s, "
        f"{failed} failed",
        flush=True,
    )
    return n / wall, n / cpu


def trio(farm: Farm, items: int, path: Path, label: str) -> dict[str, float]:
    """The three passes on a fresh copy of a template database."""
    db = path.with_name("run.db")
    for old in path.parent.glob("run.db*"):
        old.unlink()
    shutil.copy(path, db)  # with its owner-only mode
    store = open_store(f"sqlite:///{db}")
    settings = settings_from_dict(config(f"sqlite:///{db}", farm.ports))
    out: dict[str, float] = {}
    farm.generation(0)
    for name in PASSES:
        if name == "changed":
            farm.generation(1)
        # The unchanged pass (half a second at 200 sources) three times: its median.
        times = UNCHANGED_RUNS if name == "unchanged" else 1
        runs = [pass_once(settings, store, label, name, items) for _ in range(times)]
        out[name] = statistics.median(r[0] for r in runs)
        out[name + " cpu"] = statistics.median(r[1] for r in runs)
    store.close()
    return out


def passes(sources: int, items: int, stored: int, repeat: int, tmp: str) -> None:
    """`repeat` pairs of trios (empty, N stored), interleaved and alternating which goes first:
    a neighbour's benchmark or a slow minute on a shared machine lands on both sides of some
    pairs, and the median of the per-pair ratios shrugs off the pairs it hit on one side."""
    farm = Farm(sources, items)
    try:
        owners = [f"p{port}" for port in farm.ports]
        empty, big = Path(tmp) / "empty.db", Path(tmp) / "big.db"
        template(empty, 0, owners)
        started = time.perf_counter()
        template(big, stored, owners)
        print(f"  ({stored} articles planted in {time.perf_counter() - started:.0f} s)")
        # Warm-up (imports, compiled patterns, caches): not a measured pair's first trio.
        warm = settings_from_dict(config(f"sqlite:///{tmp}/warm.db", farm.ports[:10]))
        timed_pass(warm, open_store(f"sqlite:///{tmp}/warm.db"))
        runs: dict[str, list[dict[str, float]]] = {"empty": [], "big": []}
        for i in range(repeat):
            order = ("empty", "big") if i % 2 == 0 else ("big", "empty")
            for side in order:
                label = f"{'empty' if side == 'empty' else stored} #{i + 1}"
                runs[side].append(trio(farm, items, empty if side == "empty" else big, label))
    finally:
        farm.close()
    print(f"median of {repeat} interleaved pairs ({stored} stored vs empty, same run):")
    for name in PASSES:
        line = [f"  {name:<9}"]
        for unit, key in (("wall", name), ("cpu", name + " cpu")):
            e = [r[key] for r in runs["empty"]]
            b = [r[key] for r in runs["big"]]
            # Time ratio of a pair = inverse ratio of its rates. "best": each side's fastest
            # run (load from elsewhere only ever slows a run down).
            ratios = [x / y for x, y in zip(e, b, strict=True)]
            line.append(
                f"{statistics.median(e):6.1f} -> {statistics.median(b):6.1f} items/s {unit} "
                f"x{statistics.median(ratios):.2f} (pairs {min(ratios):.2f}-{max(ratios):.2f}, "
                f"best x{max(e) / max(b):.2f})"
            )
        print(",  ".join(line))


def folding(sizes: list[int], tmp: str, articles: int = 50) -> dict[int, float]:
    rng = random.Random(3)
    out = {}
    for n in sizes:
        store = open_store(f"sqlite:///{tmp}/fold{n}.db")
        around = datetime(2026, 3, 10, 9, tzinfo=UTC)
        plant_articles(store, n, around)
        texts = [story_text(rng) for _ in range(articles)]
        started, cpu = time.perf_counter(), time.process_time()
        for i, text in enumerate(texts):
            store_entry(store, "new", entry(f"https://new.example/{i}", f"N {i}", text, around))
        per = (time.perf_counter() - started) / articles * 1000
        per_cpu = (time.process_time() - cpu) / articles * 1000
        out[n] = per_cpu
        print(
            f"  store + fold one new article with {n:>7} stored: {per:6.2f} ms wall, "
            f"{per_cpu:6.2f} ms cpu",
            flush=True,
        )
        store.close()
    return out


def rss(sources: int, items: int, stored: int, tmp: str) -> None:
    import httpx

    farm = Farm(sources, items)
    ports = farm.ports
    web = free_ports(1)[0]
    db = f"sqlite:///{tmp}/rss.db"
    template(Path(tmp) / "rss.db", stored, [f"p{port}" for port in ports])
    cfg = Path(tmp) / "rss.toml"
    import json

    data = config(db, ports)
    lines = [
        f'[server]\nport = {web}\nbase_url = "http://127.0.0.1:{web}"',
        f'[storage]\nurl = "{db}"',
        '[fetch]\nper_host_delay = "0s"',
    ]
    for src in data["sources"]:
        lines.append("[[sources]]\n" + "\n".join(f"{k} = {json.dumps(v)}" for k, v in src.items()))
    cfg.write_text("\n".join(lines) + "\n")
    svc = subprocess.Popen(
        [sys.executable, "-m", "syndicate", "--config", str(cfg), "run"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        peak = 0
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            time.sleep(1)
            status = Path(f"/proc/{svc.pid}/status").read_text()
            kb = int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1])
            peak = max(peak, kb)
            try:
                httpx.get(f"http://127.0.0.1:{web}/feeds/all.rss", timeout=10)
            except httpx.HTTPError:
                continue
            store = open_store(db, migrate_schema=False)
            done = count(store) >= stored + sources * items
            store.close()
            if done:
                break
        print(f"  syndicate run, {sources} sources, {stored} stored: peak RSS {peak / 1024:.0f} MB")
    finally:
        svc.send_signal(signal.SIGTERM)
        svc.wait(15)
        farm.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sources", type=int, default=200)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--stored", type=int, default=100_000)
    ap.add_argument(
        "--repeat", type=int, default=5, help="interleaved (empty, N stored) pairs (default 5)"
    )
    ap.add_argument("--rss", action="store_true", help="also measure `syndicate run`'s RSS")
    ap.add_argument("--no-passes", action="store_true")
    ap.add_argument("--no-fold", action="store_true", help="skip the folding cost at 1k-100k")
    ap.add_argument("--farm", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.farm:
        farm([int(p) for p in args.farm.split(",")], args.items)
        return
    print(f"bench/ingest.py: {args.sources} sources x {args.items} items (pid {os.getpid()})")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_passes:
            passes(args.sources, args.items, args.stored, args.repeat, tmp)
        if not args.no_fold:
            print("near-duplicate folding:")
            fold = folding([1_000, 10_000, 100_000], tmp)
            print(f"  ratio 100k / 1k stored: x{fold[100_000] / fold[1_000]:.2f} cpu")
        if args.rss:
            rss(args.sources, args.items, args.stored, tmp)


if __name__ == "__main__":
    main()
