"""HTTP Signatures: draft-cavage-12 (what every Fediverse server speaks) and RFC 9421.

Pure functions: headers and bytes in, headers or a verdict out. Signing covers exactly the
bytes that are sent; verification follows Mastodon's rules (signed_request.rb): rsa-sha256 or
hs2019, Date or (created) signed, (request-target) tried with and without the query string,
POST bodies bound by a Digest / Content-Digest, and a clock window of one hour each way.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, cast
from urllib.parse import urlsplit

import http_sf
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from http_sf.innerlist import ser_item_or_inner_list

CLOCK_SKEW = timedelta(hours=1)
RFC9421_ALG = "rsa-v1_5-sha256"


class SignatureError(Exception):
    """Why a request's signature is not acceptable (worded for a log line / 401 body)."""


# ---- keys ---------------------------------------------------------------------------------


def generate_key() -> tuple[str, str]:
    """A fresh RSA 2048 key pair as (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return private, public_pem(key)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@lru_cache(maxsize=64)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("expected an RSA private key")
    return key


@lru_cache(maxsize=1024)
def load_public_key(pem: str) -> rsa.RSAPublicKey | ed25519.Ed25519PublicKey:
    """A remote actor's key; whatever a remote server puts in publicKeyPem fails as a
    SignatureError (a 401), never as an exception that escapes the inbox."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SignatureError(f"public key does not load: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise SignatureError(f"unsupported public key type {type(key).__name__}")
    return key


def _sign(key: rsa.RSAPrivateKey, message: bytes) -> bytes:
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def verify_bytes(public_key_pem: str, message: bytes, signature: bytes) -> bool:
    """RSA PKCS#1 v1.5 SHA-256 or Ed25519, chosen by the key (hs2019 leaves it to the key)."""
    key = load_public_key(public_key_pem)
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


# ---- helpers ------------------------------------------------------------------------------


def http_date(now: datetime | None = None) -> str:
    return email.utils.format_datetime((now or datetime.now(UTC)).astimezone(UTC), usegmt=True)


def digest_header(body: bytes, sha256: bytes | None = None) -> str:
    """`Digest` for `body`; `sha256` is its hash when the caller already has it (a fan-out
    sends one body to many inboxes: hashed once, not once per delivery)."""
    return "SHA-256=" + base64.b64encode(sha256 or hashlib.sha256(body).digest()).decode()


def content_digest_header(body: bytes, sha256: bytes | None = None) -> str:
    return "sha-256=:" + base64.b64encode(sha256 or hashlib.sha256(body).digest()).decode() + ":"


