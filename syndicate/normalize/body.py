"""The article body: which element holds it, and how it becomes paragraph blocks and HTML.

The container is the configured selector, a microdata articleBody, or the highest-scoring block
(paragraph text and commas, readability-style) once boilerplate is pruned. Its content becomes a
flat list of blocks (paragraphs, headings, lists, quotes, figures with captions, embeds), which
boilerplate.clean_blocks filters and render() turns back into HTML and text paragraphs.
"""

from __future__ import annotations

import html as _html
import re

import lxml.html
from lxml import etree

from syndicate.normalize.clean import _drop, fold_ws, join_url, resolve_img
from syndicate.normalize.dom import BLOCK_TAGS, HEADINGS, link_density, select, text_of
from syndicate.normalize.images import content_image
from syndicate.normalize.page import Page


class Block:
    """One paragraph-level piece of the body: kind (p, h3, ul, figure, caption, embed...), its
    HTML, its text (empty for figures and embeds, which stay out of the plain text)."""

    __slots__ = ("kind", "html", "text", "caption", "linked")

    def __init__(self, kind: str, html: str, text: str, linked: int = 0) -> None:
        self.kind = kind
        self.html = html
        self.text = text
        self.caption: str | None = None
        self.linked = linked  # characters of the text inside links


def declared_container(page: Page) -> tuple[etree._Element | None, str | None]:
    """The body element the source's selector or the page's microdata names, with its rule."""
    for el in select(page.doc, page.selectors.get("body")):
        return el, "selector"
    for _value, el in page.meta.micro.get("articleBody", []):
        if el.tag != "meta" and len(el.text_content()) > 200:
            return el, "microdata"
    return None, None


def score_container(body: etree._Element) -> etree._Element | None:
    """Readability-style: each paragraph-like block scores its parent (and half its grandparent)."""
    own_len: dict = {}
    own_commas: dict = {}
    own_link: dict = {}

    def add(blk: etree._Element, t: str, linked: bool) -> None:
        own_len[blk] = own_len.get(blk, 0) + len(t)
        own_commas[blk] = own_commas.get(blk, 0) + t.count(",")
        if linked:
            own_link[blk] = own_link.get(blk, 0) + len(t)

    def walk(el, blk, in_link):
        tag = el.tag
        if tag in BLOCK_TAGS:
            blk = el
        link = in_link or tag == "a"
        if el.text:
            t = el.text.strip()
            if t:
                add(blk, t, link)
        for child in el:
            if isinstance(child.tag, str):
                walk(child, blk, link)
            if child.tail:
                t = child.tail.strip()
                if t:
                    add(blk, t, in_link)

    walk(body, body, False)
    scores: dict = {}
    for blk, n in own_len.items():
        if n < 25 or own_link.get(blk, 0) > 0.5 * n:
            continue
        chunks = max(1, n // 300)
        s = chunks + own_commas.get(blk, 0) + min(n / 100, 3 * chunks)
        if blk.tag not in ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6"):
            scores[blk] = scores.get(blk, 0) + s  # text directly in a div (br-separated)
        parent = blk.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0) + s
            grand = parent.getparent()
            if grand is not None:
                scores[grand] = scores.get(grand, 0) + s / 2
    best, best_score = None, 0.0
    for el in body.iter():
        s = scores.get(el)
        if not s or el.tag in ("p", "li", "a", "span", "b", "strong", "i", "em", "font"):
            continue
        text_len = len(el.text_content())
        final = s * (1 - min(link_density(el, text_len), 0.9))
        if final >= best_score:  # ">=": on a tie the deeper element wins
            best, best_score = el, final
    if best is not None:
        best = _widen_to_prose(best, body)
        best = _lead_in(_with_siblings(_repeated_boxes(best, body), best_score, scores), body)
    return best


def _prose_len(el: etree._Element) -> int:
    """Characters of text outside links."""
    total = len(fold_ws(el.text_content()))
    return total - sum(len(fold_ws(a.text_content())) for a in el.iter("a"))


def _paragraph_prose(el: etree._Element, memo: dict | None = None) -> int:
    """Characters in real paragraphs (a sentence or more, few links) under `el`; `memo` keeps
    each paragraph's share while one climb asks again for wider and wider boxes."""
    total = 0
    for p in el.iter("p"):
        n = memo.get(p) if memo is not None else None
        if n is None:
            text = fold_ws(p.text_content())
            n = len(text) if len(text) >= 60 and link_density(p, len(text)) < 0.3 else 0
            if memo is not None:
                memo[p] = n
        total += n
    return total


