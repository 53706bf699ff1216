"""Decoding page bytes when the declared charset may lie.

Small local sites often declare UTF-8 while sending windows-1252 bytes (or the reverse), so the
declaration is only a hint: bytes that are valid UTF-8 are read as UTF-8, anything else falls back
to the declared single-byte charset or to charset-normalizer, and double-encoded text is repaired.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
# Typical UTF-8-read-as-cp1252 sequences: "â€™", "Ã©", "â€“" ...
_MOJIBAKE = re.compile(
    "[\u00c2\u00c3\u00e2][\u0080-\u00bf\u2018-\u203a\u0152-\u0178\u02c6\u02dc\u20ac\u2122]"
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _norm(charset: str | None) -> str | None:
    if not charset:
        return None
    charset = charset.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        return None
    # WHATWG: latin-1 and ascii labels mean windows-1252 in HTML.
    if name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    return name


def meta_charset(body: bytes) -> str | None:
    """The charset named in a <meta> tag within the first 4 KiB."""
    m = _META_CHARSET.search(body[:4096])
    return m.group(1).decode("ascii", "ignore") if m else None


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as windows-1252 or Latin-1, once or several times, also
    when only part of a line is broken ("Café â€œkopiâ€" -> "Café “kopi”"): ftfy."""
    # The cheap checks first: every marker starts with "Â", "Ã" or "â" (str.isascii is O(1),
    # a one-character `in` a fast scan; the regex over a whole page costs far more).
    if text.isascii() or not ("\u00c3" in text or "\u00e2" in text or "\u00c2" in text):
        return text
    if not _MOJIBAKE.search(text):
        return text
    import ftfy

    # Line by line, and only the lines that look broken: ftfy over a whole page is slow.
    return "".join(
        ftfy.fix_encoding(line) if _MOJIBAKE.search(line) else line
        for line in text.splitlines(keepends=True)
    )


def decode_html(body: bytes, declared_charset: str | None = None) -> str:
    """Decode an HTML (or XML) body; `declared_charset` is the HTTP Content-Type charset, if any.

    Order: BOM > valid UTF-8 > declared (HTTP, then <meta>) single-byte charset > charset-normalizer
    > windows-1252. The result is checked for mojibake (UTF-8 decoded twice) and repaired.
    """
    for bom, enc in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(enc, "replace")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        candidates = [_norm(declared_charset), _norm(meta_charset(body))]
        charset = next(
            (c for c in candidates if c and c not in ("utf-8", "utf-16", "utf-32")), None
        )
        if charset is None:
            # Latin-script news: windows-1252 is by far the likeliest single-byte charset, and
            # charset-normalizer tends to pick DOS code pages for short runs of curly quotes.
            try:
                return repair_mojibake(body.decode("cp1252"))
            except UnicodeDecodeError:
                from charset_normalizer import from_bytes

                best = from_bytes(body[:65536]).best()
                charset = best.encoding if best is not None else "cp1252"
        text = body.decode(charset, "replace")
    return repair_mojibake(text)
