"""The store's side of snapshots: a consistent copy of the database as a standalone
SQLite file, and the rows of such a file written back into the store.

A snapshot's database is always a SQLite file at a known schema version: that is the
interchange format, whatever engine the store runs on. The SQLite store copies its own
file with SQLite's online backup API (`copy_database`) and copies a snapshot's file back
the same way (`replace_contents`). A store on another engine implements these two steps
with rows: every table's rows written into a fresh SQLite file migrated to its schema
version, and a snapshot file's rows read table by table into one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from .database import (
    BUSY_TIMEOUT_MS,
    Conn,
    Database,
    _connect,
    migrate,
    schema_version,
    table_names,
)
from .migrations import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "copy_database",
    "count_rows",
    "is_empty",
    "migrate",
    "opened",
    "replace_contents",
    "schema_version",
]


def copy_database(source: Path, target: Path) -> None:
    """Copy the database at `source` into a new standalone file `target` (rollback
    journal, no WAL beside it), consistently, while other processes may be writing it.

    The backup is one step under one read transaction: in WAL mode a reader never blocks
    the writers, so writes go on while the pages are copied, and the copy is the state
    of one commit. Runs in the caller's thread (a worker thread, for a server)."""
    src = sqlite3.connect(source, isolation_level=None)
    try:
        src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        dst = sqlite3.connect(target, isolation_level=None)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()


@asynccontextmanager
async def opened(path: Path) -> AsyncIterator[Conn]:
    """A store connection on a database file that no server serves (a snapshot's)."""
    conn = await _connect(path)
    try:
        yield conn
    finally:
        await conn.close()


async def count_rows(conn: Conn) -> dict[str, int]:
    """The number of rows of every table."""
    counts = {}
    for table in await table_names(conn):
        row = await conn.row(f'SELECT count(*) FROM "{table}"')
        counts[table] = int(row[0]) if row is not None else 0
    return counts


async def is_empty(conn: Conn) -> bool:
    """No table has a row (a database just created, or never written)."""
    for table in await table_names(conn):
        if await conn.row(f'SELECT 1 FROM "{table}" LIMIT 1') is not None:
            return False
    return True


async def replace_contents(db: Database, source: Path) -> None:
    """Replace every row of the store with those of the database file `source` (a
    snapshot's, migrated to the store's schema version), atomically."""
    await db.replace_with(source)
