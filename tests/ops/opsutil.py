"""Helpers for operator tests: config files and `syndicate run` as a real child process."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import ServiceProcess, service_config

config_file = service_config
Running = ServiceProcess  # `syndicate run` in its own process (conftest)


def folder_source(sid: str, name: str, path: Path | str) -> str:
    return f'\n[[sources]]\nid = "{sid}"\nname = "{name}"\nurl = "{path}"\nkind = "folder"\n'


def feed_source(sid: str, name: str, site: str, feed: str, extra: str = "") -> str:
    return (
        f'\n[[sources]]\nid = "{sid}"\nname = "{name}"\nurl = "{site}/"\nkind = "feed"\n'
        f'feed_url = "{feed}"\n{extra}'
    )


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
