"""RSS 2.0 and Atom 1.0 (feedgen) and JSON Feed 1.1 (written directly) from stored articles."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from syndicate.boundary import MAX_TAGS, xml_safe
from syndicate.models import Article
from syndicate.publish.feed_media import LeadImageEntry, LeadImageFeed

FORMATS = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Feed icon sizes (pixels, square): Atom icon / RSS image, Atom logo / JSON Feed icon, favicon.
ICON_SIZES = {"small": 128, "large": 512, "favicon": 64}


@dataclass(slots=True)
class FeedInfo:
    """What a feed says about itself. URLs are absolute."""

    key: str  # "detailnews", "all", "tag/bitung"
    title: str
    description: str
    base_url: str
    home_url: str  # the HTML page for people
    language: str = "id"
    full_content: dict[str, bool] = field(default_factory=dict)  # source_id -> full text allowed
    hub: str | None = None  # WebSub hub
    next_url: dict[str, str] = field(default_factory=dict)  # fmt -> URL of the next (older) page
    also_reported: dict[str, list[tuple[str, str]]] = field(
        default_factory=dict
    )  # article id -> [(source name, url)]
    source_names: dict[str, str] = field(default_factory=dict)
    page: int = 1  # paged archive (RFC 5005): page 1 is the live feed, higher pages are older
    prev_url: dict[str, str] = field(default_factory=dict)  # fmt -> URL of the newer page
    icon: str = ""  # "detailnews" or "all": the square served at /icons/{icon}-{size}.png
    corrections: dict[str, list[str]] = field(default_factory=dict)  # article id -> dated lines

    def icon_url(self, size: int) -> str | None:
        return f"{self.base_url}/icons/{self.icon}-{size}.png" if self.icon else None

    def self_url(self, fmt: str) -> str:
        return self.page_url(fmt, self.page)

    def page_url(self, fmt: str, page: int) -> str:
        url = f"{self.base_url}/feeds/{self.key}.{fmt}"
        return url if page <= 1 else f"{url}?page={page}"

    def paging_links(self, fmt: str) -> list[tuple[str, str]]:
        """(rel, href) for hub and RFC 5005 paging, in document order."""
        links = [("hub", self.hub)] if self.hub else []
        if fmt in self.next_url or fmt in self.prev_url:
            links.append(("first", self.page_url(fmt, 1)))
        if fmt in self.prev_url:
            links.append(("previous", self.prev_url[fmt]))
        if fmt in self.next_url:
            links.append(("next", self.next_url[fmt]))
        return links


def article_link(article: Article, base_url: str) -> str:
    """The article's canonical URL on its source; our own page when it has none (folder posts)."""
    if article.canonical_url.startswith(("http://", "https://")):
        return article.canonical_url
    return article_page(article, base_url)


def article_page(article: Article, base_url: str) -> str:
    return f"{base_url}/articles/{article.id}"


def article_guid(article: Article, base_url: str) -> str:
    # Our id, minted once: never the source URL (it changes with http->https or slugs) nor a content hash.
    return f"{base_url}/articles/{article.id}"


def _content_html(article: Article, info: FeedInfo) -> str:
    if not info.full_content.get(article.source_id, True):
        html = f"<p>{_escape(article.summary)}</p>" if article.summary else ""
    else:
        html = article.content_html
    fixes = info.corrections.get(article.id)
    if fixes:  # visible corrections (publish.corrections), as on our page and in the Note
        html += "<p><em>" + "<br>".join(_escape(line) for line in fixes) + "</em></p>"
    extra = info.also_reported.get(article.id)
    if extra:
        links = ", ".join(f'<a href="{_escape(url)}">{_escape(name)}</a>' for name, url in extra)
        html += f"<p><em>Juga diberitakan oleh / also reported by: {links}</em></p>"
    return html


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def last_modified(articles: list[Article]) -> datetime:
    times = [t for a in articles if (t := a.updated or a.published) is not None]
    return max(times, default=_EPOCH).astimezone(UTC)


def _generator(info: FeedInfo, articles: list[Article], fmt: str) -> FeedGenerator:
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.register_extension("media", LeadImageFeed, LeadImageEntry, atom=True, rss=True)
    # One id for every page of a paged feed: they are one logical feed.
    fg.id(info.page_url("atom", 1) if fmt == "atom" else info.home_url)
    fg.title(info.title)
    fg.subtitle(info.description or info.title)
    fg.language(info.language)
    fg.generator("syndicate", uri="https://github.com/syndicate-news/syndicate")
    fg.updated(last_modified(articles))
    if info.icon:
        if fmt == "atom":  # icon: small and square; logo: the larger picture
            fg.icon(info.icon_url(ICON_SIZES["small"]))
            fg.logo(info.icon_url(ICON_SIZES["large"]))
        else:  # RSS <image> is at most 144 pixels wide
            size = ICON_SIZES["small"]
            fg.image(info.icon_url(size), info.title, info.home_url, str(size), str(size))
    fg.link(href=info.self_url(fmt), rel="self", type=FORMATS[fmt].split(";")[0])
    if fmt == "atom":
        for rel, href in info.paging_links(fmt):
            fg.link(href=href, rel=rel)
    # feedgen takes the RSS <channel><link> from the last link added: keep `alternate` last.
    fg.link(href=info.home_url, rel="alternate", type="text/html")
    # feedgen prepends entries; add oldest first so the newest comes out on top.
    for article in reversed(articles):
        fe = fg.add_entry()
        fe.id(article_guid(article, info.base_url))
        fe.guid(article_guid(article, info.base_url), permalink=False)
        # feedgen refuses an empty title (a title of control characters only is empty once
        # cleaned): fall back to the summary, then the link, rather than fail the whole feed.
        fe.title(article.title.strip() or article.summary[:80].strip() or fe.id())
        fe.link(href=article_link(article, info.base_url), rel="alternate", type="text/html")
        published = article.published or article.first_seen
        fe.published(published)
        fe.updated(article.updated or published)
        for name in article.authors:
            if fmt == "rss":
                fe.dc.dc_creator(name)
            else:
                fe.author(name=name)
        tags = article.tags[:MAX_TAGS]  # rows stored before the input boundary may hold more
        if tags:
            # One call: feedgen rebuilds its RSS list on every category() call (quadratic).
            fe.category([{"term": t, "label": t} for t in tags])
        summary = article.summary or article.title
        content = _content_html(article, info)
        if fmt == "rss":
            # content:encoded is only written when description is set too.
            fe.description(summary)
            if content:
                fe.content(content, type="CDATA")
        else:
            fe.summary(summary)
            if content:
                fe.content(content, type="html")  # never type="CDATA": invalid in Atom
        if article.image:
            # feedgen drops rel/type on Atom enclosure links (#135); media:content works in both.
            mime = _image_type(article.image)
            fe.media.lead_image(article.image, mime, article.image_alt)
            if fmt == "rss":
                fe.enclosure(article.image, "0", mime)
    return fg


