from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.normalize.dates import (
    localize,
    not_future,
    parse_date,
    parse_date_ex,
    parse_relative,
)

WITA = timezone(timedelta(hours=8))
MONTHS_ID = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"]  # fmt: skip
DAYS_ID = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Senin, 05 Januari 2026 - 09:30 WITA", "2026-01-05T09:30:00+08:00"),  # bitungkota
        (
            "Rabu, 7 Januari 2026, 08:00",
            "2026-01-07T08:00:00+08:00",
        ),  # nusautara, naive -> source tz
        ("3 Desember 2025 pukul 07.45 WIB", "2025-12-03T07:45:00+07:00"),
        ("Kamis, 8 Januari 2026 pukul 10.30 WIT", "2026-01-08T10:30:00+09:00"),
        ("5/1/2026", "2026-01-05T00:00:00+08:00"),  # day-first
        ("2026-01-05T11:42:18+08:00", "2026-01-05T11:42:18+08:00"),
        ("2026-01-09T19:40:00.002+08:00", "2026-01-09T19:40:00.002000+08:00"),
        ("Mon, 05 Jan 2026 03:42:18 +0000", "2026-01-05T03:42:18+00:00"),
        ("Jumat, 21 Agu 2025", "2025-08-21T00:00:00+08:00"),
        ("January 5, 2026 at 3:04 pm", "2026-01-05T15:04:00+08:00"),
        ("05-01-2026 10:00 GMT+7", "2026-01-05T10:00:00+07:00"),
        ("Kamis (8/1/2026) pkl 08.15 Wita", "2026-01-08T08:15:00+08:00"),
        ("08/01/26 08:15", "2026-01-08T08:15:00+08:00"),
    ],
)
def test_known_formats(text, expected):
    assert parse_date(text, "Asia/Makassar").isoformat() == expected


def test_explicit_flag_and_naive_zone():
    assert parse_date_ex("2026-01-05 11:42:18", "Asia/Jakarta")[1] is False
    assert parse_date("2026-01-05 11:42:18", "Asia/Jakarta").utcoffset() == timedelta(hours=7)
    assert parse_date_ex("2026-01-05T11:42:18Z", "Asia/Jakarta")[1] is True


def test_garbage_and_price_like_numbers():
    assert parse_date("", "Asia/Makassar") is None
    assert parse_date("tidak ada tanggal", "Asia/Makassar") is None
    # "12.500" is a quantity, not a time
    assert parse_date("Kamis (8/1/2026) 12.500 ton", "Asia/Makassar").hour == 0


def test_localize_and_future():
    utc = datetime(2026, 1, 5, 3, 42, 18, tzinfo=UTC)
    assert localize(utc, "Asia/Makassar").isoformat() == "2026-01-05T11:42:18+08:00"
    wib = datetime(2026, 1, 5, 3, 42, tzinfo=timezone(timedelta(hours=7)))
    assert localize(wib, "Asia/Makassar") == wib and localize(
        wib, "Asia/Makassar"
    ).utcoffset() == timedelta(hours=7)
    now = datetime(2026, 1, 8, tzinfo=UTC)
    assert not_future(now + timedelta(minutes=30), now)
    assert not not_future(now + timedelta(days=2), now)


moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)
zones = st.sampled_from([("WIB", 7), ("WITA", 8), ("WIT", 9)])


@given(moments, zones, st.booleans(), st.sampled_from([":", "."]))
def test_indonesian_long_form_roundtrip(dt, zone, zero_pad, sep):
    name, hours = zone
    day = f"{dt.day:02d}" if zero_pad else str(dt.day)
    text = f"{DAYS_ID[dt.weekday()]}, {day} {MONTHS_ID[dt.month - 1]} {dt.year} - {dt.hour:02d}{sep}{dt.minute:02d} {name}"
    got = parse_date(text, "UTC")
    assert got == dt.replace(tzinfo=timezone(timedelta(hours=hours)))
    assert got.utcoffset() == timedelta(hours=hours)


