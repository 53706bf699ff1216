from hypothesis import given
from hypothesis import strategies as st
from hypothesis.provisional import urls

from syndicate.normalize.urls import canonicalize_url, page_number, strip_page_suffix


def test_tracking_and_case():
    raw = "HTTP://NusaUtara.Example:80/berita/3311/x.html?utm_source=rss&utm_medium=feed&utm_campaign=c#top"
    assert canonicalize_url(raw) == "http://nusautara.example/berita/3311/x.html"
    assert canonicalize_url("https://h/a?id=5&fbclid=XYZ&gclid=1") == "https://h/a?id=5"
    assert canonicalize_url("https://h") == "https://h/"
    assert canonicalize_url("https://h:443/a/./b/../c") == "https://h/a/c"
    assert canonicalize_url("http://h/a%7eb") == "http://h/a~b"


def test_page_suffix():
    assert page_number("http://h/slug/2/") == 2
    assert strip_page_suffix("http://h/slug/2/") == "http://h/slug/"
    assert page_number("http://h/page/2/") is None  # archive pagination, not an article page
    assert strip_page_suffix("http://h/a?page=3&x=1") == "http://h/a?x=1"
    assert page_number("http://h/2026/01/05/slug/") is None


tracking = st.sampled_from(
    ["utm_source", "utm_medium", "utm_campaign", "fbclid", "gclid", "mc_cid"]
)


@given(urls())
def test_idempotent(url):
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


@given(
    urls(),
    st.lists(st.tuples(tracking, st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True)), max_size=4),
)
def test_tracking_params_never_survive(url, params):
    sep = "&" if "?" in url.split("#")[0] else "?"
    base = url.split("#")[0]
    with_tracking = base + (sep + "&".join(f"{k}={v}" for k, v in params) if params else "")
    out = canonicalize_url(with_tracking)
    assert not any(f"{k}=" in out.split("?", 1)[-1] for k, _ in params if "?" in out)
    assert out == canonicalize_url(base)


@given(urls())
def test_host_lowercase_no_fragment(url):
    out = canonicalize_url(url)
    assert "#" not in out
    host = out.split("://", 1)[1].split("/", 1)[0]
    assert host == host.lower()
