"""normalize/metadata.py: what a page declares about itself (meta, links, microdata, JSON-LD)."""

from syndicate.normalize.dom import parse_html
from syndicate.normalize.metadata import PageMeta, ld_names, ld_str

JSON_LD = """<script type="application/ld+json">
//<![CDATA[
{"@context": "https://schema.org", "@graph": [
  {"@type": "Organization", "@id": "https://x.id/#org", "name": "DetailNews.id"},
  {"@type": "ImageObject", "@id": "https://x.id/#img", "url": "https://x.id/uploads/pasar.jpg"},
  {"@type": "Person", "@id": "https://x.id/#ical", "name": "ical"},
  {"@type": ["NewsArticle"], "headline": "Pasar Girian diresmikan",
   "image": {"@id": "https://x.id/#img"}, "author": [{"@id": "https://x.id/#ical"}],
   "publisher": {"@id": "https://x.id/#org"}, "datePublished": "2026-01-07T09:00:00+08:00"}
]}
//]]>
</script>"""

HEAD = (
    '<meta property="og:title" content=" Pasar Girian diresmikan ">'
    '<meta property="article:tag" content="Pasar"><meta property="article:tag" content="Bitung">'
    '<meta name="Author" content="Redaksi"><meta property="og:image" content="">'
    '<link rel="canonical" href="/2026/01/pasar-girian/"><link rel="amphtml" href="/amp/a">'
)
BODY = (
    '<div itemscope itemtype="https://schema.org/NewsArticle">'
    '<span itemprop="author" itemscope><span itemprop="name">Stevi Rumengan</span></span>'
    '<time itemprop="datePublished" datetime="2026-01-07T09:00:00+08:00">7 Januari</time>'
    '<div itemprop="image" itemscope><meta itemprop="url" content="https://x.id/m.jpg"></div>'
    "</div>"
)


def _meta(head: str = HEAD, body: str = BODY) -> PageMeta:
    return PageMeta(parse_html(f"<html><head>{head}{JSON_LD}</head><body>{body}</body></html>"))


def test_meta_keys_are_lowercase_and_values_trimmed():
    meta = _meta()
    assert meta.first("og:title") == ("Pasar Girian diresmikan", "og:title")
    assert meta.all("article:tag") == ["Pasar", "Bitung"]
    assert meta.value("author") == "Redaksi"
    assert meta.value("og:image", "og:title") == "Pasar Girian diresmikan"  # empty skipped
    assert meta.links["canonical"] == ["/2026/01/pasar-girian/"]


def test_microdata_values():
    meta = _meta()
    assert meta.micro_first("author") == "Stevi Rumengan"
    assert meta.micro_first("datePublished") == "2026-01-07T09:00:00+08:00"
    assert meta.micro_first("image") == "https://x.id/m.jpg"


def test_json_ld_article_in_a_graph_with_references_resolved():
    ld = _meta().ld
    assert ld["headline"] == "Pasar Girian diresmikan"
    assert ld_str(ld["image"]) == "https://x.id/uploads/pasar.jpg"
    assert ld_names(ld["author"]) == ["ical"]
    assert ld_names(ld["publisher"]) == ["DetailNews.id"]


def test_broken_or_missing_json_ld_is_none():
    doc = parse_html(
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle",</script>'
        '<script type="application/ld+json">{"@type": "WebSite", "name": "X"}</script>'
        "</head><body></body></html>"
    )
    assert PageMeta(doc).ld is None


def test_ld_helpers():
    assert ld_str([{"url": " https://x.id/a.jpg "}]) == "https://x.id/a.jpg"
    assert ld_str({"@id": "https://x.id/#img"}) == "https://x.id/#img"
    assert ld_str("") is None and ld_str(None) is None
    assert ld_names(["Budi", {"name": "Sari"}, {"@id": "x"}]) == ["Budi", "Sari"]


def _ld(raw: str):
    html = (
        f"<html><head><script type='application/ld+json'>{raw}</script></head><body></body></html>"
    )
    return PageMeta(parse_html(html)).ld


def test_article_wrapped_as_a_webpages_main_entity():
    ld = _ld('{"@type": "WebPage", "mainEntity": {"@type": "NewsArticle", "headline": "Pasar"}}')
    assert ld["headline"] == "Pasar"


def test_a_trailing_comma_in_hand_written_json_ld():
    ld = _ld('{"@type": "NewsArticle", "headline": "Pasar", "keywords": ["a", "b",],}')
    assert (ld["headline"], ld["keywords"]) == ("Pasar", ["a", "b"])
