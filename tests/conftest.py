"""Shared fixtures: the offline corpus served on loopback, fresh databases, config files."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).parent
CORPUS = TESTS / "corpus"
REPO = TESTS.parent
PG_URL = os.environ.get("SYNDICATE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


class CorpusServer:
    """A corpus site served by tests/corpus/serve.py in a child process."""

    def __init__(self, site: str, state: str = "t0", *flags: str, corpus: Path = CORPUS) -> None:
        self.site, self.state, self.flags = site, state, flags
        cmd = [
            sys.executable,
            str(corpus / "serve.py"),
            "--site",
            site,
            "--state",
            state,
            "--port",
            "0",
            *flags,
        ]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"serve.py did not start: {err}")
        self.base = line.strip().split("\t")[2].rstrip("/")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def access_log(self) -> str:
        """Everything the server logged (only after stop())."""
        return self.proc.stderr.read() if self.proc.stderr else ""


@pytest.fixture
def corpus_server() -> Iterator[Callable[..., CorpusServer]]:
    """Factory: corpus_server("detailnews", "t1", "--fail-rate", "0.3") -> CorpusServer (.base);
    corpus= serves an edited copy (see ingest_util.corpus_copy)."""
    started: list[CorpusServer] = []

    def start(site: str, state: str = "t0", *flags: str, corpus: Path = CORPUS) -> CorpusServer:
        server = CorpusServer(site, state, *flags, corpus=corpus)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def load_truth(site: str, state: str, base: str) -> dict:
    """The ground truth of a corpus site's state with {{BASE}} filled in."""
    raw = (CORPUS / "truth" / f"{site}.json").read_text(encoding="utf-8")
    return json.loads(raw.replace("{{BASE}}", base.rstrip("/")))["states"][state]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def private_pg_schema() -> Iterator[str]:
    """A URL whose every connection lands in a fresh schema of its own on the PostgreSQL server."""
    if not pg_available():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    import uuid

    import sqlalchemy as sa

    schema = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        # libpq `options` puts every connection of this test into its own schema.
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty database: SQLite in tmp_path, or a private schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with private_pg_schema() as url:
        yield url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A private schema on the PostgreSQL server, for tests of PostgreSQL-only behaviour."""
    with private_pg_schema() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


def write_config(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


class LiveServer:
    """A real ASGI app served by uvicorn on a loopback port, in a background thread."""

    lifespan = "on"

    def __init__(self, app: object, port: int) -> None:
        import threading
        import time

        import httpx
        import uvicorn

        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan=self.lifespan
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        self.client = httpx.Client(base_url=self.url, timeout=10)

    def get(self, path: str, **kw: object) -> object:
        return self.client.get(path, **kw)  # type: ignore[arg-type]

    def stop(self) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def live_server() -> Iterator[Callable[[object], LiveServer]]:
    """Factory: live_server(app) -> LiveServer with .url; stopped at teardown."""
    servers: list[LiveServer] = []

    def start(app: object, port: int | None = None) -> LiveServer:
        server = LiveServer(app, port or free_port())
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def run_cli(
    *args: str, config: Path | None = None, timeout: float = 120, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run `python -m syndicate ...` as a real child process."""
    cmd = [sys.executable, "-m", "syndicate"]
    if config is not None:
        cmd += ["--config", str(config)]
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO, env=full_env
    )


