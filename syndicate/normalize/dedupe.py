"""Near-duplicate detection across sources (reprinted press releases).

`fingerprint` is a 64-bit SimHash over word 3-shingles, returned as a *signed* int so it fits a
SQL BIGINT. Two reprints of one release differ in a few bits; different stories on the same
topic differ in about half of them. `same_story` folds only when the fingerprints are close AND,
when both texts are at hand, the shingle overlap confirms it (SimHash alone is a pre-filter).

Measured on the corpus: nusautara 3311 vs detailnews 2481 (new title and dateline, one
paragraph dropped, two wording edits) -> Hamming 10, containment 0.97; every other pair of
corpus articles (same towns, same officials, same topics) -> Hamming >= 20, containment <= 0.08.
"""

from __future__ import annotations

import hashlib
import re

SHINGLE = 3
MAX_HAMMING = 16  # candidate threshold when the shingle overlap confirms
MAX_HAMMING_ALONE = 12  # when only fingerprints are known (random pairs: ~32 +- 4)
MIN_CONTAINMENT = 0.5

_WORD = re.compile(r"\w+", re.U)


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def shingles(text: str, k: int = SHINGLE) -> set[str]:
    words = _tokens(text)
    if len(words) < k:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


def _h64(s: str) -> int:
    return int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big")


def fingerprint(text: str) -> int:
    """64-bit SimHash of the text's word 3-shingles, as a signed int64 (SQL BIGINT safe)."""
    counts = [0] * 64
    sh = shingles(text)
    if not sh:
        return 0
    for s in sh:
        h = _h64(s)
        for bit in range(64):
            counts[bit] += 1 if (h >> bit) & 1 else -1
    value = 0
    for bit in range(64):
        if counts[bit] > 0:
            value |= 1 << bit
    return value - (1 << 64) if value >= 1 << 63 else value


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
    if len(_tokens(text_a)) < 40 or len(_tokens(text_b)) < 40:
        return False
    return dist <= MAX_HAMMING and containment(text_a, text_b) >= MIN_CONTAINMENT
