"""Response bodies with a ceiling: every client syndicate.http builds reads through this.

httpx decodes gzip, deflate and brotli one network chunk at a time and without a limit: 1 KB of
brotli can hold a gigabyte of zeros (100 MB of them compress to 165 bytes), so one hostile
feed, actor key or WebFinger answer could fill the memory of the process in a single chunk,
and burn the event loop decoding it, before any caller's byte count saw it. Here the transport
decodes instead, at most DECODE_STEP bytes of output per step, and stops the response once its
decoded size passes the client's ceiling (`BodyTooLarge`). A body with no encoding, or one
we do not decode (httpx does not either), passes through, counted the same way.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Protocol

import brotli
import httpx

DECODE_STEP = 64 * 1024  # bytes of decoded output per decompressor call (brotli: about)


class BodyTooLarge(httpx.HTTPError):
    """The response body is over the client's ceiling (str() says which); `decoded` when it
    came compressed and was that large only once decoded."""

    def __init__(self, message: str, decoded: bool) -> None:
        super().__init__(message)
        self.decoded = decoded


class _Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def flush(self) -> Iterator[bytes]: ...


def _zlib_header(head: bytes) -> bool:
    """RFC 1950: CM 8 (deflate) in the low nibble and the two bytes a multiple of 31."""
    return head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


class _Inflate:
    """gzip (any number of members) or deflate (zlib-wrapped, or raw as some servers send)."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._wbits = zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS
        self._z = zlib.decompressobj(self._wbits)
        self._members = 0  # gzip members decoded to their end
        self._produced = False  # the current decompressor has given output
        self._head: bytes | None = (
            None if gzip else b""
        )  # deflate: the first bytes, until they say which

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._head is not None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, None
            if not _zlib_header(data):
                self._wbits = -zlib.MAX_WBITS  # raw deflate, without the zlib header
                self._z = zlib.decompressobj(self._wbits)
        while data:
            if self._z.eof:
                if not self._gzip:
                    return  # bytes after the end of a deflate stream: ignored, as httpx does
                self._members += 1
                self._z, self._produced = zlib.decompressobj(self._wbits), False
            try:
                out = self._z.decompress(data, DECODE_STEP)
            except zlib.error as exc:
                if not self._produced and self._members:
                    return  # trailing bytes after the last gzip member: ignored, as gzip does
                raise httpx.DecodingError(str(exc)) from None
            if out:
                self._produced = True
                yield out
            # Past a member's end the rest is unused_data (unconsumed_tail may repeat it).
            data = self._z.unused_data if self._z.eof else self._z.unconsumed_tail

    def flush(self) -> Iterator[bytes]:
        if self._head:
            raise httpx.DecodingError("a deflate body of one byte")
        out = self._z.flush()
        if out:
            yield out


class _Brotli:
    def __init__(self) -> None:
        self._d = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            out = self._d.process(data, output_buffer_limit=DECODE_STEP)
            while True:
                if out:
                    yield out
                if self._d.can_accept_more_data():
                    return
                out = self._d.process(b"", output_buffer_limit=DECODE_STEP)
        except brotli.error as exc:
            raise httpx.DecodingError(str(exc)) from None

    def flush(self) -> Iterator[bytes]:
        try:  # what the last input left in the decoder, still a step at a time
            while not self._d.is_finished():
                out = self._d.process(b"", output_buffer_limit=DECODE_STEP)
                if not out:
                    return
                yield out
        except brotli.error as exc:
            raise httpx.DecodingError(str(exc)) from None


_DECODERS: dict[str, Callable[[], _Decoder]] = {
    "gzip": lambda: _Inflate(gzip=True),
    "x-gzip": lambda: _Inflate(gzip=True),
    "deflate": lambda: _Inflate(gzip=False),
    "br": _Brotli,
}


def decoders_for(content_encoding: str) -> list[_Decoder] | None:
    """The decoders to apply in order (the header lists them in the order they were applied),
    [] for none or identity, None when one is not ours to decode."""
    names = [n.strip().lower() for n in content_encoding.split(",") if n.strip()]
    names = [n for n in names if n != "identity"]
    if any(n not in _DECODERS for n in names):
        return None
    return [_DECODERS[n]() for n in reversed(names)]


def _through(decoders: list[_Decoder], data: bytes) -> Iterator[bytes]:
    if not decoders:
        yield data
        return
    first, rest = decoders[0], decoders[1:]
    for piece in first.feed(data):
        yield from _through(rest, piece)


def _flushed(decoders: list[_Decoder]) -> Iterator[bytes]:
    for i, decoder in enumerate(decoders):
        for piece in decoder.flush():
            yield from _through(decoders[i + 1 :], piece)


def gunzip(data: bytes, limit: int, what: str) -> bytes:
    """A gzip file (a sitemap.xml.gz) decoded within `limit` bytes, else BodyTooLarge; a
    corrupt one is an httpx.DecodingError."""
    decoder, out = _Inflate(gzip=True), bytearray()
    for piece in itertools.chain(decoder.feed(data), decoder.flush()):  # flush() runs last
        out += piece
        if len(out) > limit:
            raise BodyTooLarge(f"{what}: over {limit} bytes decoded", True)
    return bytes(out)


class BoundedBody(httpx.AsyncByteStream):
    """A response stream, decoded step by step, that raises BodyTooLarge past `limit` bytes."""

    def __init__(
        self, raw: httpx.AsyncByteStream, decoders: list[_Decoder], limit: int, url: str
    ) -> None:
        self._raw, self._decoders, self._limit, self._url = raw, decoders, limit, url

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._raw:
            for piece in _through(self._decoders, chunk):
                seen += len(piece)
                self._check(seen)
                yield piece
        for piece in _flushed(self._decoders):
            seen += len(piece)
            self._check(seen)
            yield piece

    def _check(self, seen: int) -> None:
        if seen > self._limit:
            how = " decoded" if self._decoders else ""
            raise BodyTooLarge(f"{self._url}: body over {self._limit} bytes{how}", bool(how))

    async def aclose(self) -> None:
        await self._raw.aclose()


class BoundedTransport(httpx.AsyncBaseTransport):
    """Wraps a transport so each response's body is decoded here, within `limit` bytes."""

    def __init__(self, inner: httpx.AsyncBaseTransport, limit: int) -> None:
        self._inner, self._limit = inner, limit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        decoders = decoders_for(response.headers.get("content-encoding", ""))
        headers = response.headers
        if decoders is None:
            decoders = []  # not ours (nor httpx's) to decode: passed on as it came, counted
        elif decoders:  # decoded here: the body no longer has that encoding or that length
            headers = httpx.Headers(
                [
                    (k, v)
                    for k, v in response.headers.multi_items()
                    if k.lower() not in ("content-encoding", "content-length")
                ]
            )
        assert isinstance(response.stream, httpx.AsyncByteStream)
        body = BoundedBody(response.stream, decoders, self._limit, str(request.url))
        return httpx.Response(
            response.status_code,
            headers=headers,
            stream=body,
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()