@given(moments)
def test_pukul_and_naive_in_source_zone(dt):
    text = f"{dt.day} {MONTHS_ID[dt.month - 1]} {dt.year} pukul {dt.hour:02d}.{dt.minute:02d}"
    got = parse_date(text, "Asia/Makassar")
    assert got.utcoffset() == timedelta(hours=8)
    assert got.replace(tzinfo=None) == dt


@given(moments)
def test_numerals_are_day_first(dt):
    got = parse_date(f"{dt.day}/{dt.month}/{dt.year}", "Asia/Makassar")
    assert (got.year, got.month, got.day) == (dt.year, dt.month, dt.day)


@given(moments, st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: m - m % 15))
def test_iso_roundtrip(dt, minutes):
    aware = dt.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    got = parse_date(aware.isoformat(), "Asia/Makassar")
    assert got == aware and got.utcoffset() == aware.utcoffset()


@settings(deadline=None)  # the first call imports dateparser
@given(st.text(max_size=60))
def test_never_raises_and_always_aware(text):
    got = parse_date(text, "Asia/Makassar")
    assert got is None or got.tzinfo is not None


NOW = datetime(2026, 1, 8, 2, 0, tzinfo=UTC)  # 10:00 WITA


def test_kemarin_with_a_time():
    got = parse_relative("kemarin, 19.30", NOW, "Asia/Jakarta")
    assert got.isoformat() == "2026-01-07T19:30:00+07:00"
    assert parse_relative("5 minutes ago", NOW, "Asia/Jayapura").isoformat() == (
        "2026-01-08T10:55:00+09:00"
    )
    assert parse_relative("Laporan dua jam", NOW, "Asia/Jakarta") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 jam yang lalu", "2026-01-08T08:00:00+08:00"),
        ("3 hari yang lalu", "2026-01-05T10:00:00+08:00"),
        ("sejam yang lalu", "2026-01-08T09:00:00+08:00"),
        ("15 menit lalu", "2026-01-08T09:45:00+08:00"),
        ("Diposting: kemarin pukul 21.05", "2026-01-07T21:05:00+08:00"),
        ("Penulis: Budi | kemarin 10.15", "2026-01-07T10:15:00+08:00"),
        ("Oleh Sari · hari ini 07:40", "2026-01-08T07:40:00+08:00"),
        ("Oleh: Budi · Baru saja", "2026-01-08T10:00:00+08:00"),
        ("just now", "2026-01-08T10:00:00+08:00"),
    ],
)
def test_relative_times_count_back_from_the_fetch_time(text, expected):
    assert parse_relative(text, NOW, "Asia/Makassar").isoformat() == expected


def test_kemarin_inside_a_sentence_dates_nothing():
    assert parse_relative("Rapat digelar kemarin di kantor wali kota", NOW, "Asia/Makassar") is None
    assert parse_relative("Ia baru saja tiba dari Manado", NOW, "Asia/Makassar") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A run of blanks after a date with no time: once exponential backtracking (seconds).
        ("News date : 04/21/2022\n\t\t\t\t\t\t\t\t\xa0\xa0\xa0Category : ", None),
        (
            "News date : 21/04/2022\n\t\t\t\t\t\t\t\t\xa0\xa0\xa0Category : ",
            datetime(2022, 4, 21, tzinfo=WITA),
        ),
        ("8 Januari 2026 \t - \t pukul 09.30 WITA", datetime(2026, 1, 8, 9, 30, tzinfo=WITA)),
        ("8 Januari 2026, | 09:30", datetime(2026, 1, 8, 9, 30, tzinfo=WITA)),
    ],
)
def test_separators_before_the_time(text: str, expected: datetime | None) -> None:
    got = parse_date_ex(text, "Asia/Makassar")
    assert (got[0] if got else None) == expected
