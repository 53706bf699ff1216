"""syndicate.http_body: every client decodes bodies itself, a step at a time, within a ceiling.

These are unit tests of the decoding (httpx.MockTransport under the real client factory); the
fetcher's zip-bomb tests over loopback are in tests/ingest/test_fetcher.py."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator, Callable

import brotli
import httpx
import pytest

from syndicate import http as factory
from syndicate.config import settings_from_dict
from syndicate.http_body import DECODE_STEP, BodyTooLarge
from syndicate.publish.activitypub.remote import FetchError, PeerGuard, fetch_document

TEXT = "Berita Kota Bitung — Wali Kota memimpin rapat koordinasi banjir. ".encode() * 4000


def deflate_raw(data: bytes) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return z.compress(data) + z.flush()


def gzip_members(data: bytes) -> bytes:
    half = len(data) // 2
    return gzip.compress(data[:half]) + gzip.compress(data[half:])


def client(handler: Callable[[httpx.Request], httpx.Response], limit: int = 10_000_000):  # type: ignore[no-untyped-def]
    spec = factory.ClientSpec("t/1", max_body_bytes=limit)
    return factory.build_client(spec, transport=httpx.MockTransport(handler))


def chunked(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        for i in range(0, len(data), size):
            yield data[i : i + size]

    return gen()


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("gzip", gzip_members),  # two members, as some servers concatenate
        ("deflate", zlib.compress),  # zlib-wrapped, as RFC 9110 says
        ("deflate", deflate_raw),  # raw, as some servers send it
        ("br", brotli.compress),
        ("gzip, br", lambda d: brotli.compress(gzip.compress(d))),
        ("identity", lambda d: d),
        ("", lambda d: d),
    ],
)
async def test_every_encoding_decodes_to_the_same_text(encoding: str, encode) -> None:  # type: ignore[no-untyped-def]
    body = encode(TEXT)

    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Encoding": encoding} if encoding else {}
        return httpx.Response(200, headers=headers, content=chunked(body))

    async with client(answer) as c:
        resp = await c.get("https://site.example/feed")
        assert resp.content == TEXT
        assert "content-encoding" not in resp.headers or encoding in ("identity", "")


async def test_a_brotli_bomb_stops_at_the_ceiling_in_small_steps() -> None:
    """256 MB of zeros are ~400 bytes of brotli; httpx alone would hand over all 256 MB from
    that one chunk. Decoded here, each step is about DECODE_STEP and the read stops at the cap."""
    bomb = brotli.compress(b"\0" * (256 * 2**20), quality=5)
    assert len(bomb) < 2000

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "br"}, content=chunked(bomb))

    steps: list[int] = []
    async with (
        client(answer, limit=1_000_000) as c,
        c.stream("GET", "https://site.example/bomb") as resp,
    ):
        with pytest.raises(BodyTooLarge, match="over 1000000 bytes decoded"):
            async for piece in resp.aiter_bytes():
                steps.append(len(piece))
    assert max(steps) <= 2 * DECODE_STEP  # brotli stops growing its buffer past the step
    assert sum(steps) <= 1_000_000


async def test_a_plain_body_past_the_ceiling_is_refused_for_readers_of_content() -> None:
    """A WebFinger or hub answer read with .content: no encoding, just endless bytes."""

    async def endless() -> AsyncIterator[bytes]:
        for _ in range(1024):  # 64 MB: "endless" for a 200 KB ceiling, finite if it regresses
            yield b"x" * 65536

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=endless())

    async with client(answer, limit=200_000) as c:
        with pytest.raises(BodyTooLarge):
            await c.get("https://site.example/.well-known/webfinger")


async def test_a_corrupt_body_is_a_decoding_error_not_a_crash() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=b"not gzip")

    async with client(answer) as c:
        with pytest.raises(httpx.DecodingError):
            await c.get("https://site.example/feed")


def test_every_purpose_has_a_ceiling_and_ingest_takes_the_configured_one() -> None:
    cfg = settings_from_dict({"fetch": {"max_body_bytes": 3_000_000}})
    assert factory.client_spec(cfg, "ingest").max_body_bytes == 3_000_000
    for purpose in ("delivery", "key_fetch", "websub", "webhook"):
        assert factory.client_spec(cfg, purpose).max_body_bytes == factory.SMALL_BODY_BYTES


async def test_an_actor_document_past_the_key_fetch_ceiling_is_refused_not_retried() -> None:
    """A keyId host answering 5 MB (or a brotli bomb): a refusal (the sender gets 401), not a
    network failure (503, "try again")."""

    def answer(request: httpx.Request) -> httpx.Response:
        doc = b'{"id": "x", "pad": "' + b"x" * 5_000_000 + b'"}'
        headers = {"Content-Type": "application/activity+json", "Content-Encoding": "br"}
        return httpx.Response(200, headers=headers, content=chunked(brotli.compress(doc)))

    cfg = settings_from_dict({})
    spec = factory.client_spec(cfg, "key_fetch")
    guard = PeerGuard(["127.0.0.0/8"])
    async with factory.build_client(spec, transport=httpx.MockTransport(answer)) as c:
        with pytest.raises(FetchError, match="over 1000000 bytes decoded") as refused:
            await fetch_document(c, guard, "http://127.0.0.1:9/users/bomb", key=None)
    assert not refused.value.network
