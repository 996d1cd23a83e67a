"""Connections, transactions and migrations for the SQLite database.

All writes go through one writer connection, serialized by an asyncio lock and
wrapped in `BEGIN IMMEDIATE`, so concurrent SDK processes never race each other
into "database is locked". Reads use their own connection; in WAL mode they see
the last committed state without blocking the writer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from .migrations import MIGRATIONS

log = logging.getLogger(__name__)

Conn = aiosqlite.Connection

BUSY_TIMEOUT_MS = 30_000


async def _connect(path: Path) -> Conn:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA synchronous = NORMAL")
    return conn


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: Conn | None = None
        self._reader: Conn | None = None
        self._write_lock = asyncio.Lock()

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
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            else:
                await self._writer.execute("COMMIT")

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
