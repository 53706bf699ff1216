"""The article's language: the text when the detector is sure, else config > declared > detected."""

from __future__ import annotations

import re

import pycld2

from syndicate.normalize.page import Page

# CLD2 (pycld2): compiled tables in the extension, so no model to load (py3langid's took ~100 MB of
# RSS and half a second) and ~0.1 ms for 2,000 characters (py3langid: ~1 ms). Its score is the
# share of the text in the top language, given when it calls the result reliable.
LONG = 2000  # the body's first characters are enough; a long article costs no more
MIN_TEXT = 200  # shorter bodies (captions, notices) are never detected
SURE = 0.8  # this share of the text in one language (pure texts: 0.95-0.99) beats the config
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # CLD2 refuses them
# CLD2's codes that differ from ISO 639-1; Malay counts as Indonesian for this service (detectors
# split Indonesian text between the two).
_CODES = {"ms": "id", "jw": "jv", "iw": "he", "zh-Hant": "zh"}


def pick_language(page: Page, text: str, configured: str | None) -> tuple[str | None, str]:
    """(language code, rule) for the body `text`; `configured` is the source's language."""
    doc, meta, ld = page.doc, page.meta, page.ld
    declared = None
    lang_attr = doc.get("lang") or meta.value("og:locale", "language", "content-language")
    if isinstance(ld.get("inLanguage"), str):
        lang_attr = lang_attr or ld.get("inLanguage")
    if lang_attr:
        declared = lang_attr.replace("_", "-").split("-")[0].lower() or None
    detected, prob = detect(text)
    # A source that mixes languages: trust the text when the detector is sure.
    if detected and prob >= SURE:
        return detected, "detected"
    if configured:
        return configured, "config"
    if declared:
        return declared, "declared"
    if detected:
        return detected, "detected"
    return None, "none"


def detect(text: str) -> tuple[str | None, float]:
    """(language, share of the text in it) of a body text, from its first LONG characters; the
    share is halved when CLD2 calls the result unreliable (never "sure" then)."""
    if len(text) < MIN_TEXT:
        return None, 0.0
    data = _CONTROL.sub(" ", text[:LONG]).encode("utf-8", "ignore")
    try:
        reliable, _bytes, ranked = pycld2.detect(data, isPlainText=True)
    except (pycld2.error, ValueError):  # input CLD2 refuses: no detection, never a failure
        return None, 0.0
    shares: dict[str, float] = {}
    for _name, code, percent, _score in ranked:
        if code != "un":
            code = _CODES.get(code, code.split("-")[0])
            shares[code] = shares.get(code, 0.0) + percent / 100
    if not shares:
        return None, 0.0
    lang = max(shares, key=shares.__getitem__)
    return lang, shares[lang] if reliable else shares[lang] / 2
