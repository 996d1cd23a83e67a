"""Connections, transactions and migrations for the SQLite database.

All writes go through one writer connection, serialized by an asyncio lock and
wrapped in `BEGIN IMMEDIATE`, so concurrent SDK processes never race each other
into "database is locked". Reads use their own connection; in WAL mode they see
the last committed state without blocking the writer. Statements run on the event
loop's thread unless another process holds a lock they need (see `Conn`).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

from ..filters import regexp
from .migrations import MIGRATIONS, SCHEMA_VERSION

V = TypeVar("V")

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
CACHED_RESULTS = 4096
CACHED_ROWS = 64
CACHED_RECORDS = 10_000  # per kind


class ResultCache:
    """Results of the reader's queries, valid until the next COMMIT: the server's own
    (one writer), or another process's, noticed before each request
    (`Database.see_outside_commits`). A query that overlaps a commit is not kept:
    `generation` moves on every commit. Results longer than CACHED_ROWS are not kept."""

    def __init__(self) -> None:
        self.generation = 0
        self.hits = 0  # lookups answered from the cache (results and remembered values)
        self.misses = 0
        self._results: dict[tuple[str, tuple[Any, ...], int | None], tuple[sqlite3.Row, ...]] = {}
        self._records: dict[str, dict[Any, Any]] = {}

    def invalidate(self) -> None:
        self.generation += 1
        self._results.clear()
        self._records.clear()

    def records(self, kind: str) -> dict[Any, Any]:
        """Values built from this generation's reads, by key (the GraphQL loaders keep the
        records they load here). Valid until the next COMMIT, like the query results."""
        found = self._records.get(kind)
        if found is None or len(found) >= CACHED_RECORDS:
            found = self._records[kind] = {}
        return found

    async def remember(self, kind: str, key: Hashable, load: Callable[[], Awaitable[V]]) -> V:
        """The value `load` builds from reads, kept under `key` among this generation's
        `records(kind)` (unless a commit overlapped the load)."""
        records = self.records(kind)
        if key in records:
            self.hits += 1
            return cast(V, records[key])
        self.misses += 1
        generation = self.generation
        value = await load()
        self.keep(kind, generation, [(key, value)])
        return value

    def keep(self, kind: str, generation: int, values: Iterable[tuple[Hashable, Any]]) -> None:
        """Keep values built from reads begun at `generation` among `records(kind)`,
        unless a commit came in between (they may be stale)."""
        if generation == self.generation:
            self.records(kind).update(values)

    async def get(
        self,
        key: tuple[str, tuple[Any, ...], int | None],
        load: Callable[[], Awaitable[list[sqlite3.Row]]],
    ) -> tuple[sqlite3.Row, ...]:
        if (found := self._results.get(key)) is not None:
            self.hits += 1
            return found
        self.misses += 1
        generation = self.generation
        loaded = tuple(await load())
        if generation == self.generation and len(loaded) <= CACHED_ROWS:
            if len(self._results) >= CACHED_RESULTS:
                self._results.clear()
            self._results[key] = loaded
        return loaded


def _busy(error: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY: another connection holds a lock this statement needs."""
    return getattr(error, "sqlite_errorcode", sqlite3.SQLITE_BUSY) & 0xFF == sqlite3.SQLITE_BUSY


