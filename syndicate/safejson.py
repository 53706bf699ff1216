"""JSON from strangers, parsed with size and depth limits (the push API, ActivityPub inboxes).

json.loads on 100,000 nested brackets raises RecursionError (a bare 500), and a document a few
hundred levels deep parses but can overflow whatever walks it next. Pure, no I/O.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32  # a news post or an ActivityPub activity is a handful of levels deep
MAX_BYTES = 2_000_000


class JsonRefused(ValueError):
    """Why a body is not acceptable JSON; `status` is the HTTP answer (400 or 413)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _depth_ok(value: Any, max_depth: int) -> bool:
    """Iterative walk (no recursion of our own), stopping at the first level too deep."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > max_depth:
            return False
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return True


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
    if not _depth_ok(data, max_depth):
        raise JsonRefused(f"JSON nested deeper than {max_depth} levels")
    return data
