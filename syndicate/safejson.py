"""JSON from strangers, parsed with size and depth limits (the push API, ActivityPub inboxes).

json.loads on 100,000 nested brackets raises RecursionError (a bare 500), and a document a few
hundred levels deep parses but can overflow whatever walks it next. Strings come back XML-safe
(boundary.xml_safe): an escaped NUL or lone surrogate ("\\u0000", "\\ud800") would otherwise reach
PostgreSQL or a feed and fail there with a 500. Pure, no I/O.
"""

from __future__ import annotations

import json
from typing import Any

from syndicate.boundary import is_xml_safe, xml_safe

MAX_DEPTH = 32  # a news post or an ActivityPub activity is a handful of levels deep
MAX_BYTES = 2_000_000


class JsonRefused(ValueError):
    """Why a body is not acceptable JSON; `status` is the HTTP answer (400 or 413)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _clean(text: str) -> str:
    return text if is_xml_safe(text) else xml_safe(text)


def _checked(value: Any, max_depth: int) -> Any:
    """`value` with every string (keys too) XML-safe, or None when it nests deeper than
    max_depth. Iterative (no recursion of our own); containers are fixed in place."""
    if isinstance(value, str):
        return _clean(value)
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth > max_depth:
                return None
            if not all(is_xml_safe(k) for k in node):
                items = [(_clean(k), v) for k, v in node.items()]
                node.clear()
                node.update(items)
            for key, child in node.items():
                if isinstance(child, str):
                    node[key] = _clean(child)
                elif isinstance(child, dict | list):
                    stack.append((child, depth + 1))
        elif isinstance(node, list):
            if depth > max_depth:
                return None
            for i, child in enumerate(node):
                if isinstance(child, str):
                    node[i] = _clean(child)
                elif isinstance(child, dict | list):
                    stack.append((child, depth + 1))
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(body: bytes | str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed document, or JsonRefused naming what is wrong (position when it is syntax)."""
    if len(body) > max_bytes:
        raise JsonRefused(f"body is over the {max_bytes}-byte limit", 413)
    try:
        # NaN/Infinity are not JSON (RFC 8259) and break every later json.dumps consumer.
        data = json.loads(body, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise JsonRefused(
            f"body is not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except UnicodeDecodeError as exc:
        raise JsonRefused(f"body is not valid JSON: not UTF-8 ({exc.reason})") from None
    except RecursionError:
        raise JsonRefused(f"JSON nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # e.g. an integer over Python's 4,300-digit limit, NaN
        raise JsonRefused(f"body is not valid JSON: {exc}") from None
    checked = _checked(data, max_depth)
    if checked is None and data is not None:
        raise JsonRefused(f"JSON nested deeper than {max_depth} levels")
    return checked
