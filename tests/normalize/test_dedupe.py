"""normalize/dedupe.py: near-duplicates across the corpus (only the reprint folds)."""

import itertools

from normalize_corpus import articles, corpus_entry

from syndicate.normalize.dedupe import fingerprint, hamming, same_story


def _latest_texts():
    texts = {}
    for site_id, state, art in articles():
        texts[art["id"]] = corpus_entry(
            site_id, state, art["url"]
        ).content_text  # later states overwrite
    return texts


def test_fingerprint_is_signed_64_bit():
    fp = fingerprint(
        "Pemerintah Kota Bitung menggelar apel kerja perdana tahun 2026 di lapangan kantor"
    )
    assert -(2**63) <= fp < 2**63
    assert fingerprint("") == 0
    assert hamming(fp, fp) == 0


def test_only_the_reprint_folds():
    texts = _latest_texts()
    folds = set()
    for (a, ta), (b, tb) in itertools.combinations(sorted(texts.items()), 2):
        if same_story(ta, tb):
            folds.add(frozenset((a, b)))
    assert folds == {frozenset(("nusautara:3311", "detailnews:2481"))}
    # fingerprints alone (what the store keeps) agree
    fa, fb = fingerprint(texts["nusautara:3311"]), fingerprint(texts["detailnews:2481"])
    assert same_story(None, None, fa, fb)
    others = [
        fingerprint(t) for k, t in texts.items() if k not in ("nusautara:3311", "detailnews:2481")
    ]
    assert not any(same_story(None, None, fa, fo) for fo in others)


def test_far_fingerprints_decide_before_any_text_is_tokenised(monkeypatch):
    # Most band candidates of a new article are other stories: the SimHash bound turns them
    # away without reading either text word by word.
    import syndicate.normalize.dedupe as dedupe

    calls = []
    monkeypatch.setattr(dedupe, "_tokens", lambda text: calls.append(text) or text.split())
    a = "Wali Kota Bitung meninjau pasar Girian pagi ini bersama dinas. " * 10
    b = "Tim SAR gabungan mencari nelayan hilang di perairan Lembeh sejak kemarin. " * 10
    assert not same_story(a, b, 0, (1 << 64) - 1)
    assert calls == []
