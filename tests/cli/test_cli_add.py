"""Options anywhere, an optional source name, and `syndicate add URL` on a running service."""

from __future__ import annotations

from pathlib import Path

from conftest import free_port, run_cli, service_config, write_config

from syndicate.config import load_settings


def test_global_options_work_after_the_subcommand(tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path / "site.toml",
        f'[storage]\nurl = "sqlite:///{tmp_path}/s.db"\n'
        f'[[sources]]\nid = "posts"\nurl = "{tmp_path}"\nkind = "folder"\n',
    )
    before = run_cli("--config", str(cfg), "check-config")
    after = run_cli("check-config", "--config", str(cfg), "--log-level", "warning")
    assert before.returncode == after.returncode == 0, after.stderr
    assert before.stdout == after.stdout
    assert "site.toml: ok (1 source(s)" in after.stdout
    # A bad value after the subcommand is refused like one before it.
    bad = run_cli("sources", "--log-format", "xml", "--config", str(cfg))
    assert bad.returncode == 2 and "--log-format" in bad.stderr


def test_a_source_without_name_is_named_after_its_id(tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path / "c.toml", f'[[sources]]\nid = "dinkes"\nurl = "{tmp_path}"\nkind = "folder"\n'
    )
    assert load_settings(cfg).sources[0].name == "dinkes"


def test_add_discovers_appends_a_checked_block_and_reloads_the_service(
    tmp_path: Path,
    corpus_server,  # type: ignore[no-untyped-def]
    service_process,  # type: ignore[no-untyped-def]
) -> None:
    site = corpus_server("kabarkito", "t0", "--quiet")
    port = free_port()
    (tmp_path / "posts").mkdir()
    cfg = service_config(
        tmp_path,
        port,
        f'[[sources]]\nid = "posts"\nurl = "{tmp_path / "posts"}"\nkind = "folder"\n',
        extra="per_host_delay = 0.005",
    )
    service = service_process(cfg, port, options_after=True)  # `run --config X`
    service.get("/healthz")
    service.get("/sources/kabar_kito", ok=404)
    out = run_cli("add", site.base + "/", "--config", str(cfg), "--wait", "20")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "added source 'kabar_kito'" in out.stdout
    assert "reloaded pid" in out.stdout
    added = load_settings(cfg).source("kabar_kito")
    assert added.name == "Kabar Kito" and added.url == site.base + "/"
    assert added.kind == "feed"  # what discover chose, pinned
    # The running service took it: its page and feed exist and the feed fills.
    service.get("/sources/kabar_kito")
    service.wait_for("/feeds/kabar_kito.rss", lambda r: b"<item>" in r.content)
    # Adding the same site again changes nothing.
    text = cfg.read_text()
    again = run_cli("add", site.base + "/", "--config", str(cfg))
    assert again.returncode == 1 and "already configured as source 'kabar_kito'" in again.stderr
    assert cfg.read_text() == text


def test_add_leaves_a_broken_config_alone(tmp_path: Path, corpus_server) -> None:  # type: ignore[no-untyped-def]
    site = corpus_server("kabarkito", "t0", "--quiet")
    cfg = write_config(tmp_path / "c.toml", '[defaults]\ninterval = "soon"\n')
    out = run_cli("add", site.base + "/", "--config", str(cfg))
    assert out.returncode == 2
    assert "defaults.interval" in out.stderr and "fix the config" in out.stderr
    assert cfg.read_text() == '[defaults]\ninterval = "soon"\n'


def test_add_refuses_an_unreachable_site_without_touching_the_config(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.toml", "")
    out = run_cli("add", f"http://127.0.0.1:{free_port()}/", "--config", str(cfg))
    assert out.returncode == 1 and "nothing added" in out.stderr
    assert cfg.read_text() == ""
