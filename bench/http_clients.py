"""Fan-out over many hosts: one pooled client (syndicate.http delivery-style pool) against
HostClients (one small keep-alive client per host), same run, same requests.

    .venv/bin/python bench/http_clients.py [--hosts 200] [--per-host 10] [--workers 16] [--rounds 3]

POSTs `per-host` rounds of one request to each of `hosts` loopback inboxes (distinct ports, one
aiohttp child process, the receiver of bench/fanout.py), `workers` at a time, as a fan-out
does. Prints requests/s for both and the ratio per-host / single (median of interleaved rounds).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fanout import RECEIVER, free_ports  # noqa: E402

from syndicate import http as factory  # noqa: E402


async def send_all(
    pick: Callable[[str], httpx.AsyncClient], urls: list[str], workers: int
) -> float:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)

    async def worker() -> None:
        while not queue.empty():
            url = queue.get_nowait()
            resp = await pick(url).post(url, content=b"{}")
            assert resp.status_code == 202, resp.status_code

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return time.perf_counter() - t0


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--per-host", type=int, default=10)
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    ports = free_ports(args.hosts)
    recv = subprocess.Popen(
        [sys.executable, "-c", RECEIVER, *map(str, ports)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert recv.stdout and recv.stdout.readline().strip() == "ready"
        urls = [f"http://127.0.0.1:{p}/inbox" for _ in range(args.per_host) for p in ports]
        print(f"{len(urls)} POSTs to {args.hosts} hosts, {args.workers} at a time")
        ratios = []
        for rnd in range(args.rounds):
            single = factory.build_client(
                factory.ClientSpec("bench/1", max_connections=args.workers)
            )
            per_host = factory.HostClients(
                lambda: factory.build_client(factory.ClientSpec("bench/1", max_connections=2)),
                max_hosts=max(256, args.hosts),
            )
            order: list[tuple[str, Callable[[str], httpx.AsyncClient]]] = [
                ("single", lambda _url, client=single: client),
                ("per-host", per_host.for_url),
            ]
            if rnd % 2:  # interleave, so drift in machine load hits both alike
                order.reverse()
            rates = {
                name: len(urls) / await send_all(pick, urls, args.workers) for name, pick in order
            }
            await single.aclose()
            await per_host.aclose()
            ratios.append(rates["per-host"] / rates["single"])
            print(
                f"round {rnd + 1}: single {rates['single']:.0f}/s, "
                f"per-host {rates['per-host']:.0f}/s, ratio {ratios[-1]:.2f}"
            )
        print(f"ratio per-host / single: {statistics.median(ratios):.2f} (median of {args.rounds})")
    finally:
        recv.kill()
        recv.wait()


if __name__ == "__main__":
    asyncio.run(main())
