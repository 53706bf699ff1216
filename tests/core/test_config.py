"""A broken config names the file, the key and what is expected: exit 2, one line, no traceback."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from conftest import REPO, run_cli, write_config

from syndicate.config import ConfigError, load_settings, parse_duration, settings_from_dict

GOOD = """
[server]
base_url = "http://127.0.0.1:8080"
[storage]
url = "sqlite:///{db}"
[[sources]]
id = "samples"
name = "Samples"
url = "{posts}"
kind = "folder"
"""


def good_config(tmp_path: Path, extra: str = "", **replace: str) -> Path:
    body = GOOD.format(db=tmp_path / "s.db", posts=REPO / "samples" / "posts")
    for old, new in replace.items():
        body = body.replace(old, new)
    return write_config(tmp_path / "config.toml", body + extra)


def assert_one_line_error(result, key: str, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.returncode == 2, result
    err = result.stderr.strip()
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert key in lines[0] and "config.toml" in lines[0], err
    for word in words:
        assert word in lines[0], err


def test_repo_config_is_valid() -> None:
    result = run_cli("check-config", config=REPO / "config.toml")
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


def test_misspelt_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    cfg = good_config(tmp_path, **{"base_url =": "base_ur ="})
    assert_one_line_error(
        run_cli("check-config", config=cfg), "server.base_ur", "unknown key", "base_url"
    )


def test_bad_interval_names_the_source_key(tmp_path: Path) -> None:
    cfg = good_config(
        tmp_path,
        '\n[[sources]]\nid = "b"\nname = "B"\nurl = "https://b.example/"\ninterval = "soon"\n',
    )
    assert_one_line_error(
        run_cli("check-config", config=cfg), "sources[1].interval", "'soon'", "15m"
    )


def test_fetch_and_run_refuse_a_broken_config_the_same_way(tmp_path: Path) -> None:
    cfg = good_config(tmp_path, '\n[defaults]\ninterval = "soon"\n')
    for command in ("fetch", "run"):
        assert_one_line_error(run_cli(command, config=cfg, timeout=30), "defaults.interval")


def test_duplicate_source_id(tmp_path: Path) -> None:
    cfg = good_config(
        tmp_path, '\n[[sources]]\nid = "samples"\nname = "Again"\nurl = "https://b.example/"\n'
    )
    assert_one_line_error(run_cli("check-config", config=cfg), "sources[1].id", "duplicate")


def test_unreachable_storage(tmp_path: Path) -> None:
    cfg = good_config(
        tmp_path, **{f"sqlite:///{tmp_path / 's.db'}": "postgresql://nobody@127.0.0.1:1/none"}
    )
    result = run_cli("check-config", config=cfg)
    assert result.returncode == 2
    assert "cannot open storage" in result.stderr and "Traceback" not in result.stderr


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    result = run_cli("check-config", config=tmp_path / "nope.toml")
    assert result.returncode == 2 and "file not found" in result.stderr
    bad = write_config(tmp_path / "bad.toml", "[server\n")
    result = run_cli("check-config", config=bad)
    assert result.returncode == 2 and "invalid TOML" in result.stderr and "line 1" in result.stderr


def test_config_env_variable_selects_the_file(tmp_path: Path) -> None:
    cfg = good_config(tmp_path)
    result = run_cli("check-config", env={"SYNDICATE_CONFIG": str(cfg)})
    assert result.returncode == 0 and str(cfg) in result.stdout


@pytest.mark.parametrize(
    ("text", "seconds"), [("15m", 900), ("1h30m", 5400), ("2d", 172800), ("45s", 45), (30, 30)]
)
def test_durations(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("bad", ["soon", "", "0m", "-5m", "15 minutes", True])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_every_problem_is_reported_at_once() -> None:
    data = {
        "server": {"port": "eighty"},
        "defaults": {"timezone": "Mars/Olympus"},
        "sources": [{"id": "Bad-Id", "name": "x", "url": "not a url", "kind": "rss"}],
    }
    with pytest.raises(ConfigError) as exc:
        settings_from_dict(data)
    text = str(exc.value)
    assert "server.port" in text and "defaults.timezone" in text and "Asia/Makassar" in text
    assert "sources[0].id" in text and "sources[0].kind" in text


def test_defaults_fill_in_per_source(tmp_path: Path) -> None:
    s = load_settings(
        good_config(tmp_path, '\n[defaults]\ninterval = "5m"\ntimezone = "Asia/Jayapura"\n')
    )
    src = s.source("samples")
    assert s.interval(src) == timedelta(minutes=5)
    assert s.timezone(src) == "Asia/Jayapura"
    assert s.folder_path(src).is_dir()


def test_a_duplicate_id_is_reported_with_other_problems() -> None:
    data = {
        "server": {"base_ur": "http://x"},
        "sources": [
            {"id": "a", "name": "A", "url": "https://a.example/"},
            {"id": "a", "name": "A2", "url": "https://b.example/"},
        ],
    }
    with pytest.raises(ConfigError) as exc:
        settings_from_dict(data)
    lines = str(exc.value).splitlines()
    assert any("server.base_ur: unknown key" in line for line in lines)
    assert sum("sources[1].id: duplicate source id 'a'" in line for line in lines) == 1


def test_a_zero_per_host_delay_is_allowed_but_a_zero_interval_is_not() -> None:
    base = {"sources": [{"id": "a", "name": "A", "url": "https://a.example/"}]}
    assert settings_from_dict(
        {**base, "fetch": {"per_host_delay": "0s"}}
    ).fetch.per_host_delay == timedelta(0)
    with pytest.raises(ConfigError, match="defaults.interval"):
        settings_from_dict({**base, "defaults": {"interval": "0s"}})
