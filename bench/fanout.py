"""Fan-out, end to end: a separate `syndicate fetch` stores new articles; our delivery service
(the code `syndicate run` runs) turns them into activities and sends them; against a raw
sign-and-POST loop to the same loopback inboxes in the same run.

    .venv/bin/python bench/fanout.py [--followers 2000] [--hosts 200] [--articles 5]
                                     [--workers 16] [--rounds 3] [--db postgresql://…]

2,000 followers on 200 inbox hosts (distinct ports on 127.0.0.1, answered by one aiohttp child
process that also counts the TCP connections it accepts). Each article is one Create per shared
inbox (200 requests), so 5 articles are 1,000 deliveries per round.

"syndicate" is timed from the moment the `syndicate fetch` process stored the round's first
article (its article_events row) to the moment the last delivery was written back as done:
event follower -> activities -> delivery rows -> claims -> signed (cavage) -> POSTed -> results.
"raw" signs and POSTs the same bodies to the same inboxes with the same number of concurrent
senders and the same per-host keep-alive clients (syndicate.http), with no database.

Loopback timings swing with whatever else the machine does, so the two are interleaved: odd
rounds run the raw loop first (on the previous round's bodies). Reported: the median of the
per-round ratios (goal >= 0.7), the connections each side opened per round, this process's CPU
time per delivery on each side (steadier than wall time on a shared machine; it leaves out the
fetch process and the database server), and the SQL statements the service's engine sent per
delivery (an executemany counts once; this script's own progress polls, four a second, count).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syndicate.config import load_settings  # noqa: E402
from syndicate.http import HostClients, build_client, client_spec  # noqa: E402
from syndicate.publish.activitypub import vocab  # noqa: E402
from syndicate.publish.activitypub.delivery import DeliveryService, body_of  # noqa: E402
from syndicate.publish.activitypub.signatures import sign_cavage  # noqa: E402
from syndicate.service import settle_heap  # noqa: E402
from syndicate.store import open_store  # noqa: E402
from syndicate.store.tables import ap_deliveries, article_events  # noqa: E402

RECEIVER = textwrap.dedent(
    """
    import asyncio, collections, sys
    from aiohttp import web
    seen = set()  # transports, kept alive so each is counted once: one per TCP connection
    count = [0]
    async def inbox(request):
        await request.read()
        seen.add(request.transport)
        count[0] += 1
        return web.Response(status=202)
    async def stats(request):
        per_port = collections.Counter(t.get_extra_info("sockname")[1] for t in seen)
        out = {"requests": count[0], "connections": len(seen),
               "max_per_host": max(per_port.values(), default=0)}
        seen.clear()
        count[0] = 0
        return web.json_response(out)
    async def main(ports):
        app = web.Application()
        app.router.add_post("/inbox", inbox)
        app.router.add_get("/stats", stats)
        runner = web.AppRunner(app, access_log=None, keepalive_timeout=75)
        await runner.setup()
        for p in ports:
            await web.TCPSite(runner, "127.0.0.1", p, backlog=1024).start()
        print("ready", flush=True)
        await asyncio.Event().wait()
    asyncio.run(main([int(p) for p in sys.argv[1:]]))
    """
)

POST = """---
title: "Berita Bitung nomor {n}: rapat koordinasi penanganan banjir"
author: redaksi
published: {published}
url: https://detailnews.id/berita/{n}
image: https://detailnews.id/img/{n}.jpg
tags: ["Bitung", "Banjir"]
language: id
---

{body}
"""
BODY = "Wali Kota Bitung memimpin rapat koordinasi penanganan banjir di kantor wali kota. " * 6


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


def receiver_stats(port: int) -> dict[str, int]:
    """Requests and connections the receiver saw since the last call (and reset them)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=10) as resp:
        return json.loads(resp.read())


def write_posts(folder: Path, first: int, count: int) -> None:
    for n in range(first, first + count):
        published = datetime.now().astimezone().isoformat(timespec="seconds")
        text = POST.format(n=n, published=published, body=BODY)
        (folder / f"post-{n:05d}.md").write_text(text, encoding="utf-8")


