"""One HTML article page -> a normalised `Entry`.

The page is parsed once with lxml. Fields come from, in this order (the rule used is recorded in
`Entry.rules`): the source's configured CSS selectors > JSON-LD (NewsArticle/Article/BlogPosting,
also inside @graph) > OpenGraph / article:* meta > microdata > feed/API hints > the page text
(labelled bylines, dates under the title) > trafilatura (body only, when our own pick is short,
under 300 characters, or weak: under 40% of the page's real paragraphs). Labelled bylines ("Penulis:", "Peliput :") beat structured authors, because Indonesian
CMSs often publish under a shared account ("Redaksi", "Admin").

The body is the highest-scoring content block (paragraph text and commas, readability-style,
after boilerplate is pruned by class/id words), split into paragraphs; datelines, bylines,
"Baca Juga" boxes, captions, ads and share widgets are taken out of the text.

This module only orders the steps (several change the tree, so the order matters); each part
lives in its own module: metadata (what the page declares), title, page_dates, bylines, tags,
images, language, body, boilerplate, datelines, pages (multi-page and AMP).
"""

from __future__ import annotations

import html as _html
from datetime import datetime

from syndicate.models import Entry
from syndicate.normalize.authors import Byline
from syndicate.normalize.body import (
    absolutize_tree,
    build_blocks,
    declared_container,
    render,
    score_container,
    text_blocks,
    trafilatura_body,
    weak_pick,
)
from syndicate.normalize.boilerplate import BOILER_WORDS, DROP_TAGS, clean_blocks, prune_page
from syndicate.normalize.bylines import page_bylines, pick_authors
from syndicate.normalize.canonical import pick_canonical
from syndicate.normalize.clean import clean_fragment, html_paragraphs, sanitize_html, summarize
from syndicate.normalize.datelines import split_dateline, take_dateline
from syndicate.normalize.dom import BLOCK_TAGS, HEADINGS, HIDDEN_CLASSES, attached, parse_html
from syndicate.normalize.images import dom_image, original_image, structured_image
from syndicate.normalize.language import pick_language
from syndicate.normalize.metadata import ARTICLE_TYPES
from syndicate.normalize.page import parse_page
from syndicate.normalize.page_dates import pick_dates
from syndicate.normalize.pages import amp_url, merge_pages, next_page_url
from syndicate.normalize.tags import normalize_tags, pick_categories, pick_tags
from syndicate.normalize.title import pick_title

# Other packages import these from here; they keep working after the split.
__all__ = [
    "ARTICLE_TYPES",
    "BLOCK_TAGS",
    "BOILER_WORDS",
    "DROP_TAGS",
    "HEADINGS",
    "HIDDEN_CLASSES",
    "amp_url",
    "extract_article",
    "merge_pages",
    "next_page_url",
    "normalize_tags",
    "original_image",
    "parse_html",
]


def extract_article(
    html: str | bytes,
    url: str,
    *,
    timezone: str = "Asia/Makassar",
    language: str | None = None,
    selectors: dict[str, str] | None = None,
    hints: Entry | None = None,
    now: datetime | None = None,
) -> Entry:
    """Extract and normalise one article page. Pure: no network.

    `selectors` (title, date, author, body, image: CSS) come from the source's config and win.
    `hints` is what a feed/API said; it fills what the page lacks, and its date wins over a page
    date that carried no offset. `now` bounds dates (nothing beyond now + 1 h is accepted).
    """
    page = parse_page(html, url, selectors=selectors, hints=hints, timezone=timezone, now=now)
    if page is None:
        entry = Entry(url=url, title=hints.title if hints else "")
        entry.rules = {"error": "empty page"}
        return entry
    doc, base, rules = page.doc, page.base, page.rules

    # Everything that reads the whole page runs before pruning changes the tree.
    title, rules["title"], _title_el = pick_title(page)
    canonical, rules["canonical_url"] = pick_canonical(page)
    tags, rules["tags"] = pick_tags(page)
    categories, rules["categories"] = pick_categories(page)
    page_lines = page_bylines(doc)
    published, updated = pick_dates(page)
    image, image_alt, image_rule = structured_image(page)

    # Body: prune the page, pick the container, blocks; trafilatura when the pick is short or weak.
    body_el = doc.find("body")
    container, body_rule = declared_container(page)
    content_html, dateline = "", None
    paras: list[str] = []
    body_lines: list[Byline] = []
    weak = False
    if body_el is not None:
        protect = set()
        if container is not None:
            protect = {container, *container.iterancestors()}
        prune_page(body_el, protect, page.meta.value("description", "og:description"))
        if container is None or not attached(container, doc):
            container, body_rule = score_container(body_el), "dom"
            weak = container is not None and weak_pick(container, body_el)
        if container is not None:
            if image is None:
                image, image_alt, image_rule = dom_image(page, container)
            dateline = take_dateline(container)
            absolutize_tree(container, base)
            blocks, body_lines = clean_blocks(build_blocks(container, base), title)
            content_html, paras = render(blocks)
    # A short pick is more often a wrong box than a short post; so is a weak one.
    if weak or len(" ".join(paras)) < 300:
        fallback = trafilatura_body(html, url)
        if fallback and len(fallback) > len(" ".join(paras)):
            blocks, body_lines = clean_blocks(text_blocks(fallback), title)
            if blocks:
                found, rest = split_dateline(blocks[0].text)
                if found is not None:
                    dateline = found
                    blocks[0].text = rest
                    blocks[0].html = f"<p>{_html.escape(rest)}</p>"
            content_html, paras = render(blocks)
            body_rule = "trafilatura"
    if not paras and hints and hints.content_html:
        content_html = hints.content_html
        paras = html_paragraphs(sanitize_html(content_html, base))
        body_rule = "hint"
    rules["body"] = body_rule or "none"
    content_html = clean_fragment(content_html)
    text = "\n\n".join(paras)
    if dateline:
        rules["dateline"] = "text"
    rules["image"] = image_rule

    authors, editor = pick_authors(page, page_lines, body_lines)
    lang, rules["language"] = pick_language(page, text, language)
    summary = summarize(text) if text else (hints.summary if hints else "")
    rules["summary"] = "text" if text else ("hint" if summary else "none")

    return Entry(
        url=url,
        title=title,
        canonical_url=canonical,
        guid=hints.guid if hints else None,
        authors=authors,
        editor=editor,
        published=published,
        updated=updated,
        summary=summary,
        content_html=content_html,
        content_text=text,
        image=image,
        image_alt=image_alt,
        tags=tags,
        categories=categories,
        language=lang,
        dateline=dateline,
        rules=rules,
        modified=page.modified,
    )
