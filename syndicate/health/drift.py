"""Drift: a source that still answers but yields worse articles than its own recent past.

Compared with the source's passes of the last 30 days that were healthy: a listing that named
items now names none; the share of entries with an author, a date or a lead image falls below
half of what it usually is (for fields the source usually has); the median body gets less than
half as long; the body stops coming from the container it usually comes from (the configured
selector or the page's articleBody markup) — the signs of a template change.
"""

from __future__ import annotations

from collections.abc import Iterable
from statistics import median

from syndicate.models import Entry
from syndicate.models.health import HealthPass

MIN_BASELINE_ENTRIES = 5  # the last 30 days must have shown at least this many entries
MIN_PASS_ENTRIES = 2  # a pass must yield this many to speak for the source
USUAL_SHARE = 0.5  # a field counts as "usually there" from this share on
DROP = 0.5  # drift when a share or the median body falls below this fraction of the usual
DECLARED_RULES = ("selector", "microdata")
FIELDS = (("authors", "with_author"), ("dates", "with_date"), ("images", "with_image"))


def measure(row: HealthPass, entries: Iterable[Entry]) -> HealthPass:
    """Fill a pass's quality counts from the entries it yielded."""
    seen = list(entries)
    row.entries = len(seen)
    row.with_author = sum(1 for e in seen if e.authors)
    row.with_date = sum(1 for e in seen if e.published)
    row.with_image = sum(1 for e in seen if e.image)
    lengths = [len(e.content_text) for e in seen if e.content_text]
    row.body_median = int(median(lengths)) if lengths else 0
    row.body_declared = sum(1 for e in seen if e.rules.get("body") in DECLARED_RULES)
    return row


def baseline(history: Iterable[HealthPass]) -> list[HealthPass]:
    """The passes drift is measured against: successful and not already drifting."""
    return [h for h in history if h.state == "ok" and h.kind is None]


def drift_reasons(current: HealthPass, history: list[HealthPass]) -> list[tuple[str, str]]:
    """(kind, operator text) for every way `current` falls below the source's usual."""
    usual = baseline(history)
    reasons: list[tuple[str, str]] = []
    listed = [h.listed for h in usual if h.listed]
    if current.listed == 0 and listed:
        reasons.append(
            ("empty_listing", f"the listing named no items; usually {int(median(listed))}")
        )
    total = sum(h.entries for h in usual)
    if current.entries < MIN_PASS_ENTRIES or total < MIN_BASELINE_ENTRIES:
        return reasons
    for kind, attr in FIELDS:
        was = sum(getattr(h, attr) for h in usual) / total
        now = getattr(current, attr) / current.entries
        if was >= USUAL_SHARE and now < was * DROP:
            reasons.append(
                (kind, f"{attr.removeprefix('with_')} in {now:.0%} of entries, usually {was:.0%}")
            )
    medians = [h.body_median for h in usual if h.entries and h.body_median]
    if medians and current.body_median < median(medians) * DROP:
        reasons.append(
            (
                "body_length",
                f"median body {current.body_median} characters, usually {int(median(medians))}",
            )
        )
    was = sum(h.body_declared for h in usual) / total
    now = current.body_declared / current.entries
    if was >= 0.8 and now < was * DROP:
        reasons.append(
            (
                "body_container",
                f"body from the usual container in {now:.0%} of entries, usually {was:.0%}",
            )
        )
    return reasons


def has_evidence(current: HealthPass) -> bool:
    """Whether a successful pass says anything about drift (a 304 or a quiet pass does not)."""
    return current.listed == 0 or current.entries >= MIN_PASS_ENTRIES
