"""Fan-out throughput: our delivery queue + workers against a raw sign-and-POST loop.

    .venv/bin/python bench/fanout.py [--followers 2000] [--hosts 200] [--articles 10]
                                     [--workers 16] [--rounds 3] [--db postgresql://…]

2,000 followers spread over 200 inbox hosts (distinct ports on 127.0.0.1, all answered by one
aiohttp child process). Each article becomes one Create per shared inbox (200 requests), so 10
articles are 2,000 deliveries. "syndicate" times the real path: article events -> activities
-> delivery rows -> claimed by the workers -> signed (cavage) -> POSTed -> results written back.
"raw" signs and POSTs the same bodies to the same inboxes with the same concurrency and the
same HTTP client settings, with no database. Prints deliveries/s for both and the ratio (goal ≥ 0.7).

Loopback timings swing with whatever else the machine is doing, so the two are interleaved:
each round queues fresh articles, and odd rounds run the raw loop first (on the previous
round's bodies). The ratio reported is the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syndicate.config import settings_from_dict  # noqa: E402
from syndicate.models import Entry  # noqa: E402
from syndicate.publish.activitypub import vocab  # noqa: E402
from syndicate.publish.activitypub.delivery import DeliveryService, body_of, process_events  # noqa: E402
from syndicate.publish.activitypub.signatures import sign_cavage  # noqa: E402
from syndicate.store import open_store  # noqa: E402

RECEIVER = textwrap.dedent(
    """
    import asyncio, sys
    from aiohttp import web
    async def inbox(request):
        await request.read()
        return web.Response(status=202)
    async def main(ports):
        app = web.Application()
        app.router.add_post("/inbox", inbox)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for p in ports:
            await web.TCPSite(runner, "127.0.0.1", p, backlog=1024).start()
        print("ready", flush=True)
        await asyncio.Event().wait()
    asyncio.run(main([int(p) for p in sys.argv[1:]]))
    """
)


SUMMARY = "Wali Kota Bitung memimpin rapat koordinasi penanganan banjir. " * 3


def free_ports(n: int) -> list[int]:
    import socket

    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


async def run_syndicate(state: SimpleNamespace, done_after: int) -> float:
    """Seconds until `done_after` deliveries (all rounds so far) are written back as done."""
    service = DeliveryService(state)
    await service.fed.key("detailnews")  # made once per source, ever: not part of a fan-out
    t0 = time.perf_counter()
    await asyncio.to_thread(process_events, service.fed)
    service.start()
    service.fed.wake()
    while True:
        counts = await asyncio.to_thread(state.store.delivery_counts)
        if counts.get("done", 0) >= done_after:
            break
        if counts.get("dead") or counts.get("gone"):
            raise SystemExit(f"deliveries failed: {counts}")
        await asyncio.sleep(0.05)
    seconds = time.perf_counter() - t0
    await service.stop()
    return seconds


async def run_raw(jobs: list[tuple[str, bytes]], private: str, key_id: str, workers: int) -> float:
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(30.0, connect=10.0),
        limits=httpx.Limits(
            max_connections=max(8, workers), max_keepalive_connections=max(8, workers)
        ),
        follow_redirects=False,
    )
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for j in jobs:
        queue.put_nowait(j)

    async def worker() -> None:
        while not queue.empty():
            inbox, body = queue.get_nowait()
            headers = sign_cavage(private, key_id, "POST", inbox, body)
            headers["Content-Type"] = vocab.AS_MEDIA
            resp = await client.post(inbox, content=body, headers=headers)
            assert resp.status_code == 202

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    seconds = time.perf_counter() - t0
    await client.aclose()
    return seconds


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--followers", type=int, default=2000)
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--articles", type=int, default=10)
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median reported)")
    ap.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = ap.parse_args()

    ports = free_ports(args.hosts)
    recv = subprocess.Popen(
        [sys.executable, "-c", RECEIVER, *map(str, ports)], stdout=subprocess.PIPE, text=True
    )
    assert recv.stdout and recv.stdout.readline().strip() == "ready"
    tmp = tempfile.TemporaryDirectory()
    db = args.db or f"sqlite:///{tmp.name}/bench.db"
    schema = None
    if db.startswith("postgresql"):  # a private schema, dropped afterwards
        import uuid

        import sqlalchemy as sa

        schema = "bench_" + uuid.uuid4().hex[:10]
        admin = sa.create_engine(db.replace("postgresql://", "postgresql+psycopg://", 1))
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        db += ("&" if "?" in db else "?") + f"options=-csearch_path%3D{schema}"
    settings = settings_from_dict(
        {
            "server": {"base_url": "http://127.0.0.1:9"},
            "storage": {"url": db},
            "federation": {
                "allow_private_networks": ["127.0.0.0/8"],
                "workers": args.workers,
                "delivery_lease": "5m",
            },
            "sources": [
                {"id": "detailnews", "name": "DetailNews", "url": "https://detailnews.id/"}
            ],
        }
    )
    store = open_store(db)
    state = SimpleNamespace(
        settings=settings, store=store, federation=None, node="local", beat=lambda *a: None
    )
    try:
        per_host = max(1, args.followers // args.hosts)
        for i in range(args.followers):
            port = ports[(i // per_host) % len(ports)]
            store.add_follower(
                "detailnews",
                f"http://127.0.0.1:{port}/users/u{i}",
                f"http://127.0.0.1:{port}/users/u{i}/inbox",
                f"http://127.0.0.1:{port}/inbox",
                None,
            )
        inboxes = store.delivery_inboxes("detailnews")
        total = len(inboxes) * args.articles
        print(
            f"{args.followers} followers on {len(inboxes)} inboxes, {args.articles} articles: "
            f"{total} deliveries, {args.workers} concurrent senders, {db.split(':', 1)[0]}, "
            f"{args.rounds} rounds"
        )
        private = ""  # the source's key is made by the first syndicate run
        key_id = vocab.Urls(settings.server.base_url).key_id("detailnews")
        seen: set[str] = set()
        jobs: list[tuple[str, bytes]] = []
        ours_rates, raw_rates, ratios = [], [], []
        for rnd in range(args.rounds):
            now = datetime.now(UTC)
            for n in range(args.articles):
                store.upsert_entry(
                    "detailnews",
                    Entry(
                        url=f"https://detailnews.id/berita/{rnd}-{n}",
                        title=f"Berita Bitung nomor {rnd}-{n}",
                        summary=SUMMARY,
                        tags=["Bitung", "Banjir"],
                        image=f"https://detailnews.id/img/{rnd}-{n}.jpg",
                        published=now - timedelta(minutes=n),
                    ),
                )
            raw_first = rnd % 2 == 1  # interleave, so drift in machine load hits both alike
            if raw_first:
                raw = await run_raw(jobs, private, key_id, args.workers)
            ours = await run_syndicate(state, total * (rnd + 1))
            private, _ = store.ap_key("detailnews") or ("", "")
            # The raw loop sends exactly the bodies we queued, to the same inboxes.
            rows = [r for r in store.deliveries() if r["activity_id"] not in seen]
            seen.update(r["activity_id"] for r in rows)
            bodies = {
                aid: body_of(store.activity(aid) or {}) for aid in {r["activity_id"] for r in rows}
            }
            jobs = [(r["inbox"], bodies[r["activity_id"]]) for r in rows]
            if not raw_first:
                raw = await run_raw(jobs, private, key_id, args.workers)
            ours_rate, raw_rate = total / ours, len(jobs) / raw
            ours_rates.append(ours_rate)
            raw_rates.append(raw_rate)
            ratios.append(ours_rate / raw_rate)
            first = "raw first" if raw_first else "syndicate first"
            print(
                f"round {rnd + 1} ({first}): syndicate {ours:.2f}s = {ours_rate:,.0f}/s, "
                f"raw {raw:.2f}s = {raw_rate:,.0f}/s, ratio {ours_rate / raw_rate:.2f}"
            )
        print(f"syndicate: {statistics.median(ours_rates):,.0f} deliveries/s (median)")
        print(f"raw loop : {statistics.median(raw_rates):,.0f} POSTs/s (median)")
        print(f"ratio    : {statistics.median(ratios):.2f} (median of {len(ratios)}; goal >= 0.70)")
    finally:
        store.close()
        if schema:
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()
        recv.terminate()
        recv.wait(5)
        tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
