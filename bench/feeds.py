"""Feed serving speed: the live cached feed against a bare Starlette app returning the same bytes.

    .venv/bin/python bench/feeds.py [--requests 4000] [--concurrency 16] [--rounds 3] [--role web]

The live side is the real service, `syndicate run` (by default every role: the scheduler polls
its source and the delivery workers wait for work in the same process; `--role web` for a web
node alone), the baseline a bare Starlette app returning the same bytes; each in its own
process on loopback, loaded in turns by the same keep-alive client. The printed ratio is
live/bare requests per second (goal >= 0.9).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _http import load, wait_listening  # noqa: E402


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_config(workdir: Path, port: int) -> Path:
    cfg = workdir / "config.toml"
    cfg.write_text(
        f"""
[server]
base_url = "http://127.0.0.1:{port}"
port = {port}
[storage]
url = "sqlite:///{workdir / "bench.db"}"
[[sources]]
id = "bench"
name = "Bench"
url = "{workdir}"
kind = "folder"
""",
        encoding="utf-8",
    )
    return cfg


def fill_store(cfg: Path, articles: int = 60) -> None:
    """A realistic feed: 50 full-text articles of a few KB each."""
    from syndicate.config import load_settings, resolve_storage_url
    from syndicate.models import Entry
    from syndicate.store import open_store

    settings = load_settings(cfg)
    store = open_store(resolve_storage_url(settings))
    para = (
        "Pemerintah Kota Bitung menggelar apel kerja perdana tahun 2026 di lapangan kantor wali kota. "
        * 6
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(articles):
        html = "".join(f"<p>{para}</p>" for _ in range(8))
        store.upsert_entry(
            "bench",
            Entry(
                url=f"https://example.id/{i}",
                guid=str(i),
                title=f"Berita nomor {i}",
                authors=["ical"],
                published=start + timedelta(hours=i),
                content_html=html,
                content_text="\n\n".join([para] * 8),
                summary=para[:200],
                tags=["Bitung", "Pemkot"],
                image=f"https://example.id/{i}.jpg",
            ),
        )
    store.close()


def live_command(cfg: Path, role: str | None) -> list[str]:
    """`syndicate run` exactly as an operator starts it (background work included)."""
    cmd = [sys.executable, "-m", "syndicate", "run", "--config", str(cfg), "--log-level", "warning"]
    return cmd + (["--role", role] if role else [])


SERVE_BARE = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
body = open(sys.argv[1], "rb").read()
headers = {"ETag": '"x"', "Last-Modified": "Thu, 01 Jan 2026 00:00:00 GMT", "Cache-Control": "public, max-age=300"}
async def feed(request):
    return Response(body, media_type="application/rss+xml; charset=utf-8", headers=headers)
app = Starlette(routes=[Route("/feeds/all.rss", feed)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


NGINX_CONF = """
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    types {{ application/rss+xml rss; application/atom+xml atom; application/feed+json json; }}
    sendfile on;
    keepalive_requests 100000;
    server {{ listen 127.0.0.1:{port}; root {root}; }}
}}
"""

SERVE_STATIC = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
app = Starlette(routes=[Mount("/", app=StaticFiles(directory=sys.argv[1]))])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


def static_vs_live(
    args: argparse.Namespace, cfg: Path, work: Path, live_url: str, body: bytes
) -> None:
    """`syndicate export` served by a plain file server (nginx, one worker, if installed; else
    Starlette StaticFiles) against the live feed, loaded in turns in this same run."""
    import shutil

    import httpx

    from syndicate.cli.ops import export_files, write_atomically
    from syndicate.config import load_settings, resolve_storage_url
    from syndicate.store import open_store

    settings = load_settings(cfg)
    store = open_store(resolve_storage_url(settings))
    root = work / "export"
    written, _, _ = write_atomically(root, export_files(settings, store))
    store.close()
    port = free_port()
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx:
        conf = work / "nginx.conf"
        import os

        # As root, nginx workers drop to nobody, who cannot read the private temp directory.
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf.write_text(user + NGINX_CONF.format(work=work, port=port, root=root))
        server = subprocess.Popen([nginx, "-c", str(conf), "-p", str(work)])
        name = "nginx (1 worker)"
    else:
        server = subprocess.Popen([sys.executable, "-c", SERVE_STATIC, str(root), str(port)])
        name = "Starlette StaticFiles"
    try:
        static_url = f"http://127.0.0.1:{port}/feeds/all.rss"
        wait_listening(static_url, server)
        got = httpx.get(static_url).content
        # The export points rel="next" at its page files (a file server has no ?page=).
        import re

        expected = re.sub(rb"/feeds/all\.rss\?page=(\d+)", rb"/feeds/all.page\1.rss", body)
        assert got == expected, (
            f"the export differs from the live feed: {len(got)} vs {len(expected)} bytes"
        )
        load(static_url, 400, args.concurrency)
        rps: dict[str, list[float]] = {"live": [], "static": []}
        for _ in range(args.rounds):
            for key, url in (("live", live_url), ("static", static_url)):
                r = load(url, args.requests, args.concurrency)
                assert r.statuses == {200: r.requests}, r.statuses
                rps[key].append(r.rps)
        live_rps, static_rps = statistics.median(rps["live"]), statistics.median(rps["static"])
        print(f"export: {written} files written by `syndicate export`")
        print(f"live /feeds/all.rss, same rounds: {live_rps:8.0f} req/s")
        print(f"static export, {name:<17}: {static_rps:8.0f} req/s")
        print(f"ratio static/live               : {static_rps / live_rps:8.2f}")
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--role", default=None, help="roles of the live node (default: all, as `syndicate run`)"
    )
    args = parser.parse_args()

    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        live_port, bare_port = free_port(), free_port()
        cfg = make_config(work, live_port)
        fill_store(cfg)
        live = subprocess.Popen(live_command(cfg, args.role), cwd=HERE.parent)
        procs = [live]
        try:
            live_url = f"http://127.0.0.1:{live_port}/feeds/all.rss"
            wait_listening(live_url, live)
            body = httpx.get(live_url).content
            (work / "feed.rss").write_bytes(body)
            bare = subprocess.Popen(
                [sys.executable, "-c", SERVE_BARE, str(work / "feed.rss"), str(bare_port)]
            )
            procs.append(bare)
            bare_url = f"http://127.0.0.1:{bare_port}/feeds/all.rss"
            wait_listening(bare_url, bare)
            assert httpx.get(bare_url).content == body
            print(
                f"feed: {len(body):,} bytes, {args.requests} requests x {args.rounds} rounds, "
                f"{args.concurrency} connections; live = syndicate run --role {args.role or 'all'}"
            )
            load(live_url, 400, args.concurrency)  # warm both
            load(bare_url, 400, args.concurrency)
            results: dict[str, list[float]] = {"live": [], "bare": []}
            for _ in range(args.rounds):
                for name, url in (("live", live_url), ("bare", bare_url)):
                    r = load(url, args.requests, args.concurrency)
                    assert r.statuses == {200: r.requests}, r.statuses
                    results[name].append(r.rps)
            live_rps, bare_rps = (
                statistics.median(results["live"]),
                statistics.median(results["bare"]),
            )
            print(f"bare Starlette, same bytes : {bare_rps:8.0f} req/s")
            print(f"syndicate /feeds/all.rss   : {live_rps:8.0f} req/s")
            print(f"ratio live/bare            : {live_rps / bare_rps:8.2f}   (goal >= 0.90)")
            cond = load(
                live_url,
                args.requests,
                args.concurrency,
                {"If-None-Match": httpx.get(live_url).headers["etag"]},
            )
            print(f"conditional GET (304)      : {cond.rps:8.0f} req/s  statuses {cond.statuses}")
            static_vs_live(
                args, cfg, work, live_url, body
            )  # issue 6: `syndicate export` + file server
        finally:
            for p in procs:
                p.terminate()
                p.wait(10)


if __name__ == "__main__":
    main()
