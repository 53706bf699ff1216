"""The time a page was rendered, which relative dates ("2 jam yang lalu") count back from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from syndicate.ingest.fetcher import FetchResponse
from syndicate.ingest.pages import rendered_at

FETCHED = datetime(2026, 1, 9, 10, 0, 0, tzinfo=UTC)


def response(**headers: str) -> FetchResponse:
    return FetchResponse(url="http://x.test/a", status=200, headers=httpx.Headers(headers))


def test_the_servers_date_minus_the_cache_age_is_when_the_page_was_written() -> None:
    date = "Fri, 09 Jan 2026 09:58:00 GMT"
    assert rendered_at(response(date=date), FETCHED) == FETCHED - timedelta(minutes=2)
    cached = rendered_at(response(date=date, age="3600"), FETCHED)
    assert cached == FETCHED - timedelta(hours=1, minutes=2)  # a CDN copy an hour old


def test_without_a_believable_date_our_clock_is_used() -> None:
    assert rendered_at(response(), FETCHED) == FETCHED
    assert rendered_at(response(date="yesterday-ish"), FETCHED) == FETCHED
    assert rendered_at(response(date="Thu, 01 Jan 1970 00:00:00 GMT"), FETCHED) == FETCHED
