"""One parsed article page and what the field pickers read from it.

The pickers (title, page_dates, bylines, tags, images, language, body, canonical)
each take this one object instead of up to nine positional values. `parse_page` parses once;
pickers that find the headline element store it in `title_el`, and rules land in `rules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree

from syndicate.models import Entry
from syndicate.normalize.clean import join_url
from syndicate.normalize.dom import parse_html
from syndicate.normalize.metadata import PageMeta


@dataclass
class Page:
    """A page being normalised: its tree, what it declares, and the source's settings."""

    doc: etree._Element
    url: str
    meta: PageMeta
    base: str = ""  # the URL relative links resolve against (<base href> wins)
    selectors: dict[str, str] = field(default_factory=dict)
    hints: Entry | None = None  # what a feed or API said about this article
    timezone: str = "Asia/Makassar"
    now: datetime | None = None  # nothing dated beyond now + 1 h is accepted
    title_el: etree._Element | None = None  # the heading showing the title, once picked
    rules: dict[str, str] = field(default_factory=dict)  # field -> the rule that filled it
    modified: datetime | None = None  # the modified time the page declares, once dates are picked

    @property
    def ld(self) -> dict[str, Any]:
        """The page's JSON-LD article node ({} when it has none)."""
        return self.meta.ld or {}

    @property
    def site_name(self) -> str | None:
        return self.meta.value("og:site_name", "application-name")


def page_from_doc(
    doc: etree._Element,
    url: str,
    *,
    selectors: dict[str, str] | None = None,
    hints: Entry | None = None,
    timezone: str = "Asia/Makassar",
    now: datetime | None = None,
) -> Page:
    """A Page over an already parsed tree (<br> become spaces so "X<br>Editor: Y" reads apart)."""
    for br in doc.iter("br"):
        br.tail = " " + (br.tail or "")
    base = url
    base_href = doc.find(".//base")
    if base_href is not None and base_href.get("href"):
        base = join_url(url, base_href.get("href"))
    return Page(
        doc=doc,
        url=url,
        meta=PageMeta(doc),
        base=base,
        selectors=selectors or {},
        hints=hints,
        timezone=timezone,
        now=now,
    )


def parse_page(html: str | bytes, url: str, **settings: Any) -> Page | None:
    """Parse `html` once into a Page; None for an empty or unparseable page.

    `settings` are page_from_doc's keywords (selectors, hints, timezone, now)."""
    doc = parse_html(html)
    if doc is None:
        return None
    return page_from_doc(doc, url, **settings)