class Conn(aiosqlite.Connection):
    """An aiosqlite connection whose statements run on the event loop's thread (a small
    indexed statement takes microseconds, a trip to the worker thread ten times more),
    which counts the rows the store reads through it and, for the reader, answers
    repeated queries from a ResultCache.

    A statement never waits on the loop's thread for a lock another process holds: the
    connection's busy timeout is 0 there, and a statement that finds the database busy
    runs again on the worker thread, which waits up to BUSY_TIMEOUT_MS. While anything
    is queued there, the connection's statements follow it through the queue, so they
    keep their order and the loop never blocks on the connection's mutex."""

    rows_read = 0
    statements = 0  # statements run through this connection (`/metrics`)
    results: ResultCache | None = None
    _queued = 0  # calls waiting on (or running in) the worker thread

    async def _call(self, fn: Callable[..., V], *args: Any) -> V:
        self.statements += 1
        if not self._queued:
            try:
                return fn(*args)
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
        return await self.patiently(fn, *args)

    async def patiently(self, fn: Callable[..., V], *args: Any) -> V:
        """Run `fn(*args)` on the worker thread, waiting for other processes' locks."""
        self._queued += 1
        try:
            return await self._execute(self._with_busy_timeout, fn, *args)
        finally:
            self._queued -= 1

    def _with_busy_timeout(self, fn: Callable[..., V], *args: Any) -> V:
        self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            return fn(*args)
        finally:
            self._conn.execute("PRAGMA busy_timeout = 0")

    async def _select(
        self, sql: str, params: Sequence[Any], limit: int | None
    ) -> Sequence[sqlite3.Row]:
        def load() -> Awaitable[list[sqlite3.Row]]:
            return self._call(self._fetch, sql, params, limit)

        found = await (
            load() if self.results is None else self.results.get((sql, tuple(params), limit), load)
        )
        self.rows_read += len(found)
        return found

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return list(await self._select(sql, params, None))

    async def row(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        found = await self._select(sql, params, 1)
        return found[0] if found else None

    async def run(self, sql: str, params: Sequence[Any] = ()) -> tuple[int, int | None]:
        """Run a statement: (rows changed, last inserted rowid)."""
        self._forget()
        return await self._call(self._run, sql, params)

    async def run_returning(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        """Run a statement with a RETURNING clause: its first row (what it wrote, without
        reading it back)."""
        self._forget()
        found = await self._call(self._fetch, sql, params, None)
        return found[0] if found else None

    async def run_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """Run a statement once per row of parameters: the rows changed."""
        self._forget()
        return await self._call(self._run_many, sql, list(rows))

    def _forget(self) -> None:
        """A statement that may change rows empties this connection's result cache (the
        writer's keeps reads only between two writes of one transaction)."""
        if self.results is not None:
            self.results.invalidate()

    async def run_script(self, sql: str) -> None:
        """Run several statements (migrations, settings) on the worker thread."""
        self._forget()
        await self.patiently(self._conn.executescript, sql)

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

    def _run_many(self, sql: str, rows: list[Sequence[Any]]) -> int:
        cursor = self._conn.executemany(sql, rows)
        try:
            return cursor.rowcount
        finally:
            cursor.close()


def _data_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


async def _connect(path: Path) -> Conn:
    conn = Conn(
        lambda: sqlite3.connect(path, isolation_level=None, check_same_thread=False),
        iter_chunk_size=64,
    )
    await conn  # starts its worker thread and connects
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA busy_timeout = 0")  # see Conn: waiting happens in the thread
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
        self._data_version: int | None = None  # the reader's, when its caches were emptied
        self.commits = 0  # write transactions, by outcome (`/metrics`)
        self.rollbacks = 0

    def connections(self) -> dict[str, Conn]:
        """The open connections by role, "reader" and "writer" (`/metrics` reads their
        statement counts and caches)."""
        found = {"reader": self._reader, "writer": self._writer}
        return {role: conn for role, conn in found.items() if conn is not None}

    @property
    def rows_read(self) -> int:
        """Rows the store has read so far through either connection (tests count them)."""
        return sum(conn.rows_read for conn in (self._reader, self._writer) if conn is not None)

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await _connect(self.path)
        await self._writer.run_script("PRAGMA journal_mode = WAL")
        await migrate(self._writer)
        self._writer.results = ResultCache()
        self._reader = await _connect(self.path)
        self._reader.results = ResultCache()
        self._data_version = await self._reader_data_version()

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

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
        """One serialized write transaction; rolled back whole on any exception."""
        assert self._writer is not None, "database is not open"
        async with self._write_lock:
            await self._writer.run("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.run("ROLLBACK")
                self.rollbacks += 1
                raise
            else:
                await self._writer.run("COMMIT")
                self.commits += 1
                if self._reader is not None:
                    await self._empty_reader_caches()

    async def replace_with(self, source: Path) -> None:
        """Replace the whole database with the SQLite file `source` (at this schema
        version) in one write transaction, through SQLite's backup API: readers see the
        old state or the new one, never a mix."""
        assert self._writer is not None, "database is not open"
        writer = self._writer

        def copy() -> None:
            src = sqlite3.connect(source, isolation_level=None)
            try:
                src.backup(writer._conn)
            finally:
                src.close()

        async with self._write_lock:
            await writer.patiently(copy)
            self.commits += 1
            writer._forget()
            await self._empty_reader_caches()

    async def see_outside_commits(self) -> None:
        """Empty the reader's caches if another process (`wandb-emulator seed --data-dir`,
        a second server) committed since they were last emptied: the reader's
        `PRAGMA data_version` moves on every other connection's commit."""
        if self._reader is not None and await self._reader_data_version() != self._data_version:
            await self._empty_reader_caches()

    async def _empty_reader_caches(self) -> None:
        # The version first: a commit after it is seen by the next see_outside_commits.
        self._data_version = await self._reader_data_version()
        self.results.invalidate()

    async def _reader_data_version(self) -> int:
        assert self._reader is not None
        return await self._reader._call(_data_version, self._reader._conn)

    async def wipe(self) -> None:
        """Delete every row of every table (used by reset)."""
        async with self.write() as conn:
            await delete_all_rows(conn)


async def schema_version(conn: Conn) -> int:
    """The last migration applied to the connection's database (0: none)."""
    found = await conn.patiently(conn._fetch, "PRAGMA user_version", (), 1)
    return int(found[0][0]) if found else 0


async def migrate(conn: Conn) -> None:
    """Apply the migrations the connection's database lacks, each in its own transaction."""
    current = await schema_version(conn)
    if current > SCHEMA_VERSION:
        log.warning("database schema %d is newer than this emulator's %d", current, SCHEMA_VERSION)
    for version, sql in MIGRATIONS:
        if version <= current:
            continue
        log.info("applying migration %d", version)
        await conn.run_script(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")


async def table_names(conn: Conn) -> list[str]:
    """Every table of the store's schema."""
    rows = await conn.rows(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    )
    return [row[0] for row in rows]


async def delete_all_rows(conn: Conn) -> None:
    """Inside a write transaction: delete every row of every table (foreign keys are
    checked at COMMIT, so the order does not matter)."""
    await conn.run("PRAGMA defer_foreign_keys = ON")
    for table in await table_names(conn):
        await conn.run(f'DELETE FROM "{table}"')
