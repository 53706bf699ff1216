"""Corpus pages as the server would send them, read straight from tests/corpus (no sockets).

A plain module (not conftest.py) so the tests can import it; pytest puts this folder on sys.path.
"""

from __future__ import annotations

import importlib.util
import json
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
BASE = "http://127.0.0.1:8000"
REPO_ROOT = CORPUS.parent.parent


@lru_cache(maxsize=1)
def _serve():
    spec = importlib.util.spec_from_file_location("corpus_serve_for_normalize", CORPUS / "serve.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@lru_cache(maxsize=16)
def site(site_id: str, state: str = "t0"):
    return _serve().Site(site_id, state)


@lru_cache(maxsize=8)
def truth(site_id: str) -> dict:
    return json.loads((CORPUS / "truth" / f"{site_id}.json").read_text().replace("{{BASE}}", BASE))


def page_bytes(site_id: str, url: str, state: str = "t0") -> tuple[bytes, str | None]:
    """(body bytes with {{BASE}} substituted, declared HTTP charset) for a 200 route."""
    s = site(site_id, state)
    serve = _serve()
    parts = urlsplit(url)
    route = s.routes.get(serve.norm_key(parts.path + ("?" + parts.query if parts.query else "")))
    if route is None or int(route.get("status", 200)) != 200:
        path = s.static_lookup(parts.path)
        assert path is not None, url
        route = {"file": path, "type": "text/html"}
    path = route["file"] if Path(route["file"]).is_absolute() else s.find_file(route["file"])
    body = Path(path).read_bytes().replace(b"{{BASE}}", BASE.encode())
    m = re.search(r"charset=([\w-]+)", route.get("type") or "", re.I)
    return body, (m.group(1) if m else None)


def articles(state_filter: str | None = None):
    """(site_id, state, article) for every live article of the corpus."""
    for path in sorted((CORPUS / "truth").glob("*.json")):
        site_id = path.stem
        for state, data in truth(site_id)["states"].items():
            if state_filter and state != state_filter:
                continue
            for art in data["articles"]:
                if art.get("http_status", 200) == 200:
                    yield site_id, state, art


def corpus_entry(site_id: str, state: str, url: str):  # type: ignore[no-untyped-def]
    """The article at `url` in one corpus state, its pages followed and merged as ingest does."""
    from syndicate.normalize.encoding import decode_html
    from syndicate.normalize.extract import extract_article, merge_pages, next_page_url

    pages = []
    while url and len(pages) < 10:
        body, charset = page_bytes(site_id, url, state)
        html = decode_html(body, charset)
        pages.append(extract_article(html, url))
        url = next_page_url(html, url)
    return merge_pages(pages)