def weak_pick(container: etree._Element, body: etree._Element) -> bool:
    """The scored box holds well under half of the page's real paragraphs (and 500+ characters
    of them lie elsewhere): more likely one module of a page built from many than the text."""
    memo: dict = {}
    page, own = _paragraph_prose(body, memo), _paragraph_prose(container, memo)
    return own < 0.4 * page and page - own > 500


def _widen_to_prose(best: etree._Element, body: etree._Element) -> etree._Element:
    """The scored box can be one part of the article (a table of names, a list of steps, one
    text module): climb while an ancestor holds clearly more real paragraphs around it."""
    memo: dict = {}
    chosen, own = best, _paragraph_prose(best, memo)
    el = best
    for _ in range(8):  # CMS page builders nest one text module six or seven boxes deep
        el = el.getparent()
        if el is None or el is body or el.tag in ("html", "body"):
            break
        wider = _paragraph_prose(el, memo)
        dense = link_density(el, len(fold_ws(el.text_content()))) >= 0.35
        if wider >= own * 1.3 + 150 and not dense:
            chosen, own = el, wider
    return chosen


def _box_key(el: etree._Element) -> tuple[str, str] | None:
    """Tag and first class word, numbers and state words aside: boxes cut from one template."""
    words = [
        w for w in re.split(r"\s+", (el.get("class") or "").lower()) if w and w not in _STATE_WORDS
    ]
    if not words:
        return None
    return el.tag, re.sub(r"\d+", "", words[0])


_STATE_WORDS = {"active", "show", "fade", "first", "last", "odd", "even", "in", "open", "current"}


def _repeated_boxes(best: etree._Element, body: etree._Element) -> etree._Element:
    """A body told in repeated boxes of one template (live-blog entries, sections of a long
    page, tabs, "text" modules between photos): the scored box, or one of its near ancestors,
    has same-template siblings that also hold prose, and they are all the body."""
    own = _prose_len(best)
    el = best
    for _ in range(4):
        parent = el.getparent()
        if parent is None or parent is body or el.tag in _NO_WRAP or parent.tag in _NO_WRAP:
            break
        key = _box_key(el)
        if key is not None:
            peers = [
                s
                for s in parent
                if s is not el and isinstance(s.tag, str) and _box_key(s) == key and _holds_prose(s)
            ]
            if peers:
                chosen = [s for s in parent if s is el or s in peers]
                if sum(_prose_len(s) for s in chosen) >= own:
                    return _wrap(chosen)
        el = parent
    return best


def _holds_prose(el: etree._Element) -> bool:
    """More than a teaser: real paragraphs, few links."""
    text = fold_ws(el.text_content())
    if len(text) < 200 or link_density(el, len(text)) >= 0.3:
        return False
    return any(len(fold_ws(p.text_content())) >= 80 for p in el.iter("p")) or len(text) >= 500


def _wrap(items: list[etree._Element]) -> etree._Element:
    """A new <div> where the first item was, holding the items in document order."""
    wrapper = lxml.html.Element("div")
    items[0].addprevious(wrapper)
    for item in items:
        tail, item.tail = item.tail, None
        wrapper.append(item)
        item.tail = tail
    return wrapper


def _lead_in(best: etree._Element, body: etree._Element) -> etree._Element:
    """The standfirst or first paragraphs often sit above the scored text column, in a wrapper
    around it. Climbing while a wrapper adds nothing *after* the box (what follows a body is
    share bars, author boxes, related posts), prose boxes above it join it; short lines there
    (section label, byline, date row) stay out."""
    own = _prose_len(best)
    lead: list[etree._Element] = []
    el = best
    for _ in range(4):
        parent = el.getparent()
        if parent is None or parent is body or parent.tag in _NO_WRAP:
            break
        before, seen, after = [], False, 0
        for sib in parent:
            if sib is el:
                seen = True
            elif isinstance(sib.tag, str):
                if seen:  # links count too: "Back to overview", "Share", "Print"
                    after += len(fold_ws(sib.text_content()))
                else:
                    before.append(sib)
        if after:
            break
        prose = []
        for b in before:
            prose.extend([b] if _is_prose(b) else _standfirst(b))
        if sum(_prose_len(b) for b in prose) > max(own * 0.6, 300):
            break
        lead = prose + lead
        el = parent
    return _wrap([*lead, best]) if lead else best


def _standfirst(el: etree._Element) -> list[etree._Element]:
    """The standfirst paragraphs of a headline block (<header> with the <h1>, kicker, byline,
    date): prose paragraphs after the headline, without the headline block's short lines."""
    h1 = el if el.tag == "h1" else el.find(".//h1")
    if h1 is None:
        return []
    out, after = [], False
    for p in el.iter("p", "h1"):
        if p is h1:
            after = True
        elif after and len(text_of(p)) >= 80 and _is_prose(p):
            out.append(p)
    return out


