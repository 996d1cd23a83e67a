"""The store's side of snapshots: a consistent copy of the database as a standalone
SQLite file, and the rows of such a file written back into the store.

A snapshot's database is always a SQLite file at a known schema version: that is the
interchange format, whatever engine the store runs on. The SQLite store copies its own
file with SQLite's online backup API (`copy_database`) and copies a snapshot's file back
the same way (`replace_contents`). The PostgreSQL store implements these two steps with
rows (`store/postgres.py`): every table's rows, read in one repeatable-read transaction,
written into a fresh SQLite file migrated to its schema version, and a snapshot file's
rows copied table by table into one write transaction.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from .connection import Conn
from .database import Database
from .migrations import SCHEMA_VERSION, SERVER_STATE_TABLES
from .sqlite import migrate_file, open_file, table_names

__all__ = [
    "SCHEMA_VERSION",
    "copy_database",
    "count_rows",
    "migrate",
    "opened",
    "replace_contents",
    "schema_version",
]


async def copy_database(db: Database, target: Path) -> bool:
    """Copy the store's database, as of one commit, into a new standalone SQLite file
    `target`, while others may be writing it. False if there is no database to copy."""
    if not await db.copy_to(target):
        return False
    await asyncio.to_thread(_drop_server_state, target)
    return True


def _drop_server_state(path: Path) -> None:
    """Empty the server-state tables of a snapshot's database: a snapshot holds data."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        for table in SERVER_STATE_TABLES:
            if table in tables:
                conn.execute(f'DELETE FROM "{table}"')
    finally:
        conn.close()


@asynccontextmanager
async def opened(path: Path) -> AsyncIterator[Conn]:
    """A store connection on a SQLite file that no server serves (a snapshot's)."""
    conn = await open_file(path)
    try:
        yield conn
    finally:
        await conn.close()


async def schema_version(conn: Conn) -> int:
    """The last migration applied to a snapshot's database (0: none)."""
    row = await conn.row("PRAGMA user_version")
    return int(row[0]) if row is not None else 0


async def migrate(path: Path) -> None:
    """Apply the migrations a snapshot's database lacks."""
    await asyncio.to_thread(migrate_file, path, wal=False)


async def count_rows(conn: Conn) -> dict[str, int]:
    """The number of rows of every table of a snapshot's database."""
    counts = {}
    for table in await table_names(conn):
        row = await conn.row(f'SELECT count(*) FROM "{table}"')
        counts[table] = int(row[0]) if row is not None else 0
    return counts


async def replace_contents(db: Database, source: Path) -> None:
    """Replace every row of the store with those of the database file `source` (a
    snapshot's, migrated to the store's schema version), atomically."""
    await db.replace_with(source)
