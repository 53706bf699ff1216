"""Our HTTP signatures, checked both ways against independent implementations:
bovine (draft-cavage) and http-message-signatures (RFC 9421)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from bovine.crypto import generate_rsa_public_private_key
from bovine.crypto.http_signature import build_signature
from bovine.crypto.signature_checker import SignatureChecker
from bovine.crypto.types import CryptographicIdentifier, CryptographicSecret
from bovine.utils import get_gmt_now
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
)
from http_message_signatures.algorithms import RSA_V1_5_SHA256
from http_message_signatures.structures import CaseInsensitiveDict

from syndicate.publish.activitypub.signatures import (
    SignatureError,
    check_request,
    generate_key,
    http_date,
    sign_cavage,
    sign_rfc9421,
)

URL = "https://mastodon.example/inbox"
BODY = b'{"type":"Create","id":"https://news.example/activities/1"}'
KEY_ID = "https://news.example/users/detailnews#main-key"


@pytest.fixture(scope="module")
def ours() -> tuple[str, str]:
    return generate_key()


@pytest.fixture(scope="module")
def theirs() -> tuple[str, str]:
    public, private = generate_rsa_public_private_key()
    return private, public


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


async def _bovine_verify(
    method: str, url: str, headers: dict[str, str], body: bytes, public: str
) -> str | None:
    async def key(key_id: str) -> CryptographicIdentifier:
        return CryptographicIdentifier.from_pem(public, "https://news.example/users/detailnews")

    async def get_body() -> bytes:
        return body

    return await SignatureChecker(key).validate_signature(method, url, _lower(headers), get_body)


# ---- outbound: what we sign, checked by others ------------------------------------------------


async def test_cavage_post_verifies_with_bovine(ours: tuple[str, str]) -> None:
    private, public = ours
    headers = sign_cavage(private, KEY_ID, "POST", URL, BODY)
    assert 'headers="(request-target) host date digest"' in headers["Signature"]
    assert (
        headers["Digest"] == "SHA-256=" + base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    )
    assert headers["Host"] == "mastodon.example"
    owner = await _bovine_verify("post", URL, headers, BODY, public)
    assert owner == "https://news.example/users/detailnews"


async def test_cavage_post_fails_bovine_when_body_changes(ours: tuple[str, str]) -> None:
    private, public = ours
    headers = sign_cavage(private, KEY_ID, "POST", URL, BODY)
    assert await _bovine_verify("post", URL, headers, BODY + b" ", public) is None


async def test_cavage_get_signs_host_and_date(ours: tuple[str, str]) -> None:
    private, public = ours
    headers = sign_cavage(private, KEY_ID, "GET", "https://gts.example/users/bob")
    assert 'headers="(request-target) host date"' in headers["Signature"]
    assert "Digest" not in headers
    assert await _bovine_verify("get", "https://gts.example/users/bob", headers, b"", public)


def _hms_message(method: str, url: str, headers: dict[str, str]) -> SimpleNamespace:
    return SimpleNamespace(method=method, url=url, headers=CaseInsensitiveDict(headers))


def test_rfc9421_verifies_with_http_message_signatures(ours: tuple[str, str]) -> None:
    private, public = ours
    headers = sign_rfc9421(private, KEY_ID, "POST", URL, BODY)
    verifier = HTTPMessageVerifier(
        signature_algorithm=RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(
            public_keys={KEY_ID: load_pem_public_key(public.encode())}, private_keys={}
        ),
    )
    results = verifier.verify(
        _hms_message("POST", URL, headers),
        body=BODY,
        require_components=("@method", "@target-uri", "content-digest"),
    )
    assert results[0].parameters["keyid"] == KEY_ID
    assert "created" in results[0].parameters
    with pytest.raises(InvalidSignature):
        verifier.verify(_hms_message("POST", URL, headers), body=BODY + b"x")


# ---- inbound: what others sign, checked by us -------------------------------------------------


def _bovine_signed_post(
    private: str,
    url: str,
    body: bytes,
    *,
    date: str | None = None,
    digest_prefix: str = "SHA-256",
    algorithm: str | None = None,
) -> dict[str, str]:
    from bovine.crypto.helper import content_digest_sha256

    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    date = date or get_gmt_now()
    digest = content_digest_sha256(body, prefix=digest_prefix)
    sig = (
        build_signature(parts.netloc, "post", target)
        .with_field("date", date)
        .with_field("digest", digest)
    )
    header = sig.sign_for_http_draft(
        CryptographicSecret.from_pem("https://remote.example/users/alice#main-key", private)
    )
    if algorithm:
        header = header.replace('algorithm="rsa-sha256"', f'algorithm="{algorithm}"')
    return {"host": parts.netloc, "date": date, "digest": digest, "signature": header}


def _check(
    headers: dict[str, str], url: str = URL, body: bytes = BODY, now: datetime | None = None
):  # type: ignore[no-untyped-def]
    parts = urlsplit(url)
    return check_request(
        "POST", parts.path, parts.query, _lower(headers), body, scheme="https", now=now
    )


@pytest.mark.parametrize("algorithm", [None, "hs2019"])
@pytest.mark.parametrize("prefix", ["SHA-256", "sha-256"])
def test_we_accept_bovine_signatures(
    theirs: tuple[str, str], algorithm: str | None, prefix: str
) -> None:
    private, public = theirs
    headers = _bovine_signed_post(private, URL, BODY, digest_prefix=prefix, algorithm=algorithm)
    pending = _check(headers)
    assert pending.key_id == "https://remote.example/users/alice#main-key"
    assert pending.verify(public)
    assert not pending.verify(generate_key()[1])  # someone else's key


def test_request_target_with_and_without_query(theirs: tuple[str, str]) -> None:
    private, public = theirs
    # Signed with the query: we check with it.
    signed_with = _bovine_signed_post(private, URL + "?a=b", BODY)
    assert _check(signed_with, URL + "?a=b").verify(public)
    # Signed without the query (some senders do) but sent with one: we check without too.
    signed_without = _bovine_signed_post(private, URL, BODY)
    assert _check(signed_without, URL + "?a=b").verify(public)


def test_bad_digest_rejected(theirs: tuple[str, str]) -> None:
    headers = _bovine_signed_post(theirs[0], URL, BODY)
    with pytest.raises(SignatureError, match="Digest does not match"):
        _check(headers, body=BODY + b"tampered")


@pytest.mark.parametrize("offset", [timedelta(hours=-1, minutes=-5), timedelta(hours=1, minutes=5)])
def test_date_outside_an_hour_rejected(theirs: tuple[str, str], offset: timedelta) -> None:
    date = http_date(datetime.now(UTC) + offset)
    headers = _bovine_signed_post(theirs[0], URL, BODY, date=date)
    with pytest.raises(SignatureError, match="hour"):
        _check(headers)


def test_date_within_an_hour_accepted(theirs: tuple[str, str]) -> None:
    date = http_date(datetime.now(UTC) - timedelta(minutes=50))
    headers = _bovine_signed_post(theirs[0], URL, BODY, date=date)
    assert _check(headers).verify(theirs[1])


def test_digest_must_be_signed_on_post(theirs: tuple[str, str]) -> None:
    private, _ = theirs
    parts = urlsplit(URL)
    date = get_gmt_now()
    sig = build_signature(parts.netloc, "post", parts.path).with_field("date", date)
    header = sig.sign_for_http_draft(CryptographicSecret.from_pem("k", private))
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    with pytest.raises(SignatureError, match="digest is not signed"):
        _check({"host": parts.netloc, "date": date, "digest": digest, "signature": header})


def test_unsigned_rejected() -> None:
    with pytest.raises(SignatureError, match="not signed"):
        _check({"host": "mastodon.example", "date": get_gmt_now()})


def test_we_accept_rfc9421_from_http_message_signatures(theirs: tuple[str, str]) -> None:
    private, public = theirs
    key_id = "https://remote.example/users/alice#main-key"
    signer = HTTPMessageSigner(
        signature_algorithm=RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(
            public_keys={}, private_keys={key_id: load_pem_private_key(private.encode(), None)}
        ),
    )
    msg = _hms_message("POST", URL, {"Host": "mastodon.example"})
    signer.sign(
        msg,
        key_id=key_id,
        covered_component_ids=("@method", "@target-uri", "content-digest"),
        body=BODY,
    )
    headers = dict(msg.headers.items())
    pending = _check(headers)
    assert pending.scheme == "rfc9421" and pending.key_id == key_id
    assert pending.verify(public)
    with pytest.raises(SignatureError, match="Content-Digest does not match"):
        _check(headers, body=BODY + b"!")


def test_rfc9421_roundtrip_and_stale_created(ours: tuple[str, str]) -> None:
    private, public = ours
    headers = sign_rfc9421(private, KEY_ID, "POST", URL, BODY)
    assert _check(headers).verify(public)
    old = sign_rfc9421(
        private, KEY_ID, "POST", URL, BODY, now=datetime.now(UTC) - timedelta(hours=2)
    )
    with pytest.raises(SignatureError, match="hour old"):
        _check(old)