def _is_prose(el: etree._Element) -> bool:
    """A paragraph's worth of text with few links, a sentence, or a subheading."""
    if el.tag == "h1" or el.find(".//h1") is not None:
        return False  # the headline block (title, kicker, byline, date) is not body text
    text = fold_ws(el.text_content())
    if not text or link_density(el, len(text)) >= 0.25:
        return False
    if el.tag in ("h2", "h3", "h4", "h5", "h6"):
        return True
    return len(text) >= 80 or (
        len(text) >= 30 and el.tag == "p" and bool(_SENTENCE_END.search(text))
    )


_NO_WRAP = {"td", "th", "tr", "tbody", "thead", "table", "li", "ul", "ol", "dl", "body", "html"}
_SENTENCE_END = re.compile(r"[.!?…:\"”»)]\s*$")


def _with_siblings(best: etree._Element, best_score: float, scores: dict) -> etree._Element:
    """A body split over sibling boxes (a lead paragraph above the text box, a text box cut by an
    ad, the same class repeated): siblings that score well, or read as prose with few links, join
    the best one in a wrapper <div> put where the first of them was (readability's sibling rule).
    """
    parent = best.getparent()
    if parent is None or best.tag in _NO_WRAP or parent.tag in _NO_WRAP:
        return best
    threshold = max(10.0, best_score * 0.2)
    best_class = best.get("class")
    chosen = []
    for sib in parent:
        if not isinstance(sib.tag, str):
            continue
        if sib is best:
            chosen.append(sib)
            continue
        if best_class and sib.get("class") == best_class and _holds_prose(sib):
            chosen.append(sib)  # the same text box again, after an ad or a photo
            continue
        if scores.get(sib, 0.0) >= threshold:
            text = sib.text_content()
            if link_density(sib, len(text)) < 0.33:
                chosen.append(sib)
            continue
        if sib.tag == "p":
            text = fold_ws(sib.text_content())
            density = link_density(sib, len(text))
            if (len(text) > 80 and density < 0.25) or (
                0 < len(text) <= 80 and density == 0 and _SENTENCE_END.search(text)
            ):
                chosen.append(sib)
    return best if len(chosen) == 1 else _wrap(chosen)


def absolutize_tree(container: etree._Element, base: str) -> None:
    for a in container.iter("a"):
        href = (a.get("href") or "").strip()
        if href and not href.startswith(("#", "javascript:")):
            a.set("href", join_url(base, href))
    for img in list(container.iter("img")):
        if resolve_img(img, base) is None:
            _drop(img)


def _inline_html(el: etree._Element) -> str:
    return etree.tostring(el, encoding="unicode", method="html", with_tail=False)


def _has_block(el: etree._Element) -> bool:
    for d in el.iter():
        if d is not el and isinstance(d.tag, str) and (d.tag in BLOCK_TAGS or d.tag == "br"):
            return True
    return False


def _add_figures(el: etree._Element, base: str, caption: str, blocks: list[Block]) -> str:
    """A figure block per content image in `el`; the caption goes to the first. Returns the
    caption when no image took it."""
    for img in el.iter("img"):
        src = content_image(img, base)
        if src:
            alt = _html.escape(img.get("alt") or "")
            fig = Block("figure", f'<img src="{_html.escape(src)}" alt="{alt}">', "")
            fig.caption, caption = caption or None, ""
            blocks.append(fig)
    return caption


