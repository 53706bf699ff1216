"""A small keep-alive HTTP/1.1 load generator, so the client costs little next to the server."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from dataclasses import dataclass


@dataclass
class LoadResult:
    requests: int
    seconds: float
    statuses: dict[int, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


async def _worker(
    host: str, port: int, path: str, count: int, statuses: dict[int, int], headers: str
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{headers}\r\n".encode()
    for _ in range(count):
        writer.write(request)
        status_line = await reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        if length:
            await reader.readexactly(length)
        statuses[status] = statuses.get(status, 0) + 1
    writer.close()


async def _load(
    host: str, port: int, path: str, total: int, concurrency: int, headers: str
) -> LoadResult:
    statuses: dict[int, int] = {}
    per = total // concurrency
    started = time.perf_counter()
    await asyncio.gather(
        *(_worker(host, port, path, per, statuses, headers) for _ in range(concurrency))
    )
    return LoadResult(per * concurrency, time.perf_counter() - started, statuses)


def load(
    url: str, total: int = 4000, concurrency: int = 16, headers: dict[str, str] | None = None
) -> LoadResult:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    return asyncio.run(
        _load(
            parts.hostname or "127.0.0.1",
            parts.port or 80,
            parts.path or "/",
            total,
            concurrency,
            extra,
        )
    )


def wait_listening(url: str, proc: subprocess.Popen, timeout: float = 20) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server for {url} exited early")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    sys.exit(f"server for {url} did not start")
