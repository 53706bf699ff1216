import random
from datetime import timedelta

from syndicate.backoff import DELIVERY, SERVER, SOURCE, Backoff


def test_doubles_from_base_up_to_the_cap() -> None:
    b = Backoff(base=60, cap=600)
    assert [b.seconds(n) for n in range(0, 7)] == [0, 60, 120, 240, 480, 600, 600]


def test_a_huge_failure_count_is_the_cap_not_an_overflow() -> None:
    assert SOURCE.delay(10_000) == timedelta(hours=6)


def test_first_counted_failure() -> None:
    assert SERVER.seconds(4) == 0 and SERVER.seconds(5) == 300 and SERVER.seconds(6) == 600


def test_jitter_stays_within_its_fraction() -> None:
    rng = random.Random(1)
    values = {DELIVERY.seconds(1, rng) for _ in range(200)}
    assert min(values) >= 54 and max(values) <= 66 and len(values) > 100
