"""Helpers for operator tests: config files and `syndicate run` as a real child process."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from conftest import REPO, service_config

config_file = service_config


def folder_source(sid: str, name: str, path: Path | str) -> str:
    return f'\n[[sources]]\nid = "{sid}"\nname = "{name}"\nurl = "{path}"\nkind = "folder"\n'


def feed_source(sid: str, name: str, site: str, feed: str, extra: str = "") -> str:
    return (
        f'\n[[sources]]\nid = "{sid}"\nname = "{name}"\nurl = "{site}/"\nkind = "feed"\n'
        f'feed_url = "{feed}"\n{extra}'
    )


class Running:
    """`python -m syndicate run` in its own process; stop() sends SIGTERM like systemd does."""

    def __init__(self, config: Path, port: int, *extra: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.config = config
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "syndicate", "--config", str(config), *extra, "run"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output = ""

    def wait_for(
        self, path: str, check: Callable[[httpx.Response], bool], timeout: float = 30
    ) -> httpx.Response:
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"service exited: {self.read()}")
            try:
                resp = httpx.get(self.url + path, timeout=5)
                if check(resp):
                    return resp
                last = resp
            except httpx.HTTPError as exc:
                last = exc
            time.sleep(0.1)
        raise AssertionError(f"{path} never became ready: {last}")

    def terminate(self, timeout: float = 15) -> float:
        """SIGTERM; returns the seconds it took to exit."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return time.monotonic() - started

    def read(self) -> str:
        if self.proc.poll() is not None and self.proc.stdout and not self.output:
            self.output = self.proc.stdout.read()
        return self.output


class ThreadServer:
    """An ASGI app on a loopback port, in a thread (its own event loop), for fake remote servers."""

    def __init__(self, app: object, port: int) -> None:
        import threading

        import uvicorn

        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
