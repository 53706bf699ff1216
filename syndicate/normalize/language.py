"""The article's language: the text when the detector is sure, else config > declared > detected."""

from __future__ import annotations

from functools import lru_cache

from syndicate.normalize.page import Page

# The detector's cost grows with the text (a byte-by-byte automaton in Python: ~1 ms for 2,000
# characters). A news paragraph of ~400 characters already makes it sure (every corpus and
# unseen article: the same language and p >= 0.9 as from 2,000); only when the prefix leaves
# it unsure is the longer window read, so a hard case is decided as it was before.
SHORT, LONG = 400, 2000
MIN_TEXT = 200  # shorter bodies (captions, notices) are never detected
SURE = 0.9


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
    """(language, probability) of a body text: its first SHORT characters (cut at a space), and
    the first LONG ones only when those leave the detector unsure."""
    if len(text) < MIN_TEXT:
        return None, 0.0
    if len(text) > LONG:
        text = text[:LONG]
    if len(text) > SHORT * 1.5:
        cut = text.rfind(" ", 0, SHORT)
        lang, prob = _detect(text[: cut if cut > SHORT // 2 else SHORT])
        if lang and prob >= SURE:
            return lang, prob
    return _detect(text)


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _detect(text: str) -> tuple[str | None, float]:
    try:
        ranked = _identifier().rank(text)[:3]
    except Exception:
        return None, 0.0
    if not ranked:
        return None, 0.0
    # langid splits Indonesian text between "id" and "ms"; for this service both are Indonesian.
    probs: dict[str, float] = {}
    for lang, prob in ranked:
        lang = "id" if lang == "ms" else lang
        probs[lang] = probs.get(lang, 0.0) + float(prob)
    lang = max(probs, key=probs.__getitem__)
    return lang, probs[lang]