def host_header(url: str) -> str:
    """The Host an HTTP client sends for `url` (default ports left out)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80)
        or (parts.scheme == "https" and parts.port == 443)
    ):
        host += f":{parts.port}"
    return host


def _target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


# ---- signing ------------------------------------------------------------------------------


def sign_cavage(
    private_pem: str,
    key_id: str,
    method: str,
    url: str,
    body: bytes | None = None,
    now: datetime | None = None,
    extra: dict[str, str] | None = None,
    sha256: bytes | None = None,
) -> dict[str, str]:
    """Headers for a draft-cavage signed request: Host, Date, Digest (with a body), Signature.

    POST signs `(request-target) host date digest`; GET signs `(request-target) host date`.
    `extra` headers (e.g. FEP-8fcf Collection-Synchronization) are sent and signed too;
    `sha256` is the body's hash if already known.
    """
    headers = {"Host": host_header(url), "Date": http_date(now)}
    lines = [f"(request-target): {method.lower()} {_target(url)}", f"host: {headers['Host']}"]
    lines.append(f"date: {headers['Date']}")
    names = ["(request-target)", "host", "date"]
    if body is not None:
        headers["Digest"] = digest_header(body, sha256)
        lines.append(f"digest: {headers['Digest']}")
        names.append("digest")
    for name, value in (extra or {}).items():
        headers[name] = value
        lines.append(f"{name.lower()}: {value}")
        names.append(name.lower())
    sig = _sign(load_private_key(private_pem), "\n".join(lines).encode())
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(sig).decode()}"'
    )
    return headers


def sign_rfc9421(
    private_pem: str,
    key_id: str,
    method: str,
    url: str,
    body: bytes | None = None,
    now: datetime | None = None,
    label: str = "sig1",
    extra: dict[str, str] | None = None,
    sha256: bytes | None = None,
) -> dict[str, str]:
    """Headers for an RFC 9421 signed request as Mastodon 4.5 checks it: `@method`,
    `@target-uri` (and `content-digest` with a body), `created`, `keyid`, rsa-v1_5-sha256.
    `extra` headers are sent and signed as components too."""
    created = int((now or datetime.now(UTC)).timestamp())
    headers = {"Host": host_header(url), "Date": http_date(now)}
    components = [("@method", method.upper()), ("@target-uri", url)]
    if body is not None:
        headers["Content-Digest"] = content_digest_header(body, sha256)
        components.append(("content-digest", headers["Content-Digest"]))
    for name, value in (extra or {}).items():
        headers[name] = value
        components.append((name.lower(), value))
    params = (
        "(" + " ".join(f'"{name}"' for name, _ in components) + ")"
        f';created={created};keyid="{key_id}";alg="{RFC9421_ALG}"'
    )
    base = "\n".join([*(f'"{n}": {v}' for n, v in components), f'"@signature-params": {params}'])
    sig = _sign(load_private_key(private_pem), base.encode())
    headers["Signature-Input"] = f"{label}={params}"
    headers["Signature"] = f"{label}=:{base64.b64encode(sig).decode()}:"
    return headers


# ---- verification ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingSignature:
    """A request whose form, time and body digest checked out; the key decides the rest."""

    key_id: str
    scheme: str  # "cavage" or "rfc9421"
    signature: bytes
    messages: tuple[bytes, ...]  # candidate signing strings (with and without the query)
    covers_host: bool = False  # the Host header is part of what was signed

    def verify(self, public_key_pem: str) -> bool:
        return any(verify_bytes(public_key_pem, m, self.signature) for m in self.messages)

    @property
    def replay_key(self) -> str:
        return hashlib.sha256(self.signature).hexdigest()


_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)')


def parse_cavage(value: str) -> dict[str, str]:
    """`keyId="…",algorithm="…",headers="…",signature="…"` -> dict (names as written)."""
    out: dict[str, str] = {}
    pos = 0
    value = value.strip()
    if value.lower().startswith("signature "):  # the Authorization: Signature … form
        value = value[10:]
    while pos < len(value):
        m = _PARAM.match(value, pos)
        if not m or m.end() == pos:
            raise SignatureError("malformed Signature header")
        out[m.group(1)] = m.group(2) if m.group(2) is not None else m.group(3)
        pos = m.end()
    return out


# A Structured Field Dictionary member as http_sf returns it: (value, parameters).
SfMember = tuple[Any, dict[str, Any]]


def _sf_dictionary(raw: str) -> dict[str, SfMember]:
    """Parse an RFC 8941 Dictionary header; http_sf types its result as any structured
    value, so check the shape once here and hand callers (value, params) pairs."""
    parsed = http_sf.parse(raw.encode(), tltype="dictionary")
    if not isinstance(parsed, dict) or not all(
        isinstance(m, tuple) and len(m) == 2 for m in parsed.values()
    ):
        raise ValueError("not a structured-field dictionary")
    return cast(dict[str, SfMember], parsed)


def check_digest(headers: Mapping[str, str], body: bytes) -> str:
    """Check Digest (RFC 3230; algorithm names in any case) or Content-Digest (RFC 9530)
    against the exact body; returns which header matched, raises SignatureError otherwise."""
    checks = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
    if "content-digest" in headers:
        try:
            parsed = _sf_dictionary(headers["content-digest"])
        except Exception:
            raise SignatureError("malformed Content-Digest header") from None
        known = {k: v for k, v in parsed.items() if k in checks}
        if not known:
            raise SignatureError("Content-Digest has no sha-256 or sha-512 value")
        for alg, (value, _params) in known.items():
            if value != checks[alg](body).digest():
                raise SignatureError("Content-Digest does not match the body")
        return "content-digest"
    if "digest" in headers:
        found = False
        for part in headers["digest"].split(","):
            alg, _, value = part.strip().partition("=")
            fn = checks.get(alg.strip().lower())
            if fn is None:
                continue
            found = True
            try:
                given = base64.b64decode(value.strip(), validate=True)
            except ValueError:
                raise SignatureError("malformed Digest header") from None
            if given != fn(body).digest():
                raise SignatureError("Digest does not match the body")
        if not found:
            raise SignatureError("Digest has no SHA-256 or SHA-512 value")
        return "digest"
    raise SignatureError("no Digest header on a request with a body")


def _check_time(created: datetime, expires: datetime | None, now: datetime) -> None:
    if created > now + CLOCK_SKEW:
        raise SignatureError("signed date is more than an hour in the future")
    if expires is not None and now > expires + CLOCK_SKEW:
        raise SignatureError("signature expired")
    if created < now - CLOCK_SKEW:
        raise SignatureError("signed date is more than an hour old")


def _epoch(value: str | int | None, what: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(int(value), UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise SignatureError(f"malformed {what}") from None


def check_request(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    scheme: str = "https",
    authority: str | None = None,
    now: datetime | None = None,
) -> PendingSignature:
    """Everything about a signed request that needs no key: syntax, covered parts, time, digest.

    `headers` maps lower-case names to values (repeats joined with ", "). `authority` is our
    own host[:port]: when the signature covers the host, it must name us. Raises SignatureError.
    """
    now = now or datetime.now(UTC)
    if "signature-input" in headers and "signature" in headers:
        pending = _check_rfc9421(method, path, query, headers, body, scheme, now)
    else:
        raw = headers.get("signature")
        if raw is None and headers.get("authorization", "").lower().startswith("signature "):
            raw = headers["authorization"]
        if raw is None:
            raise SignatureError("request is not signed")
        pending = _check_cavage(method, path, query, headers, body, raw, now)
    # A request signed for another server (its host signed) could otherwise be relayed to us
    # with that Host header and still verify.
    if (
        authority is not None
        and pending.covers_host
        and not same_authority(headers.get("host", ""), authority, scheme)
    ):
        raise SignatureError("signed for another host")
    return pending


def same_authority(host: str, ours: str, scheme: str) -> bool:
    """Whether a Host header names `ours` (case-insensitive; a default port may be spelt out)."""
    default = ":443" if scheme == "https" else ":80"

    def norm(value: str) -> str:
        return value.strip().lower().removesuffix(default)

    return bool(host) and norm(host) == norm(ours)


def _check_cavage(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes | None,
    raw: str,
    now: datetime,
) -> PendingSignature:
    p = {k.lower(): v for k, v in parse_cavage(raw).items()}
    key_id, sig_b64 = p.get("keyid"), p.get("signature")
    if not key_id or not sig_b64:
        raise SignatureError("Signature header lacks keyId or signature")
    algorithm = (p.get("algorithm") or "hs2019").lower()
    if algorithm not in ("rsa-sha256", "hs2019", "ed25519"):
        raise SignatureError(f"unsupported signature algorithm {algorithm!r}")
    names = (p.get("headers") or "date").lower().split()
    post = method.upper() == "POST"
    if "date" not in names and "(created)" not in names:
        raise SignatureError("neither date nor (created) is signed")
    if "(request-target)" not in names and "digest" not in names:
        raise SignatureError("neither (request-target) nor digest is signed")
    if not post and "host" not in names:
        raise SignatureError("host is not signed")
    if body is not None and post:
        matched = check_digest(headers, body)
        if matched not in names:
            raise SignatureError(f"{matched} is not signed")
    created = _epoch(p.get("created"), "created")
    expires = _epoch(p.get("expires"), "expires")
    if "(created)" in names and created is not None:
        when = created
    else:
        date = headers.get("date")
        if not date:
            raise SignatureError("no Date header")
        try:
            when = email.utils.parsedate_to_datetime(date)
        except (TypeError, ValueError):
            raise SignatureError("malformed Date header") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    _check_time(when, expires, now)
    try:
        signature = base64.b64decode(sig_b64, validate=True)
    except ValueError:
        raise SignatureError("signature is not base64") from None
    targets = [path + (f"?{query}" if query else "")]
    if query:
        targets.append(path)  # some senders sign the path alone
    messages = []
    for target in targets:
        lines = []
        for name in names:
            if name == "(request-target)":
                lines.append(f"(request-target): {method.lower()} {target}")
            elif name == "(created)":
                lines.append(f"(created): {p.get('created', '')}")
            elif name == "(expires)":
                lines.append(f"(expires): {p.get('expires', '')}")
            elif name in headers:
                lines.append(f"{name}: {headers[name]}")
            else:
                raise SignatureError(f"signed header {name!r} is missing")
        messages.append("\n".join(lines).encode())
    return PendingSignature(key_id, "cavage", signature, tuple(messages), "host" in names)


def _check_rfc9421(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes | None,
    scheme: str,
    now: datetime,
) -> PendingSignature:
    try:
        inputs = _sf_dictionary(headers["signature-input"])
        sigs = _sf_dictionary(headers["signature"])
    except Exception:
        raise SignatureError("malformed Signature-Input or Signature header") from None
    label = next((name for name in inputs if name in sigs), None)
    if label is None:
        raise SignatureError("Signature-Input and Signature share no label")
    member = inputs[label]
    items, params = member
    signature = sigs[label][0]
    if not isinstance(items, list) or not isinstance(signature, bytes):
        raise SignatureError("malformed RFC 9421 signature")
    key_id = params.get("keyid")
    if not isinstance(key_id, str):
        raise SignatureError("signature has no keyid")
    alg = params.get("alg")
    if alg not in (None, RFC9421_ALG, "ed25519"):
        raise SignatureError(f"unsupported signature algorithm {alg!r}")
    created = _epoch(params.get("created"), "created")
    if created is None:
        raise SignatureError("signature has no created time")
    _check_time(created, _epoch(params.get("expires"), "expires"), now)
    names = [name for name, _p in items]
    if any(p for _n, p in items):
        raise SignatureError("component parameters are not supported")
    if "@method" not in names or not ({"@target-uri", "@path", "@request-target"} & set(names)):
        raise SignatureError("@method and @target-uri must be signed")
    if body is not None and method.upper() == "POST":
        matched = check_digest(headers, body)
        if matched not in names:
            raise SignatureError(f"{matched} is not signed")
    host = headers.get("host", "")
    q = f"?{query}" if query else ""
    derived = {
        "@method": method.upper(),
        "@target-uri": f"{scheme}://{host}{path}{q}",
        "@authority": host.lower(),
        "@scheme": scheme,
        "@path": path,
        "@query": q or "?",
        "@request-target": path + q,
    }
    lines = []
    for name in names:
        if name.startswith("@"):
            if name not in derived:
                raise SignatureError(f"unsupported component {name!r}")
            lines.append(f'"{name}": {derived[name]}')
        elif name in headers:
            lines.append(f'"{name}": {headers[name].strip()}')
        else:
            raise SignatureError(f"signed header {name!r} is missing")
    lines.append(f'"@signature-params": {ser_item_or_inner_list(member)}')
    covers_host = bool({"host", "@authority", "@target-uri"} & set(names))
    return PendingSignature(key_id, "rfc9421", signature, ("\n".join(lines).encode(),), covers_host)
