"""`syndicate discover URL` names the route auto would choose and prints a snippet that works."""

from __future__ import annotations

import re

import pytest
from conftest import load_truth, run_cli, write_config
from ingest_util import truth_keys

from syndicate.config import load_settings
from syndicate.store import open_store

EXPECTED = {
    "detailnews": "wordpress",
    "bitungkota": "html",
    "kabarkito": "feed",
    "sulutaktual": "sitemap",
    "nusautara": "feed",
}


@pytest.mark.parametrize("site", list(EXPECTED))
def test_discover_names_the_route_and_its_snippet_works(site, corpus_server, tmp_path):  # type: ignore[no-untyped-def]
    server = corpus_server(site, "t0", "--quiet")
    head = f'[storage]\nurl = "sqlite:///{tmp_path}/s.db"\n[fetch]\nper_host_delay = 0.005\n'
    out = run_cli(
        "discover", server.base + "/", config=write_config(tmp_path / "config.toml", head)
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert f"auto would choose: {EXPECTED[site]} " in text
    assert re.search(rf"^ \* {EXPECTED[site]}\s", text, re.M), text  # the chosen one is marked
    snippet = text[text.index("[[sources]]") :]
    config = write_config(tmp_path / "config.toml", f"{head}\n{snippet}")
    settings = load_settings(config)  # the pasted snippet is valid config
    sid = settings.sources[0].id
    fetched = run_cli("fetch", config=config)
    assert fetched.returncode == 0, fetched.stderr
    assert sid in fetched.stdout and "failed" not in fetched.stdout
    store = open_store(f"sqlite:///{tmp_path}/s.db")
    got = {a.canonical_url for a in store.latest_articles([sid], limit=500)}
    store.close()
    assert got == truth_keys(load_truth(site, "t0", server.base))
    # Not a terminal: progress comes as plain lines on stderr.
    assert re.search(rf"^{sid}: \d+/\d+$", fetched.stderr, re.M)


def test_discover_rejects_a_bad_url() -> None:
    out = run_cli("discover", "not-a-url")
    assert out.returncode == 2 and "expected an http(s) URL" in out.stderr


def test_discover_reports_an_unreachable_site() -> None:
    from conftest import free_port

    out = run_cli("discover", f"http://127.0.0.1:{free_port()}/")
    assert out.returncode == 1
    assert "no working route" in out.stdout
