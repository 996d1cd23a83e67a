"""Connections, transactions and migrations, on SQLite or PostgreSQL.

`Database` is what the rest of the server holds: `read()` gives the reader connection,
`write()` one write transaction, serialized within the process by an asyncio lock and
across processes by the database (SQLite's `BEGIN IMMEDIATE`, PostgreSQL's advisory
transaction lock: see `store/sqlite.py` and `store/postgres.py`, the two backends).
Every write transaction is therefore alone, as with one writer: each read-then-write
sequence of the store holds however many server processes write to one database.

The reader keeps the results of its queries until the next COMMIT (`ResultCache`).
Before each request `see_outside_commits` asks the database whether anything committed
since (another process, `wandb-emulator seed --data-dir`) and empties the caches if so.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from .connection import Backend, Conn, LogStatement, ResultCache, Row

__all__ = [
    "Conn",
    "Database",
    "LogStatement",
    "ResultCache",
    "Row",
    "check_database_url",
    "sqlite_path",
]


SQLITE_SCHEME = "sqlite://"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def sqlite_path(url: str) -> Path:
    """The file of `sqlite:///PATH` (relative) or `sqlite:////PATH` (absolute), as in
    SQLAlchemy's URLs."""
    if not url.startswith(SQLITE_SCHEME + "/") or len(url) <= len(SQLITE_SCHEME) + 1:
        raise ValueError(f"expected sqlite:///PATH, got {url!r}")
    return Path(url[len(SQLITE_SCHEME) + 1 :])


def check_database_url(url: str) -> None:
    """ValueError unless `url` names a database this server can use."""
    if url.startswith(SQLITE_SCHEME):
        sqlite_path(url)
    elif not url.startswith(POSTGRES_SCHEMES):
        raise ValueError(
            f"unsupported database URL {url!r}: expected sqlite:///PATH or"
            " postgresql://user:password@host:port/database"
        )
    elif importlib.util.find_spec("asyncpg") is None:
        raise ValueError(
            "a PostgreSQL database needs the driver asyncpg: pip install 'wandb-emulator[postgres]'"
        )


def _backend(target: Path | str, fast_execution: bool) -> Backend:
    if isinstance(target, str) and target.startswith(POSTGRES_SCHEMES):
        from .postgres import PostgresBackend

        return PostgresBackend(target)
    from .sqlite import SqliteBackend

    path = sqlite_path(target) if isinstance(target, str) else target
    return SqliteBackend(path, fast_execution=fast_execution)


