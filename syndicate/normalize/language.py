"""The article's language: the text when the detector is sure, else config > declared > detected."""

from __future__ import annotations

from functools import lru_cache

from syndicate.normalize.page import Page


def pick_language(page: Page, text: str, configured: str | None) -> tuple[str | None, str]:
    """(language code, rule) for the body `text`; `configured` is the source's language."""
    doc, meta, ld = page.doc, page.meta, page.ld
    declared = None
    lang_attr = doc.get("lang") or meta.value("og:locale", "language", "content-language")
    if isinstance(ld.get("inLanguage"), str):
        lang_attr = lang_attr or ld.get("inLanguage")
    if lang_attr:
        declared = lang_attr.replace("_", "-").split("-")[0].lower() or None
    detected, prob = _detect(text[:2000]) if len(text) >= 200 else (None, 0.0)
    # A source that mixes languages: trust the text when the detector is sure.
    if detected and prob >= 0.9:
        return detected, "detected"
    if configured:
        return configured, "config"
    if declared:
        return declared, "declared"
    if detected:
        return detected, "detected"
    return None, "none"


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
