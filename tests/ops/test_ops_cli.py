"""`syndicate sources`, `export` and `reload` as an operator runs them: real processes, real files."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import feedparser
import httpx
from conftest import REPO, free_port, run_cli
from opsutil import Running, config_file, feed_source, folder_source

SAMPLES = REPO / "samples" / "posts"


def test_sources_table_plain_when_piped_and_json(tmp_path: Path, corpus_server) -> None:  # type: ignore[no-untyped-def]
    kk = corpus_server("kabarkito")
    port = free_port()
    cfg = config_file(
        tmp_path,
        port,
        folder_source("samples", "Sample posts", SAMPLES)
        + feed_source("kabarkito", "KabarKito", kk.base, kk.base + "/feeds/posts/default")
        + feed_source("down", "Down", "http://127.0.0.1:9", "http://127.0.0.1:9/feed"),
    )
    never = run_cli("sources", config=cfg)
    assert never.returncode == 0, never.stderr
    assert "not fetched" not in never.stdout  # plain table, not rich
    lines = never.stdout.splitlines()
    assert lines[0].split() == [
        "ID",
        "HEALTH",
        "ROUTE",
        "LAST",
        "FETCH",
        "RESULT",
        "ARTICLES",
        "FOLLOWERS",
        "NODE",
        "NEXT",
        "RUN",
    ]
    assert [ln.split()[0] for ln in lines[1:]] == ["samples", "kabarkito", "down"]
    assert all(ln.split()[-1] == "now" for ln in lines[1:])  # never fetched: due now

    fetched = run_cli("fetch", config=cfg)
    assert fetched.returncode == 0, fetched.stderr
    out = run_cli("sources", config=cfg)
    rows = {ln.split()[0]: ln for ln in out.stdout.splitlines()[1:]}
    assert "folder" in rows["samples"] and " 2 " in rows["samples"]
    assert "s ago" in rows["kabarkito"] and " 7 " in rows["kabarkito"]
    assert "failed" in rows["down"] and "backoff" in rows["down"]
    assert rows["down"].split()[1:3] == ["failing", "(connect)"]  # classified, in the table
    assert rows["kabarkito"].split()[1] == "ok"
    # the retry is shown as a countdown; how far it has run depends on how busy the machine is
    assert re.search(r"in (\d+s|1m)\s*$", rows["down"].rstrip()), rows["down"]
    doc = json.loads(run_cli("sources", "--json", config=cfg).stdout)
    by_id = {r["id"]: r for r in doc}
    assert by_id["kabarkito"]["articles"] == 7 and by_id["kabarkito"]["route"] == "feed"
    assert by_id["down"]["health"] == "failing" and by_id["down"]["failures"] == 1
    assert by_id["down"]["health_kind"] == "connect" and by_id["down"]["health_detail"]
    assert by_id["down"]["next_run"] == by_id["down"]["backoff_until"]  # retried at the backoff
    assert by_id["samples"]["interval"] == 900
    assert by_id["kabarkito"]["followers"] in (0, None)

    bad = run_cli("sources", config=tmp_path / "missing.toml")
    assert bad.returncode == 2 and "file not found" in bad.stderr


def test_export_writes_every_feed_atomically_and_only_what_changed(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    for p in SAMPLES.glob("*.md"):
        (posts / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    port = free_port()
    cfg = config_file(
        tmp_path,
        port,
        folder_source("samples", "Sample posts", posts) + folder_source("other", "Other", posts),
    )
    assert run_cli("fetch", config=cfg).returncode == 0
    out = tmp_path / "www"
    first = run_cli("export", "--out", str(out), config=cfg)
    assert first.returncode == 0, first.stderr
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    for key in ("all", "samples", "other", "tag/bitung", "tag/pemkotbitung"):
        for fmt in ("rss", "atom", "json"):
            assert f"feeds/{key}.{fmt}" in files
    assert "opml" in files and "feeds.opml" in files
    assert not [f for f in files if f.endswith(".tmp") or "/." in f]  # no temp files left behind
    assert "written" in first.stdout
    parsed = feedparser.parse((out / "feeds" / "samples.atom").read_bytes())
    assert not parsed.bozo and len(parsed.entries) == 2
    assert b"/feeds/other.rss" in (out / "opml").read_bytes()

    # The same bytes the live server sends for the same feed.
    svc = Running(cfg, port)
    try:
        live = svc.wait_for("/feeds/all.rss", lambda r: r.status_code == 200).content
        assert live == (out / "feeds" / "all.rss").read_bytes()
    finally:
        svc.terminate()

    mtime = (out / "feeds" / "samples.rss").stat().st_mtime_ns
    again = run_cli("export", "--out", str(out), "--json", config=cfg)
    report = json.loads(again.stdout)
    assert report["written"] == 0 and report["unchanged"] == len(report["files"])
    assert (out / "feeds" / "samples.rss").stat().st_mtime_ns == mtime  # file server keeps its ETag

    # A source leaves the config: its feeds leave the export.
    cfg.write_text(cfg.read_text().split('\n[[sources]]\nid = "other"')[0])
    third = json.loads(run_cli("export", "--out", str(out), "--json", config=cfg).stdout)
    assert third["removed"] == 3 and not (out / "feeds" / "other.rss").exists()
    assert third["written"] >= 1  # the OPML and all.* changed

    blocked = tmp_path / "afile"
    blocked.write_text("x")
    bad = run_cli("export", "--out", str(blocked), config=cfg)
    assert bad.returncode == 2 and "not a directory" in bad.stderr


def test_reload_starts_new_sources_and_refuses_a_broken_config(tmp_path: Path) -> None:
    port = free_port()
    cfg = config_file(tmp_path, port, folder_source("samples", "Sample posts", SAMPLES))
    svc = Running(cfg, port)
    try:
        health = svc.wait_for("/healthz", lambda r: r.status_code == 200).json()
        assert set(health["roles"].values()) == {"ok"}
        pid_file = tmp_path / "data" / "syndicate.pid"
        assert int(pid_file.read_text()) == svc.proc.pid

        # A second service on the same data directory would deliver everything twice.
        second = run_cli("run", config=cfg, timeout=30)
        assert second.returncode == 1 and "already running" in second.stderr + second.stdout

        good = cfg.read_text() + folder_source("fresh", "Fresh Source", SAMPLES)
        cfg.write_text(good)
        done = run_cli("reload", config=cfg)
        assert done.returncode == 0, done.stderr
        assert f"reloaded pid {svc.proc.pid}: 2 source(s)" in done.stdout
        svc.wait_for("/", lambda r: "Fresh Source" in r.text)
        svc.wait_for(
            "/feeds/fresh.json", lambda r: r.status_code == 200 and len(r.json()["items"]) == 2
        )

        cfg.write_text(good + '\n[[sources]]\nid = "Bad Id"\nname = "x"\nurl = "nope"\n')
        refused = run_cli("reload", config=cfg)
        assert refused.returncode == 2
        assert "sources[2].id" in refused.stderr and "keeps its old config" in refused.stderr
        # Even a SIGHUP sent by hand is refused by the service itself, which keeps serving.
        os.kill(svc.proc.pid, signal.SIGHUP)
        refusal = svc.wait_for("/healthz", lambda r: r.json()["config"]["last"] == "refused")
        # Status words only: the reason (which may quote a database URL) stays in the log.
        assert "sources[2]" not in refusal.text and "Bad Id" not in refusal.text
        assert "Fresh Source" in httpx.get(svc.url + "/").text
    finally:
        took = svc.terminate()
    assert took < 10
    assert not (tmp_path / "data" / "syndicate.pid").exists()
    assert "reload refused" in svc.read()
    gone = run_cli("reload", config=cfg.with_name("none.toml"))
    assert gone.returncode == 2
    cfg.write_text(good)
    norun = run_cli("reload", config=cfg)
    assert norun.returncode == 1 and "no running syndicate" in norun.stderr
    time.sleep(0)


def test_export_writes_every_page_its_next_links_point_to(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    for p in SAMPLES.glob("*.md"):
        (posts / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cfg = config_file(
        tmp_path, port, folder_source("samples", "Sample posts", posts), "[feeds]\nsize = 1"
    )
    assert run_cli("fetch", config=cfg).returncode == 0
    out = tmp_path / "www"
    done = run_cli("export", "--out", str(out), config=cfg)
    assert done.returncode == 0, done.stderr
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert "feeds/samples.page2.atom" in files
    nexts: list[str] = []
    for rel in sorted(files):
        body = (out / rel).read_bytes()
        if rel.endswith(".json"):
            link = json.loads(body).get("next_url")
            nexts += [link] if link else []
        elif rel.endswith((".atom", ".rss")):
            nexts += re.findall(r'<(?:atom:)?link[^>]*rel="next"[^>]*>', body.decode())
    assert nexts, "no paged feed in the export"
    for link in nexts:
        href = link if link.startswith("http") else re.search(r'href="([^"]+)"', link).group(1)
        assert "?page=" not in href, href
        assert href.startswith(base + "/") and href[len(base) + 1 :] in files, href
