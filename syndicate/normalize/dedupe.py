"""Near-duplicate detection across sources (reprinted press releases).

`fingerprint` is a 64-bit SimHash over word 3-shingles, returned as a *signed* int so it fits a
SQL BIGINT. Two reprints of one release differ in a few bits; different stories on the same
topic differ in about half of them. `same_story` folds only when the fingerprints are close AND,
when both texts are at hand, the shingle overlap confirms it (SimHash alone is a pre-filter).

Measured on the corpus: nusautara 3311 vs detailnews 2481 (new title and dateline, one
paragraph dropped, two wording edits) -> Hamming 10, containment 0.97; every other pair of
corpus articles (same towns, same officials, same topics) -> Hamming >= 20, containment <= 0.08.

Finding the candidates is an index lookup, not a scan: `bands` cuts a MinHash signature of the
same shingles (BANDS x ROWS permutations) into LSH bands, each one signed 64-bit
number stored in an indexed column (store/story_bands.py). Two texts share at least one band with
probability 1 - (1 - J^ROWS)^BANDS for shingle Jaccard J: 0.93 at J = 0.5, 0.9997 at J = 0.7, and
0.0025 at J = 0.05 (unrelated stories), so the cost per new article stays flat however many are
stored, and `same_story` confirms each candidate as before.

The MinHash is our own few lines of numpy, value for value what datasketch 2.0's
MinHash(num_perm=60, seed=1, scheme="affine32") computes (SHA-1's first 4 bytes, the Murmur3
finalizer, affine permutations mod 2^32), because importing datasketch imports scipy (~45 MB and
up to a second at start-up) and stored bands must never move (tests/normalize/test_dedupe_pinned.py).
"""

from __future__ import annotations

import functools
import hashlib
import re
import struct

import numpy as np

SHINGLE = 3
MAX_HAMMING_LOOSE = 24  # when the shingle overlap confirms (random pairs: ~32 +- 4)
MAX_HAMMING_ALONE = 12  # when only fingerprints are known (random pairs: ~32 +- 4)
MIN_CONTAINMENT = 0.5
BANDS, ROWS = 20, 3
NUM_PERM = BANDS * ROWS
SEED = 1  # pinned with the permutations below: stored bands must never change

_WORD = re.compile(r"\w+", re.U)


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def shingles(text: str, k: int = SHINGLE) -> set[str]:
    words = _tokens(text)
    if len(words) < k:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


def fingerprint(text: str, sh: set[str] | None = None) -> int:
    """64-bit SimHash of the text's word 3-shingles, as a signed int64 (SQL BIGINT safe)."""
    sh = shingles(text) if sh is None else sh
    if not sh:
        return 0
    blake = hashlib.blake2b
    return _simhash(b"".join([blake(s.encode(), digest_size=8).digest() for s in sh]), len(sh))


def _simhash(raw: bytes, n: int) -> int:
    # The n big-endian 8-byte digests side by side, unpacked to bits (most significant first).
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8).reshape(n, 8), axis=1)
    # Per bit: set in more than half of the shingle hashes (the +1/-1 vote of SimHash), packed
    # back most significant first: the signed big-endian int64.
    vote = bits.sum(axis=0, dtype=np.int64) * 2 > n
    return int.from_bytes(np.packbits(vote).tobytes(), "big", signed=True)


@functools.cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The affine permutations h -> a * h + b mod 2^32 (odd a: a bijection), drawn as datasketch
    draws them; RandomState's stream is frozen by numpy, so these never change."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    # MurmurHash3's 32-bit finalizer; uint32 multiplication wraps (mod 2^32), as intended.
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def minhash(sh: set[str]) -> np.ndarray:
    """MinHash signature (NUM_PERM uint32) of a non-empty shingle set."""
    sha1 = hashlib.sha1
    return _minhash(b"".join([sha1(s.encode()).digest()[:4] for s in sh]))


def _minhash(raw: bytes) -> np.ndarray:
    # Each shingle's SHA-1 first 4 bytes, little-endian, as datasketch's sha1_hash32.
    hv = _fmix32(np.frombuffer(raw, dtype="<u4").astype(np.uint32))
    a, b = _permutations()
    with np.errstate(over="ignore"):
        return (hv[:, None] * a + b).min(axis=0)


def _bands(signature: np.ndarray) -> list[int]:
    values = signature.astype("<u8")
    blake = hashlib.blake2b
    out = []
    for b in range(BANDS):
        raw = struct.pack("<I", b) + values[b * ROWS : (b + 1) * ROWS].tobytes()
        out.append(int.from_bytes(blake(raw, digest_size=8).digest(), "big", signed=True))
    return out


def bands(text: str, sh: set[str] | None = None) -> list[int]:
    """The text's MinHash LSH bands (BANDS signed 64-bit ints; [] for an empty text)."""
    sh = shingles(text) if sh is None else sh
    return _bands(minhash(sh)) if sh else []


def signature(text: str) -> tuple[int, list[int]]:
    """(fingerprint, bands) of a text, each shingle encoded and hashed in one pass."""
    sh = shingles(text)
    if not sh:
        return 0, []
    sha1, blake = hashlib.sha1, hashlib.blake2b
    encoded = [s.encode() for s in sh]
    fp = _simhash(b"".join([blake(e, digest_size=8).digest() for e in encoded]), len(sh))
    return fp, _bands(_minhash(b"".join([sha1(e).digest()[:4] for e in encoded])))


class TextSignature:
    """A text's fingerprint and bands, made on first use: storing an item whose text did not
    change needs neither, so it is never shingled or hashed again."""

    __slots__ = ("text", "_made")

    def __init__(self, text: str) -> None:
        self.text = text
        self._made: tuple[int, list[int]] | None = None

    def _get(self) -> tuple[int, list[int]]:
        if self._made is None:
            self._made = signature(self.text)
        return self._made

    def fingerprint(self) -> int:
        return self._get()[0]

    def bands(self) -> list[int]:
        return self._get()[1]

    @property
    def made(self) -> bool:
        return self._made is not None


def hamming(a: int, b: int) -> int:
    """Bits that differ between two fingerprints (signed or unsigned)."""
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


def containment(text_a: str, text_b: str) -> float:
    """Share of the shorter text's shingles found in the other (robust to a dropped paragraph)."""
    a, b = shingles(text_a), shingles(text_b)
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def same_story(
    text_a: str | None,
    text_b: str | None,
    fp_a: int | None = None,
    fp_b: int | None = None,
) -> bool:
    """Whether two article texts are the same story (one reprints the other).

    Pass the texts (content_text) when available; fingerprints are computed if not given. With
    only fingerprints, a stricter Hamming threshold is used. Texts under ~40 words never fold:
    short notices share too much boilerplate wording to tell apart.
    """
    if fp_a is None and text_a:
        fp_a = fingerprint(text_a)
    if fp_b is None and text_b:
        fp_b = fingerprint(text_b)
    if fp_a is None or fp_b is None:
        return False
    dist = hamming(fp_a, fp_b)
    if not text_a or not text_b:
        return dist <= MAX_HAMMING_ALONE
    # The shingle overlap decides; SimHash distance is only a loose sanity bound (on 300-word
    # texts one dropped paragraph can move 17-19 bits while containment stays 0.93). Checked
    # first: most band candidates fail it, and then neither text is tokenised.
    if dist > MAX_HAMMING_LOOSE:
        return False
    if len(_tokens(text_a)) < 40 or len(_tokens(text_b)) < 40:
        return False
    return containment(text_a, text_b) >= MIN_CONTAINMENT
