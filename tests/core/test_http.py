"""syndicate.http: the one client factory, its separate key-fetch pool, per-host keep-alive
clients, and connections that go only to the address netguard checked (no DNS rebinding).

Everything is real HTTP on loopback; DNS answers come from an injected resolver (or a patched
getaddrinfo), never from the network."""

from __future__ import annotations

import asyncio
import datetime as dt
import http.server
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from syndicate import http as factory
from syndicate.config import settings_from_dict
from syndicate.ingest.fetcher import AddressRefused, Fetcher, FetchOptions
from syndicate.netguard import NetGuard

NAME = "rebind.test"  # never resolved by real DNS: every test answers it itself


class Site:
    """A loopback HTTP/1.1 server that records requests, TCP connections, Host headers and
    SNI; `stall` makes it hold requests open until released."""

    def __init__(
        self, address: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None
    ) -> None:
        self.hits: list[str] = []
        self.hosts: list[str] = []
        self.agents: list[str] = []
        self.connections = 0
        self.sni: list[str | None] = []
        self.release = threading.Event()
        self.stall = False
        self.document = b""  # served instead of "answer from <address>" when set
        self.content_type = "text/plain"
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive

            def setup(self) -> None:
                site.connections += 1
                super().setup()

            def do_GET(self) -> None:  # noqa: N802
                site.hits.append(self.path)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                site.hosts.append(self.headers.get("Host", ""))
                site.agents.append(self.headers.get("User-Agent", ""))
                if site.stall:
                    site.release.wait(10)
                body = site.document or f"answer from {address}".encode()
                self.send_response(200)
                self.send_header("Content-Type", site.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((address, port), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: site.sni.append(name)  # type: ignore[assignment]
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _twin_sites() -> tuple[Site, Site]:
    """`outside` on 127.0.0.2 (stands in for a public address: allowed below) and `inside` on
    127.0.0.1, on the same port, so only the address decides which one answers."""
    for _ in range(20):
        outside = Site("127.0.0.2")
        try:
            inside = Site("127.0.0.1", outside.port)
        except OSError:
            outside.close()
            continue
        return outside, inside
    raise RuntimeError("no port free on both 127.0.0.1 and 127.0.0.2")


@pytest.fixture
def twins() -> Iterator[tuple[Site, Site]]:
    outside, inside = _twin_sites()
    yield outside, inside
    outside.close()
    inside.close()


class RebindingResolver:
    """Answers `first` once, then `later` for every lookup: a DNS rebinding server."""

    def __init__(self, first: str, later: str) -> None:
        self.answers = [first]
        self.later = later
        self.lookups = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups += 1
        return [self.answers.pop(0) if self.answers else self.later]


OUTSIDE = ("127.0.0.2/32",)


# ---- rebinding --------------------------------------------------------------------------------


def test_ingest_connects_to_the_address_that_was_checked(twins, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Before: netguard resolved the name (127.0.0.2, allowed) and httpx resolved it again to
    connect, getting 127.0.0.1: the loopback service answered and its page was ingested."""
    outside, inside = twins
    lookups: list[str] = []
    real = asyncio.base_events.BaseEventLoop.getaddrinfo

    async def rebinding_getaddrinfo(self, host, port, *args, **kw):  # type: ignore[no-untyped-def]
        name = host.decode() if isinstance(host, bytes) else host  # anyio passes IDNA bytes
        if name != NAME:
            return await real(self, host, port, *args, **kw)
        lookups.append(host)
        ip = "127.0.0.2" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]

    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "getaddrinfo", rebinding_getaddrinfo)

    async def go() -> None:
        opts = FetchOptions(
            user_agent="t/1", per_host_delay=0, respect_robots=False, allow_private_networks=OUTSIDE
        )
        async with Fetcher(opts) as f:
            resp = await f.get(f"http://{NAME}:{outside.port}/news")
            assert resp.content == b"answer from 127.0.0.2"
            # Once the checked answer expires, the new answer is checked too: refused.
            f.guard.ttl = 0
            f.guard._cache.clear()
            with pytest.raises(AddressRefused) as err:
                await f.get(f"http://{NAME}:{outside.port}/secret")
            assert "loopback" in err.value.reason

    asyncio.run(go())
    assert outside.hits == ["/news"]
    assert inside.hits == []  # the loopback service was never asked
    assert outside.hosts == [f"{NAME}:{outside.port}"]  # Host header keeps the name


async def test_the_transport_refuses_a_rebound_answer_at_connect_time(twins) -> None:  # type: ignore[no-untyped-def]
    """The check is inside the connection: even a caller that checked nothing is safe."""
    outside, inside = twins
    resolver = RebindingResolver("127.0.0.2", "127.0.0.1")
    guard = NetGuard(OUTSIDE, resolver=resolver, ttl=0)
    async with factory.build_client(factory.ClientSpec("t/1"), guard=guard) as client:
        # Connection: close, so the next request needs a new connection and a new lookup.
        first = await client.get(f"http://{NAME}:{outside.port}/a", headers={"Connection": "close"})
        assert first.text == "answer from 127.0.0.2"
        with pytest.raises(factory.RefusedConnect) as err:
            await client.get(f"http://{NAME}:{outside.port}/b")
        assert "127.0.0.1" in str(err.value) and "loopback" in str(err.value)
    assert inside.hits == []
    # Loopback named directly stays refused too, unless the operator allows it.
    async with factory.build_client(factory.ClientSpec("t/1"), guard=NetGuard()) as client:
        with pytest.raises(factory.RefusedConnect):
            await client.get(f"http://127.0.0.1:{inside.port}/")
    assert inside.hits == []
    allowed = NetGuard(["127.0.0.0/8"])
    async with factory.build_client(factory.ClientSpec("t/1"), guard=allowed) as client:
        assert (await client.get(f"http://127.0.0.1:{inside.port}/")).status_code == 200


async def test_one_lookup_serves_the_check_and_the_connect(twins) -> None:  # type: ignore[no-untyped-def]
    outside, _ = twins
    resolver = RebindingResolver("127.0.0.2", "127.0.0.1")
    opts = FetchOptions(
        user_agent="t/1", per_host_delay=0, respect_robots=False, allow_private_networks=OUTSIDE
    )
    async with Fetcher(opts, resolver=resolver) as f:
        for path in ("/1", "/2", "/3"):
            assert (await f.get(f"http://{NAME}:{outside.port}{path}")).ok
    assert resolver.lookups == 1
    assert outside.hits == ["/1", "/2", "/3"]


async def test_federation_fetches_connect_to_the_checked_address(twins, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A keyId host that rebinds between our check and our connect: the key fetch goes to the
    checked address, or is refused; the loopback service is never asked."""
    import json
    from types import SimpleNamespace

    from syndicate.publish.activitypub.federation import Federation
    from syndicate.publish.activitypub.remote import FetchError as RemoteFetchError
    from syndicate.store import open_store

    outside, inside = twins
    actor = f"http://{NAME}:{outside.port}/actor"
    for site in twins:
        site.document = json.dumps({"id": actor, "type": "Person"}).encode()
        site.content_type = "application/activity+json"
    store = open_store(f"sqlite:///{tmp_path / 'fed.db'}")
    settings = _settings()
    settings = settings.model_copy(
        update={
            "federation": settings.federation.model_copy(
                update={"allow_private_networks": list(OUTSIDE)}
            )
        }
    )
    fed = Federation(SimpleNamespace(settings=settings, store=store, extras={}))  # type: ignore[arg-type]
    try:
        fed.guard.net.resolver = RebindingResolver("127.0.0.2", "127.0.0.1")
        assert (await fed.fetch(actor))["id"] == actor  # checked once, connected there
        # A fresh lookup for the connect (verdict expired right after the check): refused.
        fed.guard.net.ttl = 0
        fed.guard.net._cache.clear()
        fed.guard.net.resolver = RebindingResolver("127.0.0.2", "127.0.0.1")
        await fed.key_client.aclose()
        fed._key_client = None
        with pytest.raises(RemoteFetchError, match="loopback"):
            await fed.fetch(actor)
    finally:
        await fed.aclose()
        store.close()
    assert outside.hits == ["/actor"]
    assert inside.hits == []


def _tls_pair(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for NAME: (server context, client context trusting it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


async def test_tls_keeps_sni_and_certificate_checks_on_the_host_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    server_ctx, client_ctx = _tls_pair(tmp_path)
    site = Site("127.0.0.2", tls=server_ctx)
    try:
        guard = NetGuard(OUTSIDE, resolver=RebindingResolver("127.0.0.2", "127.0.0.2"))
        spec = factory.ClientSpec("t/1")
        async with factory.build_client(spec, guard=guard, verify=client_ctx) as client:
            resp = await client.get(f"https://{NAME}:{site.port}/secure")
            assert resp.status_code == 200
        assert site.sni == [NAME]
        assert site.hosts == [f"{NAME}:{site.port}"]
        # The certificate is checked against the name, not the address we connected to.
        other = NetGuard(OUTSIDE, resolver=RebindingResolver("127.0.0.2", "127.0.0.2"))
        async with factory.build_client(spec, guard=other, verify=client_ctx) as client:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED|hostname"):
                await client.get(f"https://other.test:{site.port}/")
    finally:
        site.close()


# ---- the factory ------------------------------------------------------------------------------


def _settings(**fetch: object):  # type: ignore[no-untyped-def]
    return settings_from_dict(
        {
            "server": {"base_url": "https://news.example"},
            "fetch": {"user_agent": "syndicate-test/{version} (+{contact})", **fetch},
            "federation": {"workers": 12},
            "sources": [],
        }
    )


def test_client_specs_come_from_fetch_settings() -> None:
    settings = _settings(timeout="7s", connect_timeout="2s", concurrency=5)
    ingest = factory.client_spec(settings, "ingest")
    assert ingest.user_agent.startswith("syndicate-test/") and "news.example" in ingest.user_agent
    assert (ingest.timeout, ingest.connect_timeout, ingest.max_connections) == (7.0, 2.0, 5)
    delivery = factory.client_spec(settings, "delivery")
    assert delivery.max_connections == 12 and delivery.timeout == 7.0
    keys = factory.client_spec(settings, "key_fetch")
    assert keys.max_connections == factory.KEY_FETCH_CONNECTIONS < delivery.max_connections
    assert keys.timeout <= factory.KEY_FETCH_TIMEOUT and keys.connect_timeout <= 2.0


async def test_key_fetches_have_their_own_bounded_pool() -> None:
    """Slow keyId hosts fill the key-fetch pool only: deliveries still get connections, and a
    key fetch beyond the pool gives up quickly instead of queueing behind them."""
    slow, inbox = Site(), Site()
    slow.stall = True
    settings = _settings()
    spec = factory.client_spec(settings, "key_fetch")
    spec = factory.ClientSpec(spec.user_agent, spec.timeout, pool_timeout=0.2, max_connections=2)
    keys = factory.build_client(spec)
    deliveries = factory.client_for(settings, "delivery")
    try:
        stuck = [
            asyncio.create_task(keys.get(f"http://127.0.0.1:{slow.port}/key{i}")) for i in range(2)
        ]
        async with asyncio.timeout(10):  # bounded: a broken pool fails, never hangs
            while len(slow.hits) < 2:
                await asyncio.sleep(0.01)
        with pytest.raises(httpx.PoolTimeout):
            await keys.get(f"http://127.0.0.1:{slow.port}/key3")
        resp = await deliveries.post(f"http://127.0.0.1:{inbox.port}/inbox", content=b"{}")
        assert resp.status_code == 200
        assert inbox.agents[0].startswith("syndicate-test/")
        slow.release.set()
        assert [(await t).status_code for t in stuck] == [200, 200]
    finally:
        await keys.aclose()
        await deliveries.aclose()
        slow.close()
        inbox.close()


async def test_host_clients_keep_connections_alive_per_host() -> None:
    sites = [Site() for _ in range(3)]
    made: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        made.append(factory.build_client(factory.ClientSpec("t/1", max_connections=2)))
        return made[-1]

    clients = factory.HostClients(make, max_hosts=2, retire_after=0)
    try:
        for _ in range(5):
            for site in sites[:2]:
                url = f"http://127.0.0.1:{site.port}/inbox"
                assert (await clients.for_url(url).post(url, content=b"x")).status_code == 200
        assert [s.connections for s in sites[:2]] == [1, 1]  # 5 requests each, one connection
        assert len(made) == 2
        url = f"http://127.0.0.1:{sites[2].port}/inbox"
        await clients.for_url(url).post(url, content=b"x")
        assert len(clients) == 2 and len(made) == 3  # the least recently used host was retired
        async with asyncio.timeout(5):  # retire_after=0: closed on the next loop turns
            while not made[0].is_closed:
                await asyncio.sleep(0.01)
        assert not made[1].is_closed and not made[2].is_closed
    finally:
        await clients.aclose()
        for site in sites:
            site.close()
    assert all(c.is_closed for c in made)


async def test_federation_clients_are_guarded_and_follow_a_reload() -> None:
    """Deliveries and key fetches connect only to checked addresses ([federation]
    allow_private_networks, read again after a reload), each from its own pool."""
    from types import SimpleNamespace

    from syndicate.publish.activitypub.federation import Federation

    site = Site()
    state = SimpleNamespace(settings=_settings(), store=None, extras={})
    fed = Federation(state)  # type: ignore[arg-type]
    url = f"http://127.0.0.1:{site.port}/inbox"
    try:
        assert fed.key_client is not fed.client
        for client in (fed.client, fed.key_client):
            with pytest.raises(factory.RefusedConnect):
                await client.post(url, content=b"{}")
        assert site.hits == []
        settings = state.settings
        state.settings = settings.model_copy(
            update={
                "federation": settings.federation.model_copy(
                    update={"allow_private_networks": ["127.0.0.0/8"]}
                )
            }
        )
        for client in (fed.client, fed.key_client):
            assert (await client.post(url, content=b"{}")).status_code == 200
        assert len(site.hits) == 2
    finally:
        await fed.aclose()
        site.close()
