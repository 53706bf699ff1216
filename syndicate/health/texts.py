"""Plain-language status for readers, in Indonesian and English. No exception text here."""

from __future__ import annotations

STATE_TEXT: dict[str, tuple[str, str]] = {
    "ok": ("Berjalan normal.", "Working normally."),
    "drift": (
        "Masih diambil, tetapi isinya berubah (misalnya tampilan situs berganti); "
        "operator sudah diberi tahu.",
        "Still fetched, but what we get changed (for example the site's layout); "
        "the operator has been alerted.",
    ),
    "failing": (
        "Sumber ini sedang tidak bisa diambil; kami mencoba lagi secara otomatis.",
        "This source cannot be fetched right now; we retry automatically.",
    ),
    "blocked": (
        "Situs ini menolak pembacaan otomatis; artikel baru tidak masuk sampai operator "
        "menanganinya.",
        "This site refuses automated reading; new articles stop until the operator acts.",
    ),
    "new": ("Belum pernah diambil.", "Not fetched yet."),
}

KIND_TEXT: dict[str, tuple[str, str]] = {
    "dns": ("alamat situs tidak ditemukan", "the site's address does not resolve"),
    "timeout": ("situs tidak menjawab tepat waktu", "the site did not answer in time"),
    "connect": ("situs tidak bisa dihubungi", "the site cannot be reached"),
    "http_4xx": ("situs menolak permintaan", "the site refused the request"),
    "http_5xx": ("server situs sedang bermasalah", "the site's server has a problem"),
    "rate_limited": ("situs meminta kami menunggu", "the site asked us to wait"),
    "bot_wall": ("situs memasang tembok anti-bot", "the site put up a bot wall"),
    "robots": ("robots.txt situs melarang pembacaan", "the site's robots.txt forbids reading"),
    "too_large": ("halaman terlalu besar", "a page was too large"),
    "blocked": ("alamat situs tidak diizinkan", "the site's address is not allowed"),
    "protocol": ("jawaban situs rusak", "the site's answer was broken"),
    "no_route": ("tidak ada umpan atau daftar artikel", "no feed or article listing found"),
    "error": ("kesalahan saat memproses", "an error while processing"),
    "empty_listing": ("daftar artikel kosong", "the article listing is empty"),
    "authors": ("nama penulis hilang", "author names went missing"),
    "dates": ("tanggal terbit hilang", "publication dates went missing"),
    "images": ("gambar utama hilang", "lead images went missing"),
    "body_length": ("isi artikel jauh lebih pendek", "article bodies got much shorter"),
    "body_container": (
        "isi artikel tidak lagi ditemukan di tempat biasanya",
        "article bodies are no longer where they used to be",
    ),
}


def public_status(state: str, kind: str | None) -> dict[str, str]:
    """{"id": ..., "en": ...}: one or two sentences a reader understands."""
    id_text, en_text = STATE_TEXT.get(state, STATE_TEXT["new"])
    if kind and state in ("failing", "blocked", "drift") and kind in KIND_TEXT:
        why_id, why_en = KIND_TEXT[kind]
        id_text += f" Penyebab: {why_id}."
        en_text += f" Cause: {why_en}."
    return {"id": id_text, "en": en_text}
