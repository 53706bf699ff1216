"""SQLite's query plan of every statement a store call runs (EXPLAIN QUERY PLAN), to assert
that a lookup is an index search and never a read of a whole table or a source's archive."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def query_plans(engine: Engine) -> Iterator[list[tuple[str, list[str]]]]:
    """(statement, plan lines) of each SELECT/UPDATE/DELETE run on `engine` while inside."""
    plans: list[tuple[str, list[str]]] = []

    def explain(conn: Any, cursor: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        if many or not re.match(r"\s*\(?\s*(SELECT|UPDATE|DELETE)\b", statement, re.I):
            return
        if statement.lstrip().upper().startswith("SELECT 1"):
            return  # pool pre-ping
        rows = cursor.connection.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
        plans.append((" ".join(statement.split()), [row[-1] for row in rows]))

    assert engine.dialect.name == "sqlite", "plans are read from SQLite"
    event.listen(engine, "before_cursor_execute", explain)
    try:
        yield plans
    finally:
        event.remove(engine, "before_cursor_execute", explain)


def reads_of(plans: list[tuple[str, list[str]]], table: str) -> list[str]:
    """How each statement reaches `table`: its SCAN/SEARCH plan lines."""
    return [
        line for _, lines in plans for line in lines if re.match(rf"(SCAN|SEARCH) {table}\b", line)
    ]
