"""Low web findings of issue 12: redirects built from base_url, not from the request."""

from __future__ import annotations

from webutil import seed_newsroom, site_fixture  # noqa: F401


def test_trailing_slash_redirect_ignores_the_host_header(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
    for path in ("/sources/detailnews/", "/feeds/all.atom/", "/healthz/"):
        r = s.server.get(path, headers={"Host": "evil.example"}, params={"a": "1"})
        assert r.status_code == 307, (path, r.status_code)
        assert r.headers["location"] == f"{s.url}{path.rstrip('/')}?a=1"
    assert s.server.get("/sources/nope/x/").status_code == 404  # no route either way: no redirect
    assert s.server.get("/sources/detailnews").status_code == 200
