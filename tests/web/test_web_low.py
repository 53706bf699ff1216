"""Low web findings of issue 12: redirects built from base_url, not from the request."""

from __future__ import annotations

from conftest import LiveServer, free_port
from webutil import seed_newsroom, site_fixture  # noqa: F401


def test_trailing_slash_redirect_ignores_the_host_header(site) -> None:  # type: ignore[no-untyped-def]
    s = site(seed=seed_newsroom)
    for path in ("/sources/detailnews/", "/feeds/all.atom/", "/healthz/"):
        r = s.server.get(path, headers={"Host": "evil.example"}, params={"a": "1"})
        assert r.status_code == 307, (path, r.status_code)
        assert r.headers["location"] == f"{s.url}{path.rstrip('/')}?a=1"
    assert s.server.get("/sources/nope/x/").status_code == 404  # no route either way: no redirect
    assert s.server.get("/sources/detailnews").status_code == 200


class FakeServer:
    """A Fediverse server on loopback that answers WebFinger (or not) and logs the lookups."""

    def __init__(self, *, webfinger: bool = True, template: bool = True) -> None:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route

        self.lookups: list[str] = []

        async def finger(request: Request) -> Response:
            self.lookups.append(request.query_params.get("resource", ""))
            if not webfinger:
                return Response(status_code=404)
            links = [{"rel": "self", "href": f"{self.server.url}/users/ani"}]
            if template:
                links.append(
                    {
                        "rel": "http://ostatus.org/schema/1.0/subscribe",
                        "template": f"{self.server.url}/interact?uri={{uri}}",
                    }
                )
            return JSONResponse({"subject": "acct:ani@x", "links": links})

        app = Starlette(routes=[Route("/.well-known/webfinger", finger)])
        self.server = LiveServer(app, free_port())


def test_follow_goes_only_where_webfinger_says(site) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import parse_qs, urlsplit

    s = site(seed=seed_newsroom, federation={"allow_private_networks": ["127.0.0.0/8"]})
    servers = [FakeServer(), FakeServer(template=False), FakeServer(webfinger=False)]
    try:
        good, plain, silent = servers
        host = urlsplit(good.server.url).netloc
        r = s.server.get(
            "/follow", params={"source": "detailnews", "instance": f"http://{host}/@ani"}
        )
        assert r.status_code == 303, r.text[:300]
        loc = urlsplit(r.headers["location"])
        assert (loc.netloc, loc.path) == (host, "/interact")
        assert parse_qs(loc.query)["uri"] == [f"{s.url}/users/detailnews"]
        assert good.lookups == [f"acct:ani@{host}"]
        # WebFinger answered without a template: that server's own dialog.
        host = urlsplit(plain.server.url).netloc
        r = s.server.get("/follow", params={"source": "detailnews", "instance": f"http://{host}"})
        assert r.status_code == 303
        assert r.headers["location"].startswith(f"http://{host}/authorize_interaction?uri=")
        assert plain.lookups == [f"acct:127.0.0.1@{host}"]
        # No WebFinger answer (or no server at all): no redirect anywhere.
        host = urlsplit(silent.server.url).netloc
        for typed in (f"http://{host}", f"http://127.0.0.1:{free_port()}"):
            r = s.server.get("/follow", params={"source": "detailnews", "instance": typed})
            assert r.status_code == 400 and "location" not in r.headers
            assert "not a Fediverse server" in r.text
    finally:
        for fake in servers:
            fake.server.stop()
    bad = s.server.get("/follow", params={"source": "detailnews", "instance": "not a server"})
    assert bad.status_code == 400
    assert "bukan alamat server" in bad.text and "not a Fediverse server" in bad.text
    assert s.server.get("/follow", params={"source": "nope", "instance": "x.y"}).status_code == 404


def test_follow_to_a_private_address_is_refused_without_asking_it(site) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import urlsplit

    s = site(seed=seed_newsroom)  # loopback not allowed for federation
    fake = FakeServer()
    try:
        host = urlsplit(fake.server.url).netloc
        r = s.server.get("/follow", params={"source": "detailnews", "instance": f"http://{host}"})
        assert r.status_code == 400 and fake.lookups == []
    finally:
        fake.server.stop()
