"""Three `syndicate run` nodes on one fresh PostgreSQL database, started at the same moment:
they migrate once, poll each source once per interval between them, take over the sources of a
node killed with SIGKILL, and deliver a burst of new posts exactly once per inbox."""

from __future__ import annotations

import collections
import json
import re
import signal
import threading
import time
from pathlib import Path

import pytest
from conftest import free_port, write_config
from opsutil import Running, ThreadServer, feed_source, folder_source
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syndicate.store import open_store

INTERVAL = 10  # seconds; the acceptance runs 30 s, the mechanism is the same
LEASE = 6
INBOXES = 8
BURST = 4

pytestmark = pytest.mark.postgres


def node_config(tmp_path: Path, port: int, db: str, sources: str) -> Path:
    home = tmp_path / f"node{port}"
    home.mkdir()
    return write_config(
        home / "config.toml",
        f"""
[server]
base_url = "http://127.0.0.1:{port}"
port = {port}
[storage]
url = "{db}"
[fetch]
timeout = "5s"
connect_timeout = "2s"
[federation]
allow_private_networks = ["127.0.0.0/8"]
workers = 2
delivery_lease = "{LEASE}s"
[cluster]
lease = "{LEASE}s"
{sources}
""",
    )


def wait(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def post(folder: Path, name: str, title: str) -> None:
    body = " ".join(f"kata{i} {name}" for i in range(60))
    (folder / f"{name}.md").write_text(f"---\ntitle: {title}\n---\n{body}\n", encoding="utf-8")


def test_three_nodes_share_the_work_and_survive_a_sigkill(  # type: ignore[no-untyped-def]
    tmp_path: Path, pg_url: str, corpus_server
) -> None:
    got: list[tuple[str, str]] = []
    lock = threading.Lock()

    async def inbox(request: Request) -> Response:
        body = json.loads(await request.body())
        with lock:
            got.append((body["id"], request.url.path))
        return Response(status_code=202)

    farm_port = free_port()
    farm = ThreadServer(Starlette(routes=[Route("/inbox/{n}", inbox, methods=["POST"])]), farm_port)
    dn, kk = corpus_server("detailnews"), corpus_server("kabarkito")
    posts = tmp_path / "posts"
    posts.mkdir()
    post(posts, "first", "Berita pertama")
    every = f'interval = "{INTERVAL}s"\n'
    sources = (
        feed_source("detailnews", "DetailNews", dn.base, dn.base + "/feed/", every)
        + feed_source("kabarkito", "KabarKito", kk.base, kk.base + "/feeds/posts/default", every)
        + folder_source("posts", "Posts", posts)
        + every
    )
    ports = [free_port() for _ in range(3)]
    configs = [node_config(tmp_path, p, pg_url, sources) for p in ports]
    started = time.monotonic()
    nodes = [Running(cfg, port) for cfg, port in zip(configs, ports, strict=True)]
    store = None
    try:
        for n in nodes:
            n.wait_for("/healthz", lambda r: r.status_code == 200, timeout=40)
        store = open_store(pg_url, migrate_schema=False)
        for i in range(INBOXES):
            store.add_follower(
                "posts",
                f"http://127.0.0.1:{farm_port}/users/{i}",
                f"http://127.0.0.1:{farm_port}/inbox/{i}",
                None,
                None,
            )
        # Every source had its first pass (by whichever node claimed it).
        wait(
            lambda: all(
                store.source_state(s).last_success_at for s in ("detailnews", "kabarkito", "posts")
            ),
            30,
            "the first passes",
        )
        holders = {sid: row["holder"] for sid, row in store.source_leases().items()}
        victim_pid = int(holders["detailnews"].rsplit(":", 1)[1])
        victim = next(n for n in nodes if n.proc.pid == victim_pid)
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait(5)
        killed_at = store.source_state("detailnews").last_fetch_at

        # A burst of new posts while one node is dead.
        for i in range(BURST):
            post(posts, f"burst{i}", f"Berita baru {i}")
        wait(
            lambda: store.delivery_counts().get("done", 0) >= BURST * INBOXES,
            40,
            f"{BURST * INBOXES} deliveries",
        )
        # The dead node's source is polled again, by a live node.
        wait(
            lambda: (store.source_state("detailnews").last_fetch_at or killed_at) > killed_at,
            INTERVAL + LEASE + 10,
            "another node to poll the dead node's source",
        )
        after = store.source_leases()["detailnews"]["holder"]
        assert after != holders["detailnews"]
        time.sleep(0.5)
        assert store.delivery_counts() == {"done": BURST * INBOXES}
    finally:
        outputs = []
        for n in nodes:
            if n.proc.poll() is None:
                assert n.terminate() < 10
            outputs.append(n.read())
        elapsed = time.monotonic() - started
        dn.stop()
        kk.stop()
        farm.stop()
        if store is not None:
            store.close()
    for out in outputs:
        assert "Traceback" not in out, out
    # Each source was polled at most once per interval by the whole cluster.
    allowed = int(elapsed // INTERVAL) + 1
    for server, feed in ((dn, "/feed/"), (kk, "/feeds/posts/default")):
        log = server.access_log()
        polls = len(re.findall(rf'"GET {re.escape(feed)} HTTP', log))
        assert 2 <= polls <= allowed, f"{server.site}: {polls} polls in {elapsed:.0f}s"
    # The burst reached every inbox exactly once.
    seen = collections.Counter(got)
    creates = {aid for aid, _ in seen}
    assert len(creates) == BURST
    assert len(seen) == BURST * INBOXES
    assert set(seen.values()) == {1}, "a delivery arrived twice"
    print(f"3 nodes, {elapsed:.0f}s: polls ok (<= {allowed} per feed), {len(seen)} deliveries once")
