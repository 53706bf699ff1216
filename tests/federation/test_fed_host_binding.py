# ruff: noqa: F811  (pytest fixtures imported from fedutil)
"""A signature that covers the Host is bound to our host: a request signed for another server
and relayed to our inbox is refused. Signed by independent implementations (bovine for
draft-cavage, http-message-signatures for RFC 9421), sent over real HTTP on loopback."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from fedutil import instance, remote  # noqa: F401
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver
from http_message_signatures.algorithms import RSA_V1_5_SHA256
from http_message_signatures.structures import CaseInsensitiveDict

from syndicate.publish.activitypub.signatures import SignatureError, check_request, sign_cavage

ELSEWHERE = "http://mastodon.elsewhere.example:8080/inbox"


def follow(actor_id: str, target: str) -> dict[str, Any]:
    return {"id": f"{actor_id}#f", "type": "Follow", "actor": actor_id, "object": target}


async def _post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient() as c:
        return await c.post(url, content=body, headers=headers)


async def test_cavage_signed_for_another_host_is_refused(instance, remote) -> None:
    alice = remote.add_actor("alice")
    body = json.dumps(follow(alice.id, instance.actor())).encode()
    headers = alice.signed_headers(ELSEWHERE, body)  # Host mastodon.elsewhere.example:8080
    resp = await _post(f"{instance.base}/inbox", body, headers)
    assert resp.status_code == 401 and "signed for another host" in resp.text
    assert instance.store.follower_count() == 0


async def test_cavage_signed_for_us_with_another_case_is_accepted(instance, remote) -> None:
    alice = remote.add_actor("alice")
    body = json.dumps(follow(alice.id, instance.actor())).encode()
    headers = alice.signed_headers(f"{instance.base}/inbox", body)
    assert headers["Host"] == instance.base.removeprefix("http://")
    resp = await _post(f"{instance.base}/inbox", body, headers)
    assert resp.status_code == 202, resp.text


def _rfc9421(alice: Any, url: str, body: bytes, components: tuple[str, ...]) -> dict[str, str]:
    signer = HTTPMessageSigner(
        signature_algorithm=RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(
            public_keys={},
            private_keys={alice.key_id: load_pem_private_key(alice.private_pem.encode(), None)},
        ),
    )
    host = httpx.URL(url).netloc.decode()
    msg = SimpleNamespace(
        method="POST",
        url=url,
        headers=CaseInsensitiveDict({"Host": host, "Content-Type": "application/activity+json"}),
    )
    signer.sign(msg, key_id=alice.key_id, covered_component_ids=components, body=body)
    return dict(msg.headers.items())


@pytest.mark.parametrize(
    "components",
    [
        ("@method", "@target-uri", "content-digest"),
        ("@method", "@authority", "@path", "content-digest"),
    ],
    ids=["target-uri", "authority"],
)
async def test_rfc9421_signed_for_another_host_is_refused(
    instance, remote, components: tuple[str, ...]
) -> None:
    alice = remote.add_actor("alice")
    body = json.dumps(follow(alice.id, instance.actor())).encode()
    relayed = _rfc9421(alice, ELSEWHERE, body, components)
    resp = await _post(f"{instance.base}/inbox", body, relayed)
    assert resp.status_code == 401 and "signed for another host" in resp.text
    assert instance.store.follower_count() == 0
    # The same, signed for us, is accepted.
    ours = _rfc9421(alice, f"{instance.base}/inbox", body, components)
    resp = await _post(f"{instance.base}/inbox", body, ours)
    assert resp.status_code == 202, resp.text


def _check(headers: dict[str, str], authority: str | None) -> Any:
    return check_request(
        "GET",
        "/users/x",
        "",
        {k.lower(): v for k, v in headers.items()},
        None,
        scheme="https",
        authority=authority,
    )


@pytest.mark.parametrize("host", ["news.example", "NEWS.Example", "news.example:443"])
def test_our_host_matches_case_insensitively_and_with_the_default_port(host: str) -> None:
    private, _ = _key()
    headers = sign_cavage(private, "https://r.example/a#k", "GET", "https://news.example/users/x")
    headers["Host"] = host  # re-signed below with this exact Host
    headers = _resign(private, headers)
    assert _check(headers, "news.example").key_id == "https://r.example/a#k"


@pytest.mark.parametrize(
    "host", ["other.example", "news.example:8443", "news.example.evil", "x@news.example"]
)
def test_other_hosts_are_refused(host: str) -> None:
    private, _ = _key()
    headers = sign_cavage(private, "https://r.example/a#k", "GET", "https://news.example/users/x")
    headers["Host"] = host
    headers = _resign(private, headers)
    with pytest.raises(SignatureError, match="signed for another host"):
        _check(headers, "news.example")
    assert _check(headers, None)  # no authority given: not checked (pure signature tests)


def _key() -> tuple[str, str]:
    from fedutil import _our_key

    return _our_key("host-binding")


def _resign(private: str, headers: dict[str, str]) -> dict[str, str]:
    """sign_cavage over a given Host header value (spelling kept as is)."""
    import base64

    from syndicate.publish.activitypub.signatures import _sign, load_private_key

    lines = ["(request-target): get /users/x", f"host: {headers['Host']}"]
    lines.append(f"date: {headers['Date']}")
    sig = base64.b64encode(_sign(load_private_key(private), "\n".join(lines).encode())).decode()
    headers["Signature"] = (
        'keyId="https://r.example/a#k",algorithm="rsa-sha256",'
        f'headers="(request-target) host date",signature="{sig}"'
    )
    return headers