class ServiceProcess:
    """`python -m syndicate --config X run` as a real child process (the one helper for every
    test that starts the service). `options_after=True` spells it `run --config X`; stop() and
    terminate() send SIGTERM like systemd does."""

    def __init__(
        self,
        config: Path,
        port: int,
        *extra: str,
        options_after: bool = False,
        **popen: Any,
    ) -> None:
        import tempfile

        self.url = f"http://127.0.0.1:{port}"
        self.config = config
        options = ["--config", str(config), *extra]
        argv = ["run", *options] if options_after else [*options, "run"]
        # The log goes to a file, not a pipe: a chatty service never blocks on a full pipe.
        self._log = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in read())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "syndicate", *argv],
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            text=True,
            **popen,
        )
        self.output = ""

    def wait_for(
        self, path: str, check: Callable[[Any], bool], timeout: float = 60
    ) -> Any:  # httpx.Response
        """Poll `path` until check(response) holds; fails at once if the service exits."""
        import time

        import httpx

        deadline = time.monotonic() + timeout
        last: object = None
        with httpx.Client(timeout=5) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"service exited: {self.read()}")
                try:
                    resp = client.get(self.url + path)
                    if check(resp):
                        return resp
                    last = resp
                except httpx.HTTPError as exc:
                    last = exc
                time.sleep(0.05)
        raise AssertionError(f"{path} never became ready: {last}")

    def get(self, path: str, ok: int = 200, timeout: float = 60) -> Any:
        """Wait until `path` answers `ok`; returns that response."""
        return self.wait_for(path, lambda r: r.status_code == ok, timeout)

    def terminate(self, timeout: float = 15) -> float:
        """SIGTERM; returns the seconds it took to exit (killed after `timeout`)."""
        import signal
        import time

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
        """Everything the service printed (once it has exited)."""
        if self.proc.poll() is not None and not self._log.closed:
            self._log.seek(0)
            self.output = self._log.read()
            self._log.close()
        return self.output

    def stop(self) -> str:
        self.terminate()
        return self.read()


@pytest.fixture
def service_process() -> Iterator[Callable[..., ServiceProcess]]:
    """Factory: service_process(config, port, *extra) -> ServiceProcess; stopped at teardown."""
    started: list[ServiceProcess] = []

    def start(config: Path, port: int, *extra: str, **kw: Any) -> ServiceProcess:
        svc = ServiceProcess(config, port, *extra, **kw)
        started.append(svc)
        return svc

    yield start
    for svc in started:
        svc.stop()


def service_config(tmp_path: Path, port: int, sources: str, extra: str = "") -> Path:
    """A config for a service on `port` with SQLite in tmp_path/data and short fetch timeouts."""
    return write_config(
        tmp_path / "config.toml",
        f"""
[server]
base_url = "http://127.0.0.1:{port}"
port = {port}
[storage]
url = "sqlite:///{tmp_path / "data" / "syndicate.db"}"
[fetch]
timeout = "5s"
connect_timeout = "2s"
{extra}
{sources}
""",
    )


def queued_deliveries(
    tmp_path: Path, port: int, receiver_port: int, inboxes: int, articles: int, federation: str = ""
) -> tuple[Path, str]:
    """A service config with `inboxes` followers on a loopback receiver (POST /inbox/{n}) and
    `articles` new articles waiting to be delivered; returns (config path, database URL)."""
    from datetime import UTC, datetime

    from syndicate.models import Entry
    from syndicate.store import open_store

    (tmp_path / "posts").mkdir()
    (tmp_path / "data").mkdir()
    db = f"sqlite:///{tmp_path / 'data' / 'syn.db'}"
    cfg = write_config(
        tmp_path / "config.toml",
        f"""
[server]
base_url = "http://127.0.0.1:{port}"
port = {port}
[storage]
url = "{db}"
[federation]
allow_private_networks = ["127.0.0.0/8"]
workers = 4
{federation}
[[sources]]
id = "detailnews"
name = "DetailNews"
url = "{tmp_path / "posts"}"
kind = "folder"
interval = "1d"
""",
    )
    store = open_store(db)
    for i in range(inboxes):
        store.add_follower(
            "detailnews",
            f"http://127.0.0.1:{receiver_port}/users/{i}",
            f"http://127.0.0.1:{receiver_port}/inbox/{i}",
            None,
            None,
        )
    for n in range(articles):
        store.upsert_entry(
            "detailnews",
            Entry(
                url=f"https://detailnews.id/{n}", title=f"Berita {n}", published=datetime.now(UTC)
            ),
        )
    store.close()
    return cfg, db
