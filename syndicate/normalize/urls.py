"""URL canonicalisation: one key per article, whatever link a feed or share button used."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

# Parameters that only say where a click came from; they never select content.
TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z0-9_]*|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|yclid|twclid|ttclid|"
    r"mc_cid|mc_eid|_ga|_gl|igshid|igsh|ref_src|ref_url|spm|scm|_hsenc|_hsmi|__hssc|__hstc|"
    r"__hsfp|hsctatracking|mkt_tok|oly_anon_id|oly_enc_id|vero_id|vero_conv|rb_clickid|s_cid|"
    r"cmpid|ocid|xtor|wt_mc|wt\.mc_id|at_medium|at_campaign|amp_js_v|usqp|share|"
    r"__twitter_impression|fb_action_ids|fb_action_types|fb_ref|fb_source|action_object_map|"
    r"action_type_map|action_ref_map|from_rss|src_rss)$",
    re.I,
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_UNRESERVED = re.compile(r"%([0-9A-Fa-f]{2})")
_PAGE_SUFFIX = re.compile(r"^(?P<base>.*/[^/]+)/(?P<n>\d{1,3})/?$")
_PAGE_QUERY = re.compile(r"^(page|halaman|hal|paged|pg)$", re.I)


def _norm_escapes(part: str, safe: str) -> str:
    """Upper-case %-escapes and decode the ones that need none, so equal URLs compare equal."""

    def fix(m: re.Match) -> str:
        ch = chr(int(m.group(1), 16))
        if ch.isascii() and (ch.isalnum() or ch in "-._~"):
            return ch
        return "%" + m.group(1).upper()

    part = _UNRESERVED.sub(fix, part)
    # Encode raw non-ASCII and spaces; keep existing escapes and reserved characters as they are.
    return quote(part, safe=safe + "%")


def _remove_dot_segments(path: str) -> str:
    if "/." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        if seg == "..":
            if len(out) > 1:
                out.pop()
            if i == len(segments) - 1:
                out.append("")
        elif seg == ".":
            if i == len(segments) - 1:
                out.append("")
        else:
            out.append(seg)
    return "/".join(out) or "/"


def canonicalize_url(url: str) -> str:
    """A stable key for an article URL.

    Lower-cases scheme and host, drops default ports, the fragment and tracking parameters
    (utm_*, fbclid, gclid, ...), normalises %-escapes and dot segments, and gives an empty path
    as "/". The scheme is kept (http and https may be different sites), and so are the order and
    spelling of the remaining query parameters (some CMSs need them). Idempotent.
    """
    url = url.strip()
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[not-an-ip]/": kept as written, it keys nothing else
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return url
    host = (parts.hostname or "").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host.lower()
    except UnicodeError:
        host = host.lower()
    netloc = host
    if parts.port is not None and str(parts.port) != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    path = _remove_dot_segments(_norm_escapes(parts.path or "/", "/:@!$&'()*+,;=")) or "/"
    kept = []
    for pair in parts.query.split("&"):
        if not pair:
            continue
        key = unquote(pair.split("=", 1)[0].replace("+", " "))
        if TRACKING_PARAMS.match(key.strip()):
            continue
        kept.append(_norm_escapes(pair, "/:@!$'()*+,;=?&"))
    return urlunsplit((scheme, netloc, path, "&".join(kept), ""))


def page_number(url: str) -> int | None:
    """The page number a multi-page article URL carries (/slug/2/, ?page=2), if any."""
    parts = urlsplit(url)
    for pair in parts.query.split("&"):
        key, _, value = pair.partition("=")
        if _PAGE_QUERY.match(key) and value.isdigit():
            return int(value)
    m = _PAGE_SUFFIX.match(parts.path)
    if m and not m.group("base").endswith("/page"):
        return int(m.group("n"))
    return None


def strip_page_suffix(url: str) -> str:
    """`/slug/2/` -> `/slug/`, `?page=2` -> no parameter. Archive pagination (/page/2/) is kept."""
    parts = urlsplit(url)
    query = "&".join(
        p for p in parts.query.split("&") if p and not _PAGE_QUERY.match(p.partition("=")[0])
    )
    path = parts.path
    m = _PAGE_SUFFIX.match(path)
    if m and not m.group("base").endswith("/page"):
        path = m.group("base") + ("/" if path.endswith("/") else "")
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))