def _image_type(url: str) -> str:
    path = url.split("?", 1)[0].lower()
    for ext, mime in (
        (".png", "image/png"),
        (".gif", "image/gif"),
        (".webp", "image/webp"),
        (".avif", "image/avif"),
    ):
        if path.endswith(ext):
            return mime
    return "image/jpeg"


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None


def render_json(info: FeedInfo, articles: list[Article]) -> bytes:
    items = []
    for a in articles:
        item: dict = {
            "id": article_guid(a, info.base_url),
            "url": article_link(a, info.base_url),
            "title": a.title,
        }
        content = _content_html(a, info)
        if content:
            item["content_html"] = content
            item["content_text"] = (
                a.content_text if info.full_content.get(a.source_id, True) else a.summary
            )
        else:
            item["content_text"] = a.summary or a.title
        item.update(
            {
                "summary": a.summary,
                "image": a.image,
                "date_published": _iso(a.published or a.first_seen),
                "date_modified": _iso(a.updated or a.published),
                "authors": [{"name": n} for n in a.authors],
                "tags": a.tags,
                "language": a.language or info.language,
            }
        )
        if a.image is None:
            del item["image"]
        extension: dict[str, str] = {}
        if info.source_names.get(a.source_id):
            extension = {"source": a.source_id, "source_name": info.source_names[a.source_id]}
        if a.image and a.image_alt:  # JSON Feed has no field for it
            extension["image_alt"] = a.image_alt
        if extension:
            item["_syndicate"] = extension
        items.append(item)
    doc: dict = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": info.title,
        "home_page_url": info.home_url,
        "feed_url": info.self_url("json"),
        "description": info.description or info.title,
        "language": info.language,
    }
    if info.icon:
        doc["icon"] = info.icon_url(ICON_SIZES["large"])
        doc["favicon"] = info.icon_url(ICON_SIZES["favicon"])
    if "json" in info.next_url:
        doc["next_url"] = info.next_url["json"]
    if info.hub:
        doc["hubs"] = [{"type": "WebSub", "url": info.hub}]
    doc["items"] = items
    return json.dumps(doc, ensure_ascii=False, indent=1).encode()


def _rss_with_links(body: bytes, links: list[tuple[str, str]]) -> bytes:
    """feedgen writes only the `self` atom:link into RSS; add hub and paging links after it."""
    from lxml import etree

    parser = etree.XMLParser(strip_cdata=False, remove_blank_text=True, resolve_entities=False)
    root = etree.fromstring(body, parser)
    channel = root.find("channel")
    atom = "{http://www.w3.org/2005/Atom}link"
    anchor = channel.find(atom)
    at = list(channel).index(anchor) + 1 if anchor is not None else 0
    for i, (rel, href) in enumerate(links):
        el = etree.Element(atom, href=href, rel=rel)
        channel.insert(at + i, el)
    return etree.tostring(root, pretty_print=True, encoding="UTF-8", xml_declaration=True)


def _xml_safe_article(a: Article) -> Article:
    """Rows written before the input boundary may hold characters XML cannot carry: one such
    character must not take down every feed that lists the article."""
    from dataclasses import replace

    return replace(
        a,
        title=xml_safe(a.title),
        summary=xml_safe(a.summary),
        content_html=xml_safe(a.content_html),
        content_text=xml_safe(a.content_text),
        authors=[xml_safe(n) for n in a.authors],
        tags=[xml_safe(t) for t in a.tags[:MAX_TAGS]],
        image=xml_safe(a.image) if a.image else a.image,
        image_alt=xml_safe(a.image_alt) if a.image_alt else a.image_alt,
    )


def render(info: FeedInfo, articles: list[Article], fmt: str) -> bytes:
    articles = [_xml_safe_article(a) for a in articles]
    if fmt == "json":
        return render_json(info, articles)
    fg = _generator(info, articles, fmt)
    if fmt == "atom":
        return fg.atom_str(pretty=True)
    body = fg.rss_str(pretty=True)
    links = info.paging_links("rss")
    return _rss_with_links(body, links) if links else body
