"""What a page declares about itself: <meta>/<link>, microdata and JSON-LD, read once.

JSON-LD: the first NewsArticle/Article/BlogPosting... node (also inside @graph), with bare
`{"@id": ...}` references (image, author, publisher) resolved to the nodes they name.
"""

from __future__ import annotations

import json
import re

from lxml import etree

from syndicate.normalize.dom import text_of

ARTICLE_TYPES = {
    "newsarticle", "article", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "livepostingblog", "liveblogposting", "backgroundnewsarticle",
    "reviewnewsarticle", "techarticle", "scholarlyarticle", "socialmediaposting", "posting",
}  # fmt: skip


class PageMeta:
    """Everything the page declares about itself, read once."""

    def __init__(self, doc: etree._Element) -> None:
        self.meta: dict[str, list[str]] = {}
        self.micro: dict[str, list[tuple[str, etree._Element]]] = {}
        self.links: dict[str, list[str]] = {}
        for el in doc.iter("meta"):
            content = el.get("content")
            if content is None:
                continue
            if el.get("itemprop"):
                for prop in el.get("itemprop").split():
                    self.micro.setdefault(prop, []).append((content.strip(), el))
                continue
            key = (el.get("property") or el.get("name") or "").strip().lower()
            if key:
                self.meta.setdefault(key, []).append(content.strip())
        for el in doc.iter("link"):
            href = el.get("href")
            if href:
                for rel in (el.get("rel") or "").lower().split():
                    self.links.setdefault(rel, []).append(href.strip())
        for el in doc.xpath("//body//*[@itemprop]"):
            if el.tag == "meta":
                continue
            for prop in el.get("itemprop").split():
                self.micro.setdefault(prop, []).append((_micro_value(el, prop), el))
        self.ld = _jsonld_article(doc)

    def first(self, *keys: str) -> tuple[str, str] | None:
        """The first non-empty value of the first key that has one, with that key."""
        for key in keys:
            for value in self.meta.get(key, ()):
                if value:
                    return value, key
        return None

    def value(self, *keys: str) -> str | None:
        got = self.first(*keys)
        return got[0] if got else None

    def all(self, key: str) -> list[str]:
        return [v for v in self.meta.get(key, ()) if v]

    def micro_first(self, *props: str) -> str | None:
        for prop in props:
            for value, _el in self.micro.get(prop, ()):
                if value:
                    return value
        return None


def _micro_value(el: etree._Element, prop: str) -> str:
    if el.get("itemscope") is not None and el.tag not in ("img", "meta", "a", "link"):
        return _micro_object_value(el, prop)
    if el.tag == "time":
        return (el.get("datetime") or text_of(el)).strip()
    if el.tag == "abbr" and el.get("title"):
        return el.get("title").strip()
    if el.tag == "img":
        return (el.get("src") or "").strip()
    if el.tag in ("a", "link") and prop not in ("name", "headline", "author"):
        return (el.get("href") or "").strip()
    if el.get("content"):
        return el.get("content").strip()
    if prop == "author":
        names = el.xpath(".//*[@itemprop='name']")
        if names:
            n = names[0]
            return (n.get("content") or text_of(n)).strip()
    if prop in ("articleBody", "description"):
        return ""
    text = text_of(el)
    return text if len(text) <= 300 else ""


def _micro_object_value(el: etree._Element, prop: str) -> str:
    """`<div itemprop="image" itemscope>` holds its URL in a nested url/contentUrl or <img>."""
    want = ("name",) if prop in ("author", "publisher", "creator") else ("url", "contentUrl")
    for sub in el.iter():
        if sub is el or not sub.get("itemprop"):
            continue
        if set(sub.get("itemprop").split()) & set(want):
            value = sub.get("content") or sub.get("href") or sub.get("src") or text_of(sub)
            if value:
                return value.strip()
    if prop not in ("author", "publisher", "creator"):
        for img in el.iter("img"):
            return (img.get("src") or img.get("data-src") or "").strip()
    return ""


def _ld_nodes(data):
    if isinstance(data, list):
        for item in data:
            yield from _ld_nodes(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _ld_nodes(data["@graph"])
        if isinstance(data.get("mainEntity"), (dict, list)):  # a WebPage wrapping the article
            yield from _ld_nodes(data["mainEntity"])


def _ld_types(node: dict) -> set[str]:
    t = node.get("@type") or ()
    if isinstance(t, str):
        t = (t,)
    return {str(x).lower().rsplit("/", 1)[-1] for x in t}


_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")


def _jsonld_article(doc: etree._Element) -> dict | None:
    """The article node of the page's JSON-LD, with `{"@id": ...}` references resolved."""
    nodes: list[dict] = []
    for script in doc.xpath("//script[@type='application/ld+json']"):
        raw = (script.text or "").strip()
        if not raw:
            continue
        if "<![CDATA[" in raw or "]]>" in raw:  # the regex scans every position of a big blob
            raw = _CDATA.sub("", raw)
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            try:  # hand-written templates leave a comma before the closing brace
                data = json.loads(_TRAILING_COMMA.sub(r"\1", raw), strict=False)
            except ValueError:
                continue
        nodes.extend(_ld_nodes(data))
    article = next((n for n in nodes if _ld_types(n) & ARTICLE_TYPES), None)
    if article is None:
        return None
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str) and len(n) > 1}
    resolved = dict(article)
    for key in ("image", "author", "publisher", "mainEntityOfPage"):
        resolved[key] = _ld_resolve(article.get(key), by_id)
    if not resolved.get("image") and article.get("thumbnailUrl"):
        resolved["image"] = article["thumbnailUrl"]
    return resolved


def _ld_resolve(value, by_id: dict):
    """Replace bare references ({"@id": x}, nothing else) by the node they point to."""
    if isinstance(value, list):
        return [_ld_resolve(v, by_id) for v in value]
    if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in by_id:
        return by_id[value["@id"]]
    if isinstance(value, dict) and "name" not in value and "url" not in value:
        return by_id.get(value.get("@id"), value)
    return value


def ld_str(value) -> str | None:
    """A JSON-LD value as one string: a node gives its url, @id or name; a list its first."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return ld_str(value.get("url") or value.get("@id") or value.get("name"))
    if isinstance(value, list) and value:
        return ld_str(value[0])
    return None


def ld_names(value) -> list[str]:
    """The names in a JSON-LD person/organisation value (a string, a node or a list of them)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return [name] if isinstance(name, str) else []
    if isinstance(value, list):
        return [n for v in value for n in ld_names(v)]
    return []
