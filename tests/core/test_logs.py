"""`--log-format json`: one JSON object per line, and one machine-readable line per fetch."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import REPO, run_cli, write_config


def test_one_json_line_per_fetch_with_its_outcome(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "config.toml",
        f"""
[storage]
url = "sqlite:///{tmp_path / "s.db"}"
[fetch]
timeout = "3s"
connect_timeout = "1s"
[[sources]]
id = "samples"
name = "Samples"
url = "{REPO / "samples" / "posts"}"
kind = "folder"
[[sources]]
id = "down"
name = "Down"
url = "http://127.0.0.1:9/"
kind = "feed"
""",
    )
    result = run_cli("--log-format", "json", "fetch", config=config)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= set(doc) for doc in lines)
    fetches = {doc["source"]: doc for doc in lines if doc.get("event") == "fetch"}
    assert fetches["samples"]["result"] == "ok" and fetches["samples"]["new"] == 2
    assert fetches["down"]["result"] == "failed" and fetches["down"]["level"] == "warning"
    assert "127.0.0.1:9" in fetches["down"]["error"] and fetches["down"]["attempt"] == 1
