"""What SQLite does for the statements a store call runs, counted rather than timed: the query
plan of each (EXPLAIN QUERY PLAN: an index search, never a read of a whole table or a source's
archive) and the virtual machine instructions run (the rows the statements touch)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

Plans = list[tuple[str, list[str]]]


@contextmanager
def _each_statement(engine: Engine, hook: Callable[..., None]) -> Iterator[None]:
    assert engine.dialect.name == "sqlite", "SQLite's own view of its statements"
    event.listen(engine, "before_cursor_execute", hook)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", hook)


@contextmanager
def query_plans(engine: Engine) -> Iterator[Plans]:
    """(statement, plan lines) of each SELECT/UPDATE/DELETE run on `engine` while inside."""
    plans: Plans = []

    def explain(conn: Any, cursor: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        if many or not re.match(r"\s*\(?\s*(SELECT|UPDATE|DELETE)\b", statement, re.I):
            return
        if statement.lstrip().upper().startswith("SELECT 1"):
            return  # pool pre-ping
        rows = cursor.connection.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
        plans.append((" ".join(statement.split()), [row[-1] for row in rows]))

    with _each_statement(engine, explain):
        yield plans


def reads_of(plans: Plans, table: str) -> list[str]:
    """How each statement reaches `table`: its SCAN/SEARCH plan lines."""
    return [
        line for _, lines in plans for line in lines if re.match(rf"(SCAN|SEARCH) {table}\b", line)
    ]


@contextmanager
def vm_steps(engine: Engine, every: int = 10) -> Iterator[list[int]]:
    """SQLite virtual machine instructions run on `engine` while inside, in units of `every`
    (a one-element list)."""
    count = [0]

    def tick() -> int:
        count[0] += 1
        return 0  # carry on

    def hook(_conn: Any, cursor: Any, *_: Any) -> None:
        cursor.connection.set_progress_handler(tick, every)

    with _each_statement(engine, hook):
        yield count
