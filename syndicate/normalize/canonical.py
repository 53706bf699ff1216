"""The canonical URL of an article page: what it declares, and page 1 for page N of an article."""

from __future__ import annotations

from syndicate.normalize.clean import join_url
from syndicate.normalize.metadata import ld_str
from syndicate.normalize.page import Page
from syndicate.normalize.urls import canonicalize_url, page_number, strip_page_suffix


def pick_canonical(page: Page) -> tuple[str, str]:
    """rel=canonical > og:url > JSON-LD url > the URL read; page N of an article keys on page 1."""
    meta, ld, url = page.meta, page.ld, page.url
    declared = []
    for href in meta.links.get("canonical", []):
        declared.append((join_url(url, href), "rel-canonical"))
    got = meta.first("og:url")
    if got:
        declared.append((join_url(url, got[0]), "opengraph"))
    ld_url = ld_str(ld.get("url")) or ld_str(ld.get("mainEntityOfPage"))
    if ld_url and ld_url.startswith("http"):
        declared.append((ld_url.split("#")[0], "json-ld"))
    if not declared:
        return canonicalize_url(url), "url"
    chosen, rule = declared[0]
    if (page_number(chosen) or 0) > 1:
        # Page N of a multi-page article: key it on page 1 when the page itself names page 1.
        first = strip_page_suffix(chosen)
        names = {canonicalize_url(u) for u, _ in declared} | {
            canonicalize_url(join_url(url, h)) for h in meta.links.get("prev", [])
        }
        if canonicalize_url(first) in names:
            chosen, rule = first, rule + "+page1"
    return canonicalize_url(chosen), rule