def build_blocks(container: etree._Element, base: str) -> list[Block]:
    """Flatten the container into blocks: <br><br> and block elements end a paragraph."""
    blocks: list[Block] = []
    parts: list[str] = []
    texts: list[str] = []
    imgs: list[str] = []
    pending_br = [False]
    linked = [0]

    def add_text(t: str | None) -> None:
        if t:
            if t.strip():
                pending_br[0] = False
            parts.append(_html.escape(t, quote=False))
            texts.append(t)

    def flush() -> None:
        pending_br[0] = False
        text = fold_ws("".join(texts))
        if text:
            blocks.append(Block("p", "<p>" + "".join(parts).strip() + "</p>", text, linked[0]))
        elif imgs:
            for img_html in imgs:
                blocks.append(Block("figure", f"<figure>{img_html}</figure>", ""))
        parts.clear()
        texts.clear()
        imgs.clear()
        linked[0] = 0

    def visit(el: etree._Element) -> None:
        add_text(el.text)
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                add_text(child.tail)
                continue
            if child.get("data-embed") is not None:
                flush()
                del child.attrib["data-embed"]
                blocks.append(Block("embed", _inline_html(child), ""))
            elif tag == "br":
                if pending_br[0]:
                    while parts and not parts[-1].strip():
                        parts.pop()
                    if parts and parts[-1] == "<br>":
                        parts.pop()
                    flush()
                else:
                    parts.append("<br>")
                    pending_br[0] = True
            elif tag == "img":
                if content_image(child, base):
                    img_html = _inline_html(child)
                    imgs.append(img_html)
                    parts.append(img_html)
            elif tag in HEADINGS:
                flush()
                text = text_of(child)
                if text:
                    level = "h3" if tag in ("h1", "h2") else tag
                    html = f"<{level}>{_html.escape(text)}</{level}>"
                    blocks.append(Block(level, html, text, _linked(child)))
            elif tag == "table" and _is_image_table(child, base):
                flush()
                _add_figures(child, base, text_of(child), blocks)
            elif tag in ("ul", "ol", "table", "pre", "dl"):
                flush()
                text = _table_text(child) if tag == "table" else text_of(child)
                if text:
                    blocks.append(Block(tag, _inline_html(child), text, _linked(child)))
            elif tag == "blockquote":
                flush()
                text = text_of(child)
                if text:
                    blocks.append(Block("blockquote", _inline_html(child), text))
            elif tag == "figure" and not any(content_image(i, base) for i in child.iter("img")):
                # A figure around a table, quote or embed: its content is text, its caption is not.
                flush()
                cap = child.find(".//figcaption")
                caption = text_of(cap) if cap is not None else ""
                if cap is not None:
                    _drop(cap)
                visit(child)
                flush()
                if caption:
                    blocks.append(Block("caption", "", caption))
            elif tag in ("figure", "figcaption") or "caption" in (child.get("class") or "").lower():
                flush()
                cap = child.find(".//figcaption") if tag == "figure" else child
                caption = text_of(cap) if cap is not None else ""
                caption = _add_figures(child, base, caption, blocks)
                if caption:
                    blocks.append(Block("caption", "", caption))
            elif tag in BLOCK_TAGS or _has_block(child):
                flush()
                visit(child)
                flush()
            else:
                parts.append(_inline_html(child))
                texts.append(child.text_content())
                linked[0] += _linked(child)
                for img in child.iter("img"):
                    if content_image(img, base):
                        imgs.append(_inline_html(img))
                pending_br[0] = False
            add_text(child.tail)

    visit(container)
    flush()
    return blocks


def _linked(el: etree._Element) -> int:
    return sum(len(fold_ws(a.text_content())) for a in el.iter("a"))


def _is_image_table(table: etree._Element, base: str) -> bool:
    """A layout table holding a photo and its caption (Blogger's tr-caption-container), not data."""
    has_img = any(content_image(i, base) for i in table.iter("img"))
    return has_img and len(text_of(table)) < 300 and len(table.findall(".//tr")) <= 3


def _table_text(table: etree._Element) -> str:
    """Cells separated by spaces ("Badau 6", not "Badau6")."""
    cells = [text_of(c) for c in table.iter("th", "td")]
    return " ".join(c for c in cells if c) or text_of(table)


def text_blocks(text: str) -> list[Block]:
    """Paragraph blocks from plain text, one per line (the trafilatura fallback)."""
    return [
        Block("p", f"<p>{_html.escape(p)}</p>", p)
        for p in (fold_ws(x) for x in text.split("\n"))
        if p
    ]


def render(blocks: list[Block]) -> tuple[str, list[str]]:
    """(HTML, text paragraphs); figures get their captions, figures and embeds stay out of text."""
    html_parts, paras = [], []
    for b in blocks:
        if b.kind == "figure":
            cap = f"<figcaption>{_html.escape(b.caption)}</figcaption>" if b.caption else ""
            inner = b.html
            if inner.startswith("<figure>"):
                inner = inner[len("<figure>") : -len("</figure>")]
            html_parts.append(f"<figure>{inner}{cap}</figure>")
        else:
            html_parts.append(b.html)
            if b.text:
                paras.append(b.text)
    return "\n".join(html_parts), paras


def trafilatura_body(html: str | bytes, url: str) -> str | None:
    """Plain text from trafilatura (its default, recall-leaning mode), for pages where our own
    pick is short: under 300 characters it is more often the wrong box than a short post."""
    import trafilatura

    try:
        return trafilatura.extract(html, url=url, include_comments=False, include_tables=False)
    except Exception:
        return None