class Database:
    """A SQLite file (a path, or `sqlite:///PATH`) or a PostgreSQL database
    (`postgresql://...`). `fast_execution=False` runs SQLite's statements through
    aiosqlite's public API only (see `store/sqlite.py`)."""

    def __init__(self, target: Path | str, *, fast_execution: bool = True) -> None:
        self.target = target
        self._backend = _backend(target, fast_execution)
        self._writer: Conn | None = None
        self._reader: Conn | None = None
        self._write_lock = asyncio.Lock()
        self._commits_seen: Hashable = None  # when the reader's caches were last emptied
        self.commits = 0  # write transactions, by outcome (`/metrics`)
        self.rollbacks = 0

    def connections(self) -> dict[str, Conn]:
        """The open connections by role, "reader" and "writer" (`/metrics` reads their
        statement counts and caches)."""
        found = {"reader": self._reader, "writer": self._writer}
        return {role: conn for role, conn in found.items() if conn is not None}

    @property
    def sqlite_file(self) -> Path | None:
        """The SQLite file of the database (None: PostgreSQL)."""
        return self._backend.sqlite_file

    @property
    def dialect(self) -> str:
        """The SQL dialect, where the store's SQL differs: "sqlite" or "postgresql"."""
        return self._backend.dialect

    @property
    def sql_regexp(self) -> bool:
        """Whether listings may filter with REGEXP in SQL (else `$regex` is matched in
        Python, on the rows SQL selects without it)."""
        return self._backend.sql_regexp

    @property
    def rows_read(self) -> int:
        """Rows the store has read so far through either connection (tests count them)."""
        return sum(conn.rows_read for conn in (self._reader, self._writer) if conn is not None)

    async def open(self, initialize: Callable[[], Awaitable[None]] | None = None) -> bool:
        """Migrate and connect; `initialize` (the default seed) runs if the database was
        empty, before any other process starting on it gets past its own `open`. Whether
        the database was empty."""
        async with self._backend.startup_lock():
            created = await self._backend.migrate()
            self._reader, self._writer = await self._backend.connect()
            try:
                self._reader.results = ResultCache()
                self._writer.results = ResultCache()
                self._commits_seen = await self._backend.commits_seen(self._reader)
                if created and initialize is not None:
                    await initialize()
            except BaseException:
                await self.close()
                raise
        return created

    def exclusive(self, name: str, *, wait: bool = True) -> AbstractAsyncContextManager[bool]:
        """A lock named `name` across every process serving the database (one
        maintenance leader, blob work that must not interleave), held inside the block;
        whether it is held (with `wait=False`, not when another process holds it).
        A process that dies releases it."""
        return self._backend.exclusive(name, wait=wait)

    async def close(self) -> None:
        self._reader = self._writer = None
        await self._backend.close()

    @property
    def results(self) -> ResultCache:
        """The reader's result cache (emptied on every COMMIT)."""
        assert self._reader is not None and self._reader.results is not None, "database is not open"
        return self._reader.results

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        assert self._reader is not None, "database is not open"
        yield self._reader

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Conn]:
        """One write transaction, alone across processes; rolled back whole on any
        exception."""
        writer = self._writer
        assert writer is not None, "database is not open"
        async with self._write_lock:
            # A statement empties the writer's cache: reads of an earlier transaction go.
            await writer.run(self._backend.begin)
            try:
                yield writer
            except BaseException:
                await writer.run("ROLLBACK")
                self.rollbacks += 1
                raise
            else:
                await writer.run("COMMIT")
                self.commits += 1
                if self._reader is not None:
                    await self._empty_reader_caches()

    async def log_write(self, statements: list[LogStatement]) -> None:
        """Append rows of a server log (the journal): all the statements, atomically on
        SQLite, outside the data's write transactions and without moving the commit
        generation, so no process's caches are emptied for it. On SQLite the reader
        writes them (its own commits leave its `data_version` alone; another process's
        reader still sees them as a commit), holding the process's write lock so that
        it never waits on this process's writer; on PostgreSQL each statement runs on
        its own, on a reader connection, with no lock at all."""
        reader = self._reader
        assert reader is not None, "database is not open"
        if self._backend.log_write_locks:
            async with self._write_lock:
                await self._backend.log_write(reader, statements)
        else:
            await self._backend.log_write(reader, statements)

    async def replace_with(self, source: Path) -> None:
        """Replace the whole database with the SQLite file `source` (a snapshot's, at this
        schema version) as one commit: readers see the old state or the new one, never a
        mix."""
        writer = self._writer
        assert writer is not None, "database is not open"
        async with self._write_lock:
            await self._backend.replace_with(writer, source)
            self.commits += 1
            if writer.results is not None:
                writer.results.invalidate()
            await self._empty_reader_caches()

    async def copy_to(self, target: Path) -> bool:
        """Write the state, as of one commit, into the new standalone SQLite file `target`
        (a snapshot's database), while others may write; open or not. False if there is
        no emulator database."""
        return await self._backend.copy_to(target)

    async def holds_data(self) -> bool:
        """Whether the database exists and a table of it has a row; open or not (it is
        neither created nor migrated)."""
        return await self._backend.holds_data()

    async def see_outside_commits(self) -> None:
        """Empty the reader's caches if anyone committed since they were last emptied."""
        reader = self._reader
        if reader is not None and await self._backend.commits_seen(reader) != self._commits_seen:
            await self._empty_reader_caches()

    async def _empty_reader_caches(self) -> None:
        assert self._reader is not None
        # The mark first: a commit after it is seen by the next see_outside_commits.
        self._commits_seen = await self._backend.commits_seen(self._reader)
        self.results.invalidate()

    async def wipe(self) -> None:
        """Delete every row of every table (used by reset)."""
        async with self.write() as conn:
            await self._backend.wipe(conn)
