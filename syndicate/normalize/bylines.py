"""Who wrote the article and who edited it.

Labelled bylines ("Penulis:", "Peliput :") in the body or the meta line under the title beat the
structured author (JSON-LD, microdata, meta), because Indonesian CMSs often publish under a shared
account ("Redaksi", "Admin"). A configured selector beats everything; generic names lose to real ones.
"""

from __future__ import annotations

import re

from lxml import etree

from syndicate.normalize import authors as _authors
from syndicate.normalize.clean import fold_ws, url_path
from syndicate.normalize.dom import block_parent, class_words, in_sidebar, select, text_of
from syndicate.normalize.metadata import PageMeta, ld_names
from syndicate.normalize.page import Page

_AUTHOR_PATH = re.compile(
    r"/(?:author|authors|penulis|reporter|wartawan|kontributor|profile)/[^/]+", re.I
)
_AUTHOR_WORDS = {"author", "author-name", "post-author", "entry-author", "byline-author", "penulis"}
_COMMENT_WORDS = {"comment", "comments", "komentar", "respond", "reply", "replies", "discussion"}

PageBylines = list[tuple[_authors.Byline, etree._Element]]


def page_bylines(doc: etree._Element) -> PageBylines:
    """Labelled lines anywhere in the page (meta line under the title, first/last paragraph),
    each with its block. Run before pruning: the meta line is often in a box that gets pruned."""
    out: PageBylines = []
    body = doc.find("body")
    if body is None:
        return out
    seen = set()
    for el in body.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style"):
            continue
        for where in ("text", "tail"):
            s = getattr(el, where)
            if not s or len(s) > 400 or not _authors.has_byline_label(s):
                continue
            owner = el if where == "text" else el.getparent()
            if owner is None:
                continue
            blk = block_parent(owner, body)
            if blk in seen:
                continue
            line = _spaced_text(blk)
            following = None
            if where == "text":
                nxt = el[0] if len(el) else el.getnext()
            else:
                nxt = el.getnext()
            if nxt is not None and isinstance(nxt.tag, str):
                following = text_of(nxt)
            if len(line) > 240:
                line = fold_ws(s)
            else:
                seen.add(blk)
            by = _authors.parse_byline(line, following)
            if by is None and following:
                by = _authors.parse_byline(fold_ws(s), following)
            if by:
                if by.strength == 1:
                    by.authors = [a for a in by.authors if a[:1].isupper()]
                    if not by.authors and not by.editor:
                        continue
                out.append((by, blk))
    return out


def _spaced_text(el: etree._Element) -> str:
    """`el`'s text with a space where one box ends and the next begins with none between, so
    `<span>Oleh: Budi</span><span>kemarin 10.15</span>` reads "Oleh: Budi kemarin 10.15"."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        parts.append(node.text or "")
        for child in node:
            if isinstance(child.tag, str) and child.tag not in ("script", "style"):
                walk(child)
            parts.append(child.tail or " ")

    walk(el)
    return fold_ws("".join(parts))


def pick_authors(
    page: Page, page_lines: PageBylines, body_lines: list[_authors.Byline]
) -> tuple[list[str], str | None]:
    """(authors, editor); the rules go into `page.rules`. Body bylines come before page ones.

    `page_lines` were read before pruning (page_bylines), `body_lines` taken out of the body."""
    doc, meta, ld, selectors, hints = page.doc, page.meta, page.ld, page.selectors, page.hints
    site_name, rules = page.site_name, page.rules
    bylines = body_lines + [by for by, _el in page_lines]
    editor = next((by.editor for by in bylines if by.editor), None)
    rules["editor"] = "byline" if editor else "none"
    for el in select(doc, selectors.get("author")):
        names = _authors.normalize_authors(text_of(el))
        if names:
            rules["authors"] = "selector"
            return names, editor
    # A labelled reporter wins, unless the label names only a shared account ("Penulis: Tim
    # Redaksi"): then a person the page declares elsewhere comes first.
    strong = [
        b
        for b in bylines
        if b.strength == 2
        and b.authors
        and not all(_authors.is_generic(a, site_name) for a in b.authors)
    ]
    if strong:
        rules["authors"] = "byline"
        return strong[0].authors, editor
    meta_authors = [
        v for v in meta.all("author") + meta.all("article:author") if not v.startswith("http")
    ]
    meta_authors += _written_by(meta)
    structured: list[tuple[list[str], str]] = [
        (_authors.normalize_authors(ld_names(ld.get("author"))), "json-ld"),
        (_authors.normalize_authors(meta.micro_first("author")), "microdata"),
        (_authors.normalize_authors(meta_authors), "meta"),
    ]
    structured += [(b.authors, "byline") for b in bylines if b.authors]
    structured.append((_author_links(doc), "author-link"))
    if hints and hints.authors:
        structured.append((_authors.normalize_authors(hints.authors), "hint"))
    for names, rule in structured:
        real = [n for n in names if not _authors.is_generic(n, site_name)]
        if real:
            rules["authors"] = rule
            return real, editor
    for names, rule in structured:
        if names:
            rules["authors"] = rule
            return names, editor
    rules["authors"] = "none"
    return [], editor


_WRITTEN_BY = re.compile(
    r"^\s*(?:written\s+by|ditulis\s+oleh|penulis|author|oleh|by)\s*:?\s*$", re.I
)


def _written_by(meta: PageMeta) -> list[str]:
    """Yoast's reading card: <meta name="twitter:label1" content="Ditulis oleh"> with the name in
    twitter:data1."""
    out = []
    for n in range(1, 5):
        label = meta.value(f"twitter:label{n}")
        data = meta.value(f"twitter:data{n}")
        if label and data and _WRITTEN_BY.match(label):
            out.append(data)
    return out


def _author_links(doc: etree._Element) -> list[str]:
    """An unlabelled author the theme prints (WordPress block themes, Ghost, Blogger profiles):
    a rel="author" link, a link to an author archive, or a box classed as the author's name.
    Comment authors and sidebar widgets are skipped.
    """
    body = doc.find("body")
    if body is None:
        return []
    for el in body.iter("a", "span", "div", "h4", "p"):
        href = (el.get("href") or "") if el.tag == "a" else ""
        rel = (el.get("rel") or "").lower().split()
        words = class_words(el)
        if not (
            "author" in rel
            or (href and _AUTHOR_PATH.search(url_path(href)))
            or words & _AUTHOR_WORDS
        ):
            continue
        name = text_of(el)
        if not name or len(name) > 50 or re.search(r"\d", name) or len(name.split()) > 5:
            continue
        if _in_comments(el) or in_sidebar(el):
            continue
        names = _authors.normalize_authors(name)
        if names:
            return names
    return []


def _in_comments(el: etree._Element) -> bool:
    while el is not None:
        if class_words(el) & _COMMENT_WORDS:
            return True
        el = el.getparent()
    return False