def syndicate_fetch(config: Path) -> None:
    """The separate ingest process: `syndicate fetch detailnews`."""
    out = subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", str(config), "fetch", "detailnews"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if out.returncode != 0:
        raise SystemExit(f"syndicate fetch failed: {out.stderr or out.stdout}")


async def run_syndicate(store, config: Path, expected: int, since_event: int) -> float:  # type: ignore[no-untyped-def]
    """Seconds from the fetch process storing the first new article to the last delivery done."""
    await asyncio.to_thread(syndicate_fetch, config)
    d = ap_deliveries
    while True:
        counts = await asyncio.to_thread(store.delivery_counts)
        if counts.get("dead") or counts.get("gone"):
            raise SystemExit(f"deliveries failed: {counts}")
        if counts.get("done", 0) >= expected:
            break
        # The time is read from the rows (finished_at), so polling often would only load the
        # machine the service shares with this loop.
        await asyncio.sleep(0.25)
    with store.engine.connect() as conn:
        stored = conn.execute(
            sa.select(sa.func.min(article_events.c.at)).where(article_events.c.id > since_event)
        ).scalar_one()
        last = conn.execute(sa.select(sa.func.max(d.c.finished_at))).scalar_one()
    return (last - stored).total_seconds()


async def run_raw(
    clients: HostClients, jobs: list[tuple[str, bytes]], private: str, key_id: str, workers: int
) -> float:
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for j in jobs:
        queue.put_nowait(j)

    async def worker() -> None:
        while not queue.empty():
            inbox, body = queue.get_nowait()
            headers = sign_cavage(private, key_id, "POST", inbox, body)
            headers["Content-Type"] = vocab.AS_MEDIA
            headers["Accept"] = vocab.AS_MEDIA
            resp = await clients.for_url(inbox).post(inbox, content=body, headers=headers)
            await resp.aclose()
            assert resp.status_code == 202, resp.status_code

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return time.perf_counter() - t0


