"""Small helpers shared by the data-layer modules: run a query, map rows to records."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from ..records import from_row
from .database import Conn

T = TypeVar("T")


async def fetch_one(conn: Conn, cls: type[T], sql: str, params: Sequence[Any] = ()) -> T | None:
    row = await conn.row(sql, params)
    return from_row(cls, row) if row is not None else None


async def fetch_all(conn: Conn, cls: type[T], sql: str, params: Sequence[Any] = ()) -> list[T]:
    return [from_row(cls, row) for row in await conn.rows(sql, params)]


async def fetch_value(conn: Conn, sql: str, params: Sequence[Any] = ()) -> Any:
    row = await conn.row(sql, params)
    return row[0] if row is not None else None


async def fetch_column(conn: Conn, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    return [row[0] for row in await conn.rows(sql, params)]


async def insert(conn: Conn, sql: str, params: Sequence[Any] = ()) -> int:
    """Run an INSERT into a table with an `id` column: the id of the row it wrote."""
    row = await conn.run_returning(sql + " RETURNING id", params)
    assert row is not None, "the statement wrote no row"
    return int(row[0])


async def write_one(conn: Conn, cls: type[T], sql: str, params: Sequence[Any] = ()) -> T:
    """Run an INSERT or UPDATE ending in `RETURNING *`: the record it wrote."""
    row = await conn.run_returning(sql, params)
    assert row is not None, "the statement wrote no row"
    return from_row(cls, row)


async def execute(conn: Conn, sql: str, params: Sequence[Any] = ()) -> int:
    """Run a statement; return the number of rows it changed."""
    return await conn.run(sql, params)


def placeholders(values: Iterable[Any]) -> str:
    return ", ".join("?" for _ in values)
