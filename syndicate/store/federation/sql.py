"""Small SQL helpers the federation tables share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, any_, literal
from sqlalchemy.dialects.postgresql import ARRAY


def one_of(
    conn: Connection, column: ColumnElement[Any], values: Iterable[Any]
) -> ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY(:values)` with one array parameter, so
    the statement's text is the same whatever the count: psycopg parses a statement with more
    than 50 parameters anew on every call (most of a fan-out write-back's CPU went there), and
    neither it nor the server can cache a text that changes with each batch size."""
    values = list(values)
    if conn.dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(column.type)))
    return column.in_(values)
