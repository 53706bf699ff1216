"""What is never article text, at two levels.

In the tree: scripts, forms, hidden boxes and boxes whose class/id words say share bar, ads,
related posts, comments, navigation...; iframes and social embeds become marked link paragraphs.
In the blocks: "Baca Juga" lines (and the list after them), ads, pagination, photo captions
(moved to their figure), closing promos and credits, and bylines at either end (returned).
The rules for pages from the open web are multilingual and never per site: pointer and label
lines, credit/rights lines and sign-up calls anywhere; datelines and disclosures among the first
four text blocks; trailers (copyright, subscribe/follow/support, share/print/comment prompts,
post-meta, contact lines) among the last four.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import lxml.html
from lxml import etree

from syndicate.normalize import authors as _authors
from syndicate.normalize.clean import _drop, fold_ws, is_video_embed, video_link
from syndicate.normalize.dom import class_words, is_hidden, link_density

if TYPE_CHECKING:
    from syndicate.normalize.body import Block

DROP_TAGS = {
    "script", "style", "noscript", "template", "form", "nav", "aside", "ins", "button", "select",
    "textarea", "input", "svg", "canvas", "header", "footer", "object", "embed", "link", "meta",
    "map", "audio", "dialog", "label",
}  # fmt: skip
# Class/id words of boxes that are never article text (matched as whole words of the name).
BOILER_WORDS = {
    "share", "sharing", "sharer", "sharedaddy", "social", "socials", "related", "relatedposts",
    "terkait", "comment", "comments", "komentar", "respond", "disqus", "sidebar", "widget", "ad",
    "ads", "adsbygoogle", "advert", "advertisement", "adspot", "iklan", "banner", "sponsor",
    "sponsored", "promo", "cookie", "cookies", "gdpr", "consent", "newsletter", "subscribe",
    "langganan", "breadcrumb", "breadcrumbs", "crumb", "crumbs", "jalur", "pagination",
    "pagelinks", "pagenav", "pager", "nav", "navigation", "navbar", "menu", "popular", "populer",
    "terpopuler", "trending", "terkini", "bacajuga", "tags", "tag", "tagcloud", "rec", "meta",
    "header", "footer", "bagikan", "lainnya", "lain", "authorbox", "modal", "popup", "toolbar",
    "rating", "reaction", "reactions", "print", "next", "prev", "previous", "postnav", "byline",
}  # fmt: skip
_CONSENT_WORDS = {"cookie", "cookies", "gdpr", "consent"}
_AMBIGUOUS_WORDS = {"header", "tag", "tags", "widget", "meta", "print", "rec", "rating", "lain"}
_SOCIAL_EMBED = re.compile(
    r"\b(?:instagram-media|twitter-tweet|twitter-video|tiktok-embed|fb-post|fb-video|threads-post)\b"
)

CAPTION = re.compile(
    r"^\s*[(\[]?\s*(?:foto|photo|ilustrasi|illustration|sumber\s+foto|sumber\s+gambar|gambar|"
    r"dok\.?|dokumentasi|image|caption|keterangan(?:\s+foto)?)\b\s*[:/.\-–]",
    re.I,
)
RELATED = re.compile(
    r"^\s*(?:baca\s+(?:juga|pula|selengkapnya)|simak\s+juga|lihat\s+juga|berita\s+terkait|"
    r"artikel\s+terkait|berita\s+lainnya|read\s+also|see\s+also|related|"
    r"(?:simak|tonton|saksikan)\s+(?:juga\s+)?video)\b\s*[:\-–]?",
    re.I,
)
# The heading over a related-posts or headline list, in the languages of the open web: what
# follows it at the end of a body is teasers, not text.
RELATED_HEADING = re.compile(
    r"^\s*(?:baca\s+juga|berita\s+(?:terkait|lainnya|terpopuler|terkini)|artikel\s+terkait|"
    r"related(?:\s+(?:articles?|posts?|stories|news|content))?|read\s+(?:more|also|next)|"
    r"more\s+(?:on\s+this|from|stories|news)\b.*|you\s+(?:might|may)\s+also\s+like|"
    r"recommended(?:\s+for\s+you)?|see\s+also|further\s+reading|"
    r"mehr\s+zum\s+thema|(?:zum\s+)?weiterlesen|lesen\s+sie\s+auch|auch\s+interessant|"
    r"das\s+könnte\s+(?:dich|sie)\s+(?:auch\s+)?interessieren|schon\s+gelesen\??|"
    r"empfehlungen(?:\s+aus\s+der\s+redaktion)?|mehr\s+(?:zu|aus|von)\s+.{1,40}|"
    r"(?:à\s+)?lire\s+aussi|sur\s+le\s+même\s+sujet|"
    r"(?:te\s+puede\s+interesar|notas?\s+relacionadas?|lee\s+también|también\s+te\s+puede)|"
    r"zobacz\s+(?:także|też)|czytaj\s+(?:także|też)|leggi\s+anche|"
    r"相关(?:阅读|新闻|文章)|热门推荐|推荐阅读)\s*[:：.!?…]*\s*$",
    re.I,
)
NOISE = re.compile(
    r"^\s*(?:-+\s*)?(?:advertisement|iklan|advertorial|scroll\s+to\s+continue(?:\s+with\s+content)?|"
    r"lanjutkan\s+membaca|halaman\s+(?:selanjutnya|berikutnya|sebelumnya)|halaman\s*[\d\s]+|"
    r"next\s+page|previous\s+page|bagikan|share(?:\s+this)?|komentar|tinggalkan\s+komentar|"
    r"dibaca\s*:?\s*[\d.]+\s*kali|tags?\s*:.*|topik\s*:.*|kata\s+kunci\s*:.*|label\s*:.*|"
    r"\[[\w\s]+:[^\]]*\]|(?:copyright|hak\s+cipta)\b.{0,80}|©.{0,80})"
    r"(?:\s*-+)?\s*:?\s*$",
    re.I | re.S,
)
# A caption that ends in its photo credit: "Warga berkumpul ... (Foto: Dok. Panitia)".
CREDITED_CAPTION = re.compile(
    r"\((?:foto|photo|dok|dokumentasi|ist|istimewa|sumber)\b[^()]{0,60}\)\s*$", re.I
)
# "(ical)", "(*/adv)", "(ant/jpnn)", "(Outlet.id/Nama Reporter)": initials or a credit in brackets.
_CREDIT = re.compile(
    r"^\s*[(\[]\s*[\w*/.,\s-]{1,24}\s*[)\]]\s*$|^\s*\([\w*.\s-]{1,30}/[\w*.,\s/-]{1,40}\)\s*$"
)
# Closing calls to follow the outlet elsewhere (Google News, WhatsApp, Telegram, the app).
_PROMO = re.compile(
    r"\b(?:google\s+news|whatsapp\s+channel|saluran\s+whatsapp|grup\s+telegram|channel\s+telegram|"
    r"ikuti\s+(?:kami|juga|berita|update|kabar)|follow\s+(?:us|kami)|dapatkan\s+(?:update|berita|informasi)|"
    r"simak\s+breaking\s+news|(?:download|unduh)\s+aplikasi|sign\s+up\s+for|subscribe\s+to)\b",
    re.I,
)

# A closing note that the piece was updated ("Catatan redaksi: Artikel ini diperbarui pada ..."):
# about the article, not of it; the correction itself is noticed from the changed text.
_UPDATE_NOTE = re.compile(
    r"^\s*(?:catatan\s+redaksi|editor'?s\s+note|update|pembaruan|koreksi|ralat|correction)\s*:"
    r".{0,200}\b(?:diperbarui|diperbaharui|dikoreksi|diralat|updated|corrected)\b",
    re.I | re.S,
)

# What closes a page rather than its article, in the languages of the open web: copyright and
# rights notes, calls to subscribe, follow, join or support, share/print/comment prompts, photo
# credits, date and category lines, related-content headings and contact lines. Dropped only as a
# run of short blocks at the very end of the body.
_TRAILER = re.compile(
    r"©|\(c\)\s*\d{4}|\bcopyright|all\s+rights\s+reserved|alle\s+rechte\s+vorbehalten|"
    r"todos\s+los\s+derechos|tous\s+droits\s+réservés|hak\s+cipta|tutti\s+i\s+diritti|"
    r"wszelkie\s+prawa|"
    r"\b(?:subscri\w*|suscr[ií]\w*|abonnez|abonnieren\s+sie|jetzt\s+abonnieren|abonnement|"
    r"newsletter|sign\s+up|s[ií]gu?e?nos|folge\s+(?:uns|mir)|folgen\s+sie\s+uns|"
    r"follow\s+(?:us|\w+(?:\s+\w+)?\s+on)|únete|download\s+(?:the|our)\s+(?:\S+\s+){0,2}apps?|apps?\s+for\s+ios|"
    r"canal\s+de\s+(?:telegram|youtube|whatsapp)|support(?:ing)?\s+(?:our|us)|"
    r"unterstütze\s+(?:uns|unser\w*|\S+\s+(?:bereits\s+)?mit\s+\d)|"
    r"hazte\s+miembro|become\s+a\s+(?:member|patron|subscriber)|subskrypc\w*|google\s+play|"
    r"app\s+store|suggested\s+citation|zitiervorschlag|cite\s+this|"
    r"hinterlass\w*\s+(?:\w+\s+){0,2}(?:einen\s+)?kommentar)\b|"
    r"\b(?:e-?mail|telefon|tel\.|fax|phone)\s*:|"
    r"^\s*(?:(?:share|teilen|drucken|print|imprimer|permalien|kommentare?\b.*|"
    r"keine\s+kommentare.*|leave\s+a\s+(?:comment|reply).*|\d+\s+comments?|"
    r"möchten\s+sie\s+(?:den|diesen)\s+artikel\s+teilen\??|"
    r"war\s+(?:der|dieser)\s+artikel\s+(?:nützlich|hilfreich)\?.*)\s*$|"
    r"(?:titelbild|beitragsbild|bildquelle|bildnachweis|fotos?|photos?|crédits?\s+photos?|"
    r"photo\s+credits?|image\s+credits?|cover\s+image)\s*:|"
    r"(?:publiziert|veröffentlicht|aktualisiert|erschienen|updated|published|posted|"
    r"last\s+modified|kategorien?|categor(?:y|ies)|filed\s+under|schlagwörter|news\s+date)\b"
    r"[^.!?]{0,80}$|"
    r"(?:über\s+(?:den|die)\s+autor(?:in)?|about\s+the\s+author|zum\s+autor|zur\s+autorin|kontakt|"
    r"contact)\s*:?\s*$|"
    r"(?:lesen\s+sie\s+auch|weitere\s+(?:informationen|infos|artikel|beiträge|themen)|"
    r"mehr\s+themen|weiterführende?\s+links?|.{0,30}könnte\s+(?:dich|sie|euch)\s+auch\s+"
    r"interessieren)\b.{0,40}$)",
    re.I | re.S,
)

# Lines that point elsewhere or label nothing, anywhere in the body, in the languages of the open
# web: "Lesen Sie auch", "Veja também:", "PUEDES VER: ...", "Read more", a bare "Anzeige",
# "Weitere Informationen", "Quellenangaben:", "Inhaltsverzeichnis".
_POINTER = re.compile(
    r"^\s*(?:lesen\s+sie\s+(?:auch|mehr)|lies\s+auch|veja\s+também|leia\s+também|puedes\s+ver|"
    r"lee\s+también|ver\s+también|mira\s+también|voir\s+aussi|(?:à\s+)?lire\s+aussi|read\s+more|"
    r"leggi\s+anche|czytaj\s+(?:także|też|więcej)|zobacz\s+(?:także|też))\b\s*[:\-–]?",
    re.I,
)
_LABEL_NOISE = re.compile(
    r"^\s*-*\s*(?:anzeige|werbung|publicidad|publicité|reklama|pubblicità)\s*-*\s*$|"
    r"^\s*(?:photo\s+credits|quellenangaben|quellen\s+ausblenden|weitere\s+informationen|"
    r"weiterführende\s+informationen|mehr\s+zum\s+thema|inhaltsverzeichnis)\s*:?\s*$",
    re.I,
)
# A credit or source line: "(Bild: Dieter Stork)", "Quelle: dpa-AFX", "Credits: Amazon".
_CREDIT_LINE = re.compile(
    r"^\s*[(\[]?\s*(?:photograph(?:ed)?\s+by|photo\s+by|foto\s+von|bild\s+von|vergrößern\s|"
    r"(?:abbildung|abb\.|figure|fig\.|grafik|gráfico|grafico)\s*\d*\s*:|"
    r"(?:photo\s+credits?|credits?|crédits?(?:\s+photos?)?|bild(?:quelle|nachweis)?|"
    r"fotos?|titelbild|beitragsbild|foto\s*credit|fotocredit|quellen?|fuente|source)\b\s*[:/.\-–])",
    re.I,
)
# The blog engine's line under a post: "Der Beitrag wurde am ... veröffentlicht und unter ...
# abgelegt", "This entry was posted in ...".
_POST_META = re.compile(
    r"^\s*(?:der\s+beitrag\s+wurde\s+am|dieser\s+eintrag\s+wurde\s+am|this\s+entry\s+was\s+posted|"
    r"this\s+(?:post|article)\s+was\s+(?:posted|published)\s+(?:in|on)|cette\s+entrée\s+a\s+été)\b",
    re.I,
)
# A short call to sign up, anywhere in the body: "Never miss the latest news by signing up to our
# newsletter today!", "Stay up-to-date on our work."
_SIGNUP = re.compile(
    r"\bnewsletter|\bsign(?:ing)?\s+up\b|\bstay\s+up[\s-]to[\s-]date\b|\bnever\s+miss\b", re.I
)
# A rights note in a short line (a photo credit under a picture): "... Lee Elder. | © Getty Images".
_RIGHTS = re.compile(
    r"©|\ball\s+rights\s+reserved|\balle\s+rechte\s+vorbehalten|\btodos\s+los\s+derechos\s+"
    r"reservados|\btous\s+droits\s+réservés",
    re.I,
)
# What an embed shows until the reader consents ("Klicken Sie auf den Button, um den Inhalt von
# X zu laden"), and a download link's size ("PDF | 38 KB"): the page's, not the text.
_PLACEHOLDER_TEXT = re.compile(
    r"\b(?:klicken\s+sie|click)\b.{0,60}\b(?:laden|load)\b|\bverbindung\s+zu\s+\w+\s+her|"
    r"inhalt\s+(?:von|laden)",
    re.I,
)
_FILE_SIZE = re.compile(r"\b\d+(?:[.,]\d+)?\s*(?:KB|MB|kB)\b")
# A line that is only a date (and time): the page's dateline, shown again in the text box.
_DATE_LINE = re.compile(
    r"^\W*(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}\.?\s+\w{3,10}\.?\s+\d{4}|"
    r"\w{3,10}\.?\s+\d{1,2},?\s+\d{4})"
    r"(?:,?\s*(?:um\s+)?\d{1,2}[:.]\d{2}(?:\s*(?:uhr|am|pm|wib|wita|wit))?)?\W*$",
    re.I,
)
# "Aktualisiert: 11.04.2020", "Stand: 25.01.2022", "Published on 3 May 2021".
_DATED_META = re.compile(
    r"^\s*(?:publiziert|veröffentlicht|veröffentlichung|aktualisiert|stand|erschienen|updated|"
    r"published|posted|last\s+modified|actualizado|publicado|mis\s+à\s+jour|publié|diperbarui|"
    r"diterbitkan)\b\s*(?:am|on|le|el|pada)?\s*:?\s*\d",
    re.I,
)
# An advertising or affiliate disclosure over the text ("*Werbung", "Anzeige, enthält Affiliate
# Links", "... erhält ggf. eine Provision").
_DISCLOSURE = re.compile(
    r"^\W*(?:werbung|anzeige|advertorial|sponsored|affiliate|publicidad|publicité|annonce)\b|"
    r"\baffiliate[\s-]links?\b|\bprovision\b",
    re.I,
)


def _dateline(t: str) -> bool:
    return len(t) <= 40 and bool(_DATE_LINE.match(t)) or len(t) <= 60 and bool(_DATED_META.match(t))


def _head_noise(t: str) -> bool:
    """A dateline, dated note or disclosure among the first blocks."""
    return _dateline(t) or len(t) <= 200 and bool(_DISCLOSURE.search(t))


# --------------------------------------------------------------------------- the tree


def prune_page(
    body: etree._Element, protect: set[etree._Element], excerpt: str | None = None
) -> None:
    """Drop boilerplate under <body>, never an element in `protect` (the chosen body, its parents).
    `excerpt` is the description the page declares: in a header it is the page's summary shown
    again (Ghost's custom excerpt), not a standfirst of the body."""
    _prune(body, len(body.text_content()), protect, _p_len(body), fold_ws(excerpt or ""))


def _p_len(el: etree._Element) -> int:
    return sum(len(p.text_content()) for p in el.iter("p"))


def _prune(
    el: etree._Element, total: int, protect: set, p_total: int = 0, excerpt: str = ""
) -> None:
    for child in list(el):
        tag = child.tag
        if not isinstance(tag, str):
            _drop(child)
            continue
        if child in protect:
            _prune(child, total, protect, p_total, excerpt)
            continue
        if tag == "iframe":
            src = child.get("src") or child.get("data-src") or ""
            if is_video_embed(src):
                _replace_with_embed(el, child, "Video", video_link(src))
            else:
                _drop(child)
            continue
        if tag == "blockquote" and _SOCIAL_EMBED.search(child.get("class") or ""):
            # The text of an embedded post is the platform's widget, not the article's.
            link = _embed_permalink(child)
            if link:
                kind = "Tweet" if "twitter" in (child.get("class") or "") else "Post"
                _replace_with_embed(el, child, kind, link)
            else:
                _drop(child)
            continue
        if tag == "header" and _holds_standfirst(child, excerpt):
            _drop_excerpt(child, excerpt)  # an article's own header: headline, standfirst, lead
        elif tag in DROP_TAGS or is_hidden(child):
            _drop(child)
            continue
        words = class_words(child)
        boiler = words & BOILER_WORDS
        if boiler or "bacajuga" in "".join(words):
            # Guard: a wrapper holding most of the page's text (Blogger's "widget Blog") stays.
            text = child.text_content()
            wrapper = len(text) >= 0.4 * total or (p_total > 0 and _p_len(child) >= 0.5 * p_total)
            # Words that also name article boxes (WordPress "tag-x" post classes, "entry-header"
            # with the standfirst, a recipe "widget"): such a box full of paragraphs stays.
            if boiler and boiler <= _AMBIGUOUS_WORDS and _p_len(child) >= 300:
                wrapper = True
            if boiler == {"header"} and _holds_standfirst(child, excerpt):
                wrapper = True  # "entry-header" with the standfirst
                _drop_excerpt(child, excerpt)
            # A consent banner's legal text can outweigh a short post; it is never the post.
            if boiler & _CONSENT_WORDS and child.find(".//h1") is None:
                wrapper = False
            if not wrapper or link_density(child, len(text)) > 0.5:
                _drop(child)
                continue
        _prune(child, total, protect, p_total, excerpt)


def _drop_excerpt(header: etree._Element, excerpt: str) -> None:
    """The page's declared description shown again under the headline is its summary."""
    if excerpt:
        for p in list(header.iter("p")):
            if fold_ws(p.text_content()) == excerpt:
                _drop(p)


def _holds_standfirst(el: etree._Element, excerpt: str = "") -> bool:
    """A paragraph of prose outside links and headings: a standfirst, not a logo and a menu."""
    whole = len(el.text_content())
    if link_density(el, whole) >= 0.3:
        return False
    if el.find(".//h1") is None and el.find(".//img") is not None:
        return False  # a photo and its caption, not a headline block
    for p in el.iter("p", "div"):
        text = p.text_content()
        n = len(text.strip())
        prose = n >= 100 and link_density(p, n) < 0.2 and p.find(".//h1") is None
        if prose and (not excerpt or fold_ws(text) != excerpt):
            return True
    return False


def _embed_permalink(el: etree._Element) -> str | None:
    link = el.get("data-instgrm-permalink") or el.get("cite") or el.get("data-href")
    if not link:
        hrefs = [a.get("href") for a in el.iter("a") if (a.get("href") or "").startswith("http")]
        link = hrefs[-1] if hrefs else None  # a tweet's permalink is its last link
    return link.split("?")[0] if link else None


def _replace_with_embed(
    parent: etree._Element, child: etree._Element, kind: str, link: str
) -> None:
    """An embed becomes a link paragraph marked as such: kept in the HTML, left out of the text."""
    p = lxml.html.Element("p", {"data-embed": kind})
    a = etree.SubElement(p, "a", href=link)
    a.text = f"{kind}: {link}"
    p.tail = child.tail
    parent.replace(child, p)


# --------------------------------------------------------------------------- the blocks


def clean_blocks(blocks: list[Block], title: str = "") -> tuple[list[Block], list[_authors.Byline]]:
    """Drop related/ads/pagination lines, captions out of the text, bylines out of the ends."""
    out: list[Block] = []
    if title:
        blocks = [b for b in blocks if b.text != title]
    skip_next_list = False
    for b in blocks:
        if b.kind == "caption":
            _caption_figure(out, b.text)
            continue
        if b.kind in ("figure", "embed"):
            out.append(b)
            continue
        t = b.text
        if skip_next_list and b.kind in ("ul", "ol"):
            skip_next_list = False
            continue
        skip_next_list = False
        if RELATED.match(t):
            # "Baca Juga:" + link in one paragraph, or a label followed by a list of links.
            skip_next_list = len(t) < 30
            continue
        if NOISE.match(t) or _LABEL_NOISE.match(t) or len(t) <= 100 and _POINTER.match(t):
            continue
        if len(t) <= 160 and _SIGNUP.search(t) or len(t) <= 250 and _PLACEHOLDER_TEXT.search(t):
            continue
        if len(t) <= 120 and _FILE_SIZE.search(t):
            continue
        if (
            len(t) < 200
            and (CAPTION.match(t) or _CREDIT_LINE.match(t))
            or (len(t) < 300 and CREDITED_CAPTION.search(t))
            or (len(t) <= 150 and _RIGHTS.search(t))
        ):
            _caption_figure(out, t)
            continue
        out.append(b)
    out = _cut_related_tail([b for b in out if not _link_block(b)])
    while out and _closing(out[-1]):
        out.pop()
    bylines: list[_authors.Byline] = []
    text_idx = [i for i, b in enumerate(out) if b.text]
    ends = set(text_idx[:2] + text_idx[-3:])
    keep = []
    for i, b in enumerate(out):
        if i in ends and len(b.text) <= 160:
            by = _authors.parse_byline(b.text)
            if by and (by.strength == 2 or by.editor or len(b.text) <= 60):
                bylines.append(by)
                continue
            if i in text_idx[-3:] and (_CREDIT.match(b.text) or _PROMO.search(b.text)):
                continue
        keep.append(b)
    # The first few text blocks: a dateline, a dated note or a disclosure is the page's, not text.
    # The last few: a trailer between other closing lines (a share prompt above a rating).
    texts = [b for b in keep if b.text]
    drop = {id(b) for b in texts[:_HEAD_BLOCKS] if _head_noise(b.text)}
    drop |= {id(b) for b in texts[-_TAIL_BLOCKS:] if _closing_text(b.text)}
    return [b for b in keep if id(b) not in drop], bylines


def _closing(b: Block) -> bool:
    """A block that closes the page rather than the article, when it is the body's last."""
    # A heading over nothing: its list was dropped.
    return bool(b.text) and (
        _closing_text(b.text) or b.kind in _HEADING_KINDS and len(b.text) < 400
    )


def _closing_text(t: str) -> bool:
    if len(t) >= 400:
        return False
    if _POST_META.match(t):
        return True
    trailer = len(t) < 300 and _TRAILER.search(t)
    return bool(_PROMO.search(t) or _UPDATE_NOTE.match(t) or trailer or _dateline(t))


_HEADING_KINDS = {"h3", "h4", "h5", "h6"}
_HEAD_BLOCKS = 4
_TAIL_BLOCKS = 4


def _link_block(b: Block) -> bool:
    """A line or list that is all links (a "more" link, a teaser list, a menu left inside the
    text box): navigation, not prose."""
    n = len(b.text)
    if not n or b.linked < 0.7 * n:
        return False
    return b.kind in ("ul", "ol", "dl") or n <= 200


def _cut_related_tail(blocks: list[Block]) -> list[Block]:
    """A "More on this" / "Weiterlesen" heading in the second half of a body: it and the
    teaser list after it go."""
    total = sum(len(b.text) for b in blocks)
    seen = 0
    for i, b in enumerate(blocks):
        if seen >= total * 0.5 and len(b.text) <= 60 and RELATED_HEADING.match(b.text):
            return blocks[:i]
        seen += len(b.text)
    return blocks


def _caption_figure(out: list[Block], caption: str) -> None:
    """A caption belongs to the figure just before it, if that one has none yet; else it goes."""
    if out and out[-1].kind == "figure" and not out[-1].caption:
        out[-1].caption = caption
