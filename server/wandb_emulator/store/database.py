"""Connections, transactions and migrations for the SQLite database.

All writes go through one writer connection, serialized by an asyncio lock and
wrapped in `BEGIN IMMEDIATE`, so concurrent SDK processes never race each other
into "database is locked". Reads use their own connection; in WAL mode they see
the last committed state without blocking the writer.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from ..filters import regexp
from .migrations import MIGRATIONS

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000


class Conn(aiosqlite.Connection):
    """An aiosqlite connection whose statements each cost one trip to its worker thread
    (execute and fetch together), and which counts the rows the store reads through it."""

    rows_read = 0

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        found = await self._execute(self._fetch, sql, params, None)
        self.rows_read += len(found)
        return found

    async def row(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        found = await self._execute(self._fetch, sql, params, 1)
        self.rows_read += len(found)
        return found[0] if found else None

    async def run(self, sql: str, params: Sequence[Any] = ()) -> tuple[int, int | None]:
        """Run a statement: (rows changed, last inserted rowid)."""
        return await self._execute(self._run, sql, params)

    def _fetch(self, sql: str, params: Sequence[Any], limit: int | None) -> list[sqlite3.Row]:
        cursor = self._conn.execute(sql, params)
        try:
            return cursor.fetchall() if limit is None else cursor.fetchmany(limit)
        finally:
            cursor.close()

    def _run(self, sql: str, params: Sequence[Any]) -> tuple[int, int | None]:
        cursor = self._conn.execute(sql, params)
        try:
            return cursor.rowcount, cursor.lastrowid
        finally:
            cursor.close()


async def _connect(path: Path) -> Conn:
    conn = await Conn(lambda: sqlite3.connect(path, isolation_level=None), iter_chunk_size=64)
    conn.row_factory = aiosqlite.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA synchronous = NORMAL")
    await conn.create_function("regexp", 2, regexp, deterministic=True)
    return conn


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: Conn | None = None
        self._reader: Conn | None = None
        self._write_lock = asyncio.Lock()

    @property
    def rows_read(self) -> int:
        """Rows the store has read so far through either connection (tests count them)."""
        return sum(conn.rows_read for conn in (self._reader, self._writer) if conn is not None)

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await _connect(self.path)
        await self._writer.execute("PRAGMA journal_mode = WAL")
        await self._migrate(self._writer)
        self._reader = await _connect(self.path)

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        assert self._reader is not None, "database is not open"
        yield self._reader

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Conn]:
        """One serialized write transaction; rolled back whole on any exception."""
        assert self._writer is not None, "database is not open"
        async with self._write_lock:
            await self._writer.run("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.run("ROLLBACK")
                raise
            else:
                await self._writer.run("COMMIT")

    async def _migrate(self, conn: Conn) -> None:
        async with conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        current = row[0] if row else 0
        for version, sql in MIGRATIONS:
            if version <= current:
                continue
            log.info("applying migration %d", version)
            await conn.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
            )

    async def wipe(self) -> None:
        """Delete every row of every table (used by reset)."""
        async with self.write() as conn:
            await conn.execute("PRAGMA defer_foreign_keys = ON")
            async with conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ) as cur:
                tables = [row[0] for row in await cur.fetchall()]
            for table in tables:
                await conn.execute(f'DELETE FROM "{table}"')
