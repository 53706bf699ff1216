"""Bylines: "Peliput : ical", "Penulis: X | Editor: Y", "Oleh: X", "Reporter: A, B dan C".

Indonesian sites name the real reporter in a labelled line (in the text or in the meta line under
the title) while the CMS author is often a shared account ("Redaksi", "Admin ..."). Labels decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Strong labels name the person who wrote the piece; weak ones also appear around shared accounts.
STRONG_LABELS = (
    r"laporan (?:wartawan|reporter|jurnalis|kontributor)|laporan(?=\s*:)|penulis|peliput|reporter|wartawan|pewarta|"
    r"kontributor|koresponden|jurnalis|ditulis oleh|written by|reported by"
)
WEAK_LABELS = r"diposting oleh|dikirim oleh|posted by|oleh|by|author"
EDITOR_LABELS = r"editor|redaktur|penyunting|editing|diedit oleh|edited by|penanggung jawab"
_LABEL_RE = re.compile(
    rf"^\s*(?:(?P<editor>{EDITOR_LABELS})|(?P<strong>{STRONG_LABELS})|(?P<weak>{WEAK_LABELS}))"
    r"\b\s*[:：.\-–—]?\s*(?P<rest>.*)$",
    re.I | re.S,
)
_SEGMENT_SPLIT = re.compile(r"\s*(?:\||•|·|\u2022|\n|\s{3,}|\s/\s)\s*")
# "Pewarta: X Editor: Y" on one line (a <br> between them), "Penulis: X Tanggal: 8 Januari": a
# colon label starts a new segment (any capitalised word before a colon is a label, not a name).
_LABEL_INSIDE = re.compile(
    r"\s+(?=(?:editor|redaktur|penyunting|penulis|pewarta|reporter|peliput|fotografer|foto|sumber|"
    r"(?-i:[A-Z][a-z]{2,14}))\s*:)",
    re.I,
)
_BRACKETED = re.compile(r"^\s*[(\[]\s*([^()\[\]]*?)\s*[)\]]\s*$")
# "Andi Saputra - detikSulsel", "Budi – Manado": what follows a spaced dash is the outlet or place.
_DASH_TAIL = re.compile(r"\s+[-–—]\s+.*$", re.S)
# "Kontributor Palu, Riko" / "Laporan Wartawan Outlet.id, Nama": a role, where it works, the name.
_ROLE_PLACE = re.compile(
    r"^(?:laporan\s+(?:wartawan|reporter|jurnalis|kontributor)|wartawan|kontributor|koresponden)\s+"
    r"(?P<where>[^,:|]{2,40}?),\s*(?P<name>[^,]+)$",
    re.I,
)
_DOMAINISH = re.compile(r"\w\.(?:id|com|net|co|org|news|tv|info)\b", re.I)
_TITLES_PRE = re.compile(
    r"^(?:(?:prof|dr|drs|dra|ir|h|hj|kh|st|pdt|ust|ustadz|bapak|ibu|pak|bu|mr|mrs|ms|sdr|sdri)\.?\s+)+",
    re.I,
)
_DEGREE = re.compile(
    r",\s*(?:[SM]\.\s?[A-Za-z]{1,4}\.?|A\.\s?Md\.?\w*|Ph\.?D\.?|Lc\.?|MA|MM|MH|MT|SH|SE|SPd|SSos|SIP|"
    r"SKM|MSi|MPd|MKes)(?=\s*,|\s*$|\s*[|)]|\s+(?:dan|and)\b)"
)
_PAREN = re.compile(r"\s*[(\[][^)\]]*[)\]]")
_SPLIT_NAMES = re.compile(r"\s*(?:,|;|&|\+|/|\bdan\b|\band\b)\s*", re.I)
_DIGIT_TAIL = re.compile(r"\s*\d")
_WEEKDAY_TAIL = re.compile(
    r"[\s,|\-–—]*\b(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad|monday|tuesday|"
    r"wednesday|thursday|friday|saturday|sunday)\b[\s,]*$",
    re.I,
)
# A relative time printed after the name ("Oleh: Budi kemarin 10.15", "Budi · sejam yang lalu").
_RELATIVE_TAIL = re.compile(
    r"[\s,|\-–—·]*\b(?:kemarin|yesterday|hari\s+ini|today|baru\s+saja|just\s+now|"
    r"se(?:jam|menit|hari|minggu)\s+(?:yang\s+)?lalu)\b.*$",
    re.I,
)
GENERIC_AUTHORS = {
    "redaksi", "admin", "administrator", "tim redaksi", "editor", "webmaster", "staff", "tim",
    "newsroom", "humas", "rilis", "press release", "siaran pers",
}  # fmt: skip


@dataclass(slots=True)
class Byline:
    """What one labelled line says."""

    authors: list[str] = field(default_factory=list)
    editor: str | None = None
    strength: int = 0  # 2 strong label (Penulis, Peliput...), 1 weak (Oleh, Diposting oleh)


def clean_name(name: str) -> str:
    """Strip titles, degrees, parenthesised initials and stray punctuation; fix ALL-CAPS case.

    Lower-case nicknames ("ical") are kept as written: that is how the outlet signs them.
    """
    name = name.replace("\xa0", " ")
    name = _DASH_TAIL.sub("", _PAREN.sub("", name))
    name = re.sub(r"\s+", " ", name).strip(" \t:;,.-–—|*_'\"")
    prev = None
    while prev != name:
        prev = name
        name = _TITLES_PRE.sub("", name)
        name = _DEGREE.sub("", name).strip(" ,.")
    if name.isupper() and len(name) > 3:
        name = " ".join(w.capitalize() for w in name.split())
    return name.strip()


def split_names(text: str) -> list[str]:
    """Several authors in one string -> a list, with titles and degrees stripped first."""
    text = _PAREN.sub("", text)
    # Degrees use commas too ("Hengky, S.E."): drop them before splitting on commas.
    text = _DEGREE.sub("", text)
    out: list[str] = []
    for part in _SPLIT_NAMES.split(text):
        name = clean_name(part)
        if name and len(name) <= 60 and not any(n.lower() == name.lower() for n in out):
            out.append(name)
    return out


def normalize_authors(values: list[str] | str | None) -> list[str]:
    """Author strings from any source (feed, JSON-LD, byline) -> clean, de-duplicated names."""
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values:
        byline = parse_byline(value)
        names = byline.authors if byline and byline.authors else split_names(value)
        for name in names:
            if not any(n.lower() == name.lower() for n in out):
                out.append(name)
    return out


def is_generic(name: str, site_name: str | None = None) -> bool:
    """A shared account rather than a person ("Redaksi", "Admin Kabar Kota", the site's name)."""
    low = name.lower().strip()
    if low in GENERIC_AUTHORS or low.startswith(("admin ", "redaksi ", "tim ")):
        return True
    if site_name:
        site = re.sub(r"\W", "", site_name.lower())
        if site and site in re.sub(r"\W", "", low):
            return True
    return False


def _names_from(rest: str, max_words: int) -> list[str]:
    rest = re.split(r"\s+(?:di|pada|on|at)\s+", rest, maxsplit=1)[0]  # "Diposting oleh X di 19.40"
    # A date printed right after the name in the next inline box ("Nama8/1/2026 10:10",
    # "Nama, Kamis 8 Januari 2026"): names carry no digits, so the line ends at the first one.
    rest = _DIGIT_TAIL.split(rest, maxsplit=1)[0]
    rest = _RELATIVE_TAIL.sub("", rest)
    rest = _WEEKDAY_TAIL.sub("", rest)
    rest = re.split(r"\s*(?:©|\(c\)|\bcopyright\b|\bhak cipta\b)", rest, maxsplit=1, flags=re.I)[0]
    m = _ROLE_PLACE.match(rest)
    if m:
        rest = m.group("name")
    names = split_names(rest)
    return [
        n
        for n in names
        if 0 < len(n.split()) <= max_words
        and not re.search(r"\d{3}", n)
        and not _DOMAINISH.search(n)  # the outlet ("LintasMaluku.id"), not a person
    ]


def parse_byline(text: str, following: str | None = None) -> Byline | None:
    """Parse a labelled byline line; `following` is the text of the next element, used when the
    label stands alone ("Diposting oleh" then a link with the name). None when no label starts a
    segment of the line.
    """
    if not text or len(text) > 240:
        return None
    segments = [
        part
        for seg in _SEGMENT_SPLIT.split(text.replace("\xa0", " "))
        for part in _LABEL_INSIDE.split(seg)
        if part.strip()
    ]
    out = Byline()
    for i, seg in enumerate(segments):
        # "(Reporter: Rendy Makalew)" closing the text: the brackets are not part of the line.
        seg = _BRACKETED.sub(r"\1", seg)
        role = _ROLE_PLACE.match(seg)
        if role:  # "Kontributor Palu, Riko Pangemanan" with no colon after the role
            seg = "Penulis: " + role.group("name")
        m = _LABEL_RE.match(seg)
        if not m:
            continue
        rest = m.group("rest").strip()
        if not rest and following and i == len(segments) - 1:
            rest = following
        if not rest:
            continue
        if m.group("editor"):
            names = _names_from(rest, 5)
            if names and out.editor is None:
                out.editor = names[0]
            continue
        weak = bool(m.group("weak"))
        names = _names_from(rest, 4 if weak else 6)
        if not names:
            continue
        strength = 1 if weak else 2
        if strength > out.strength:
            out.authors, out.strength = names, strength
    if not out.authors and out.editor is None:
        return None
    return out


BYLINE_HINT = re.compile(rf"\b(?:{EDITOR_LABELS}|{STRONG_LABELS}|{WEAK_LABELS})\b", re.I)
# A word every label contains, for a quick first look at each text of a page.
_LABEL_WORDS = (
    "by", "oleh", "edit", "redaktur", "penyunting", "penanggung", "laporan", "penulis",
    "peliput", "reporter", "wartawan", "pewarta", "kontributor", "koresponden", "jurnalis",
    "author",
)  # fmt: skip


def casefold_words(words: tuple[str, ...]) -> re.Pattern[str]:
    """A pattern finding any of `words` (lower case) in case-folded text: a quick first look
    before a re.I pattern whose every match holds one of them. Without re.I the engine skips
    ahead by first letter; "i" also stands for what re.I matches it with ("ı", and "İ", which
    folds to "i" + a combining dot)."""
    return re.compile("|".join(re.escape(w).replace("i", "(?:i\u0307?|\u0131)") for w in words))


_LABEL_WORD = casefold_words(_LABEL_WORDS)


def has_byline_label(text: str) -> bool:
    """`BYLINE_HINT.search(text)`, answered faster for the many texts holding no label word."""
    return bool(_LABEL_WORD.search(text.casefold()) and BYLINE_HINT.search(text))