class StatementCounter:
    """Statements the service's engine sends (an executemany, e.g. one event's 200 delivery
    rows, counts once: one call, one round trip)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: object) -> None:
        self.count += 1


def pg_schema(db: str) -> tuple[str, str, sa.Engine]:
    """A private schema for the run (dropped afterwards) and the URL that uses it."""
    import uuid

    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(db.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    return schema, db + ("&" if "?" in db else "?") + f"options=-csearch_path%3D{schema}", admin


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--followers", type=int, default=2000)
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--articles", type=int, default=5)
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
    root = Path(tmp.name)
    posts = root / "posts"
    posts.mkdir()
    db = args.db or f"sqlite:///{root}/bench.db"
    schema = admin = None
    if db.startswith("postgresql"):
        schema, db, admin = pg_schema(db)
    config = root / "config.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [server]
            base_url = "http://127.0.0.1:9"
            [storage]
            url = "{db}"
            [federation]
            allow_private_networks = ["127.0.0.0/8"]
            workers = {args.workers}
            delivery_lease = "5m"
            [[sources]]
            id = "detailnews"
            name = "DetailNews"
            url = "{posts}"
            kind = "folder"
            """
        ),
        encoding="utf-8",
    )
    settings = load_settings(config)
    store = open_store(db)
    state = SimpleNamespace(
        settings=settings,
        store=store,
        extras={},
        beat=lambda *a: None,
        node="bench",
        federation=None,
    )
    service = None
    raw_clients = None
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
        per_round = len(inboxes) * args.articles
        print(
            f"{args.followers} followers on {len(inboxes)} inboxes, {args.articles} articles per "
            f"round: {per_round} deliveries, {args.workers} concurrent senders, "
            f"{db.split(':', 1)[0]}, {args.rounds} rounds, {os.cpu_count()} CPUs"
        )
        # A source's first pass is a backfill (listed, never announced): one old post.
        write_posts(posts, 0, 1)
        await asyncio.to_thread(syndicate_fetch, config)

        service = DeliveryService(state)
        private, _ = await service.fed.key("detailnews")  # made once per source, ever
        key_id = vocab.Urls(settings.server.base_url).key_id("detailnews")
        service.start()
        # As `syndicate run` does once started: start-up's long-lived objects (modules, the
        # 2,000 followers' setup) leave the cyclic collector's reach, so a full collection
        # does not stall the event loop mid-round. Both sides run after it.
        settle_heap()
        spec = replace(client_spec(settings, "delivery"), max_connections=2)
        raw_clients = HostClients(lambda: build_client(spec), max_hosts=args.hosts * 2)

        seen: set[str] = set()
        jobs: list[tuple[str, bytes]] = []
        ours_rates, raw_rates, ratios, ours_conns, raw_conns = [], [], [], [], []
        cpu_ratios: list[float] = []
        sql = StatementCounter(store.engine)
        receiver_stats(ports[0])
        for rnd in range(args.rounds):
            raw_first = rnd % 2 == 1  # interleave, so drift in machine load hits both alike
            if raw_first:
                c0 = time.process_time()
                raw = await run_raw(raw_clients, jobs, private, key_id, args.workers)
                raw_cpu = time.process_time() - c0
                raw_stats = receiver_stats(ports[0])
            since = store.last_event_id()
            write_posts(posts, 1 + rnd * args.articles, args.articles)
            c0, s0 = time.process_time(), sql.count
            ours = await run_syndicate(store, config, per_round * (rnd + 1), since)
            ours_cpu, statements = time.process_time() - c0, sql.count - s0
            ours_stats = receiver_stats(ports[0])
            # The raw loop sends exactly the bodies we queued, to the same inboxes.
            rows = [r for r in store.deliveries() if r["activity_id"] not in seen]
            seen.update(r["activity_id"] for r in rows)
            bodies = {
                aid: body_of(store.activity(aid) or {}) for aid in {r["activity_id"] for r in rows}
            }
            jobs = [(r["inbox"], bodies[r["activity_id"]]) for r in rows]
            if not raw_first:
                c0 = time.process_time()
                raw = await run_raw(raw_clients, jobs, private, key_id, args.workers)
                raw_cpu = time.process_time() - c0
                raw_stats = receiver_stats(ports[0])
            ours_rate, raw_rate = per_round / ours, len(jobs) / raw
            ours_rates.append(ours_rate)
            raw_rates.append(raw_rate)
            ratios.append(ours_rate / raw_rate)
            ours_conns.append(ours_stats)
            # CPU of this process per delivery (the service and its threads vs the raw loop):
            # steadier than wall time on a shared machine, though it leaves out the fetch
            # process and the database server.
            cpu_ratios.append((raw_cpu / len(jobs)) / (ours_cpu / per_round))
            raw_conns.append(raw_stats)
            first = "raw first" if raw_first else "syndicate first"
            print(
                f"round {rnd + 1} ({first}): syndicate {ours:.2f}s = {ours_rate:,.0f}/s "
                f"({ours_stats['connections']} connections for {ours_stats['requests']} POSTs, "
                f"<= {ours_stats['max_per_host']} per host), raw {raw:.2f}s = {raw_rate:,.0f}/s "
                f"({raw_stats['connections']} connections), ratio {ours_rate / raw_rate:.2f}; "
                f"CPU {1000 * ours_cpu / per_round:.2f} vs {1000 * raw_cpu / len(jobs):.2f} ms per "
                f"delivery (ratio {cpu_ratios[-1]:.2f}), {statements / per_round:.2f} SQL "
                f"statements per delivery"
            )
        conns = statistics.median(s["connections"] for s in ours_conns)
        per_host_max = max(s["max_per_host"] for s in ours_conns)
        print(f"syndicate: {statistics.median(ours_rates):,.0f} deliveries/s (median)")
        print(f"raw loop : {statistics.median(raw_rates):,.0f} POSTs/s (median)")
        print(f"ratio    : {statistics.median(ratios):.2f} (median of {len(ratios)}; goal >= 0.70)")
        print(
            f"CPU ratio: {statistics.median(cpu_ratios):.2f} (raw / syndicate CPU per delivery, median)"
        )
        print(
            f"connections: {conns:.0f} per round for {per_round} deliveries (median), at most "
            f"{per_host_max} per inbox host (goal <= 2); raw loop "
            f"{statistics.median(s['connections'] for s in raw_conns):.0f}"
        )
    finally:
        if service is not None:
            await service.stop()
        if raw_clients is not None:
            await raw_clients.aclose()
        store.close()
        if schema and admin is not None:
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()
        recv.terminate()
        recv.wait(5)
        tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
