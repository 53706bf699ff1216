"""sanitized_text skips the parse for plain text: the result must be what the full path gives."""

import pytest

from syndicate.normalize.clean import html_to_text, sanitize_html, sanitized_text

CASES = [
    "",
    "   ",
    "Plain words\n\nin two paragraphs\twith  tabs\r\n",
    "quotes \" ' and > and = ; / # 日本語 é 😀",
    "\ufeffa byte-order mark, \xa0 NBSP, \u2028 line separator",  # not printable: full path
    "control \x01 and \x7f characters",
    "<p>one</p><p>two &amp; three</p>",
    "fish &amp; chips",
    "<script>x()</script>after",
]


@pytest.mark.parametrize("html", CASES)
def test_sanitized_text_matches_the_full_path(html: str) -> None:
    assert sanitized_text(html) == html_to_text(sanitize_html(html))
