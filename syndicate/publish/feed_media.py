"""Media RSS for an article's lead image, with its alt text, in RSS and Atom (a feedgen extension).

feedgen's own media extension has no media:description, puts content and thumbnail into a
<media:group> (several readers only look at direct children of the item) and is rebuilt per
call; a lead image is one picture, so this writes exactly
<media:content url medium="image" type><media:description type="plain">alt</media:description>
</media:content><media:thumbnail url/>.
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

MEDIA_NS = "http://search.yahoo.com/mrss/"
_CONTENT = f"{{{MEDIA_NS}}}content"
_DESCRIPTION = f"{{{MEDIA_NS}}}description"
_THUMBNAIL = f"{{{MEDIA_NS}}}thumbnail"


class LeadImageFeed(BaseExtension):
    def extend_ns(self) -> dict[str, str]:
        return {"media": MEDIA_NS}


class LeadImageEntry(BaseEntryExtension):
    def __init__(self) -> None:
        self._image: tuple[str, str, str | None] | None = None

    def lead_image(self, url: str, mime: str, alt: str | None) -> None:
        self._image = (url, mime, alt or None)

    def _extend(self, item: Any) -> Any:
        if self._image is None:
            return item
        url, mime, alt = self._image
        content = etree.SubElement(item, _CONTENT, url=url, medium="image", type=mime)
        if alt:
            desc = etree.SubElement(content, _DESCRIPTION, type="plain")
            desc.text = alt
        etree.SubElement(item, _THUMBNAIL, url=url)
        return item

    def extend_rss(self, item: Any) -> Any:
        return self._extend(item)

    def extend_atom(self, entry: Any) -> Any:
        return self._extend(entry)
