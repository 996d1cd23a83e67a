"""The SQLite backend: a file in WAL mode, one writer and one reader connection.

Writes are serialized across processes by `BEGIN IMMEDIATE` (SQLite's write lock);
readers never wait for the writer. `PRAGMA data_version` tells the reader whether any
other connection committed. Migrations and the default seed run under a file lock
(`DATABASE.lock`), so one process of several starting at once does them.

Statements go through aiosqlite. `LoopConn`, the default, runs them on the event loop's
thread instead of a trip to aiosqlite's worker thread (a small indexed statement takes a
few microseconds there, the trip about 30 us of CPU plus two thread wake-ups); it needs
two aiosqlite internals (`Connection._conn` and `Connection._execute`), so it is used only
with the aiosqlite versions it was tested with (FAST_PATH_VERSIONS) and while
`Config.fast_execution` holds. `ThreadConn` uses the public API only;
tests/test_database.py checks that both answer alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from ..filters import regexp
from .connection import Conn, LogStatement, Row
from .errors import IntegrityError
from .migrations import KEPT_BY_WIPE, MIGRATIONS, SCHEMA_VERSION, SERVER_STATE_TABLES

V = TypeVar("V")

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
# aiosqlite releases whose internals LoopConn uses as it expects (tests/test_database.py).
FAST_PATH_VERSIONS = ((0, 22), (0, 23))  # from, up to (excluded)


def fast_path_supported(version: str = aiosqlite.__version__) -> bool:
    try:
        found = tuple(int(part) for part in version.split(".")[:2])
    except ValueError:
        return False
    low, high = FAST_PATH_VERSIONS
    return low <= found < high


def _busy(error: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY: another connection holds a lock this statement needs."""
    return getattr(error, "sqlite_errorcode", sqlite3.SQLITE_BUSY) & 0xFF == sqlite3.SQLITE_BUSY


class SqliteConn(Conn):
    """A connection of an aiosqlite.Connection."""

    busy_timeout_ms = BUSY_TIMEOUT_MS

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    async def data_version(self) -> int:
        """`PRAGMA data_version`: moves whenever another connection commits."""
        raise NotImplementedError

    async def close(self) -> None:
        await self.db.close()


class ThreadConn(SqliteConn):
    """Statements on aiosqlite's worker thread, through its public API; a statement that
    finds the database locked by another process waits there (busy timeout)."""

    async def _fetch(self, sql: str, params: Sequence[Any], limit: int | None) -> list[Row]:
        try:
            async with self.db.execute(sql, params) as cursor:
                found = await (cursor.fetchall() if limit is None else cursor.fetchmany(limit))
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        return list(found)

    async def _change(self, sql: str, params: Sequence[Any]) -> int:
        try:
            async with self.db.execute(sql, params) as cursor:
                return cursor.rowcount
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc

    async def _change_many(self, sql: str, rows: list[Sequence[Any]]) -> None:
        try:
            await (await self.db.executemany(sql, rows)).close()
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc

    async def _script(self, sql: str) -> None:
        await (await self.db.executescript(sql)).close()

    async def data_version(self) -> int:
        async with self.db.execute("PRAGMA data_version") as cursor:
            found = await cursor.fetchone()
        assert found is not None
        return int(found[0])


class LoopConn(SqliteConn):
    """Statements on the event loop's thread. A statement never waits there for a lock
    another process holds: the busy timeout is 0 on the loop, and a statement that finds
    the database busy runs again on the worker thread, which waits up to BUSY_TIMEOUT_MS.
    While anything is queued there, the connection's statements follow it through the
    queue, so they keep their order and the loop never blocks on the connection's mutex."""

    busy_timeout_ms = 0
    _queued = 0  # calls waiting on (or running in) the worker thread

    def __init__(self, db: aiosqlite.Connection) -> None:
        super().__init__(db)
        self._sqlite: sqlite3.Connection = db._conn

    async def _call(self, fn: Callable[..., V], *args: Any) -> V:
        try:
            if not self._queued:
                try:
                    return fn(*args)
                except sqlite3.OperationalError as exc:
                    if not _busy(exc):
                        raise
            return await self._patiently(fn, *args)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc

    async def _patiently(self, fn: Callable[..., V], *args: Any) -> V:
        """Run `fn(*args)` on the worker thread, waiting for other processes' locks."""
        self._queued += 1
        try:
            return await self.db._execute(self._with_busy_timeout, fn, *args)
        finally:
            self._queued -= 1

    def _with_busy_timeout(self, fn: Callable[..., V], *args: Any) -> V:
        self._sqlite.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            return fn(*args)
        finally:
            self._sqlite.execute("PRAGMA busy_timeout = 0")

    def _fetch(self, sql: str, params: Sequence[Any], limit: int | None) -> Awaitable[list[Row]]:
        return self._call(self._fetch_now, sql, params, limit)

    def _change(self, sql: str, params: Sequence[Any]) -> Awaitable[int]:
        return self._call(self._change_now, sql, params)

    def _change_many(self, sql: str, rows: list[Sequence[Any]]) -> Awaitable[None]:
        return self._call(self._change_many_now, sql, rows)

    async def _script(self, sql: str) -> None:
        await self._patiently(self._sqlite.executescript, sql)

    async def data_version(self) -> int:
        return await self._call(_data_version, self._sqlite)

    def _fetch_now(self, sql: str, params: Sequence[Any], limit: int | None) -> list[Row]:
        cursor = self._sqlite.execute(sql, params)
        try:
            return cursor.fetchall() if limit is None else cursor.fetchmany(limit)
        finally:
            cursor.close()

    def _change_now(self, sql: str, params: Sequence[Any]) -> int:
        cursor = self._sqlite.execute(sql, params)
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    def _change_many_now(self, sql: str, rows: list[Sequence[Any]]) -> None:
        self._sqlite.executemany(sql, rows).close()


def _data_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def migrate_file(path: Path, *, wal: bool = True, up_to: int = SCHEMA_VERSION) -> bool:
    """Apply pending migrations, up to `up_to`, each in its own transaction (`PRAGMA
    user_version` is the last applied): whether the database was empty. Blocks, waiting
    for other processes' locks (run it in a thread)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        if wal:
            conn.execute("PRAGMA journal_mode = WAL")
        current = file_schema_version(conn)
        if current > SCHEMA_VERSION:
            log.warning("database schema %d is newer than this emulator's", current)
        for version, sql in MIGRATIONS:
            if current < version <= up_to:
                log.info("applying migration %d", version)
                conn.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
                )
        return current == 0
    finally:
        conn.close()


def file_schema_version(conn: sqlite3.Connection) -> int:
    """The last migration applied to the database (0: none)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def copy_database(source: Path, target: Path) -> None:
    """Copy the database at `source` into a new standalone file `target` (rollback
    journal, no WAL beside it), consistently, while other processes may be writing it.

    The backup is one step under one read transaction: in WAL mode a reader never blocks
    the writers, so writes go on while the pages are copied, and the copy is the state
    of one commit. Blocks (run it in a thread)."""
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


async def open_file(path: Path) -> SqliteConn:
    """A connection of its own on a database file no server serves (a snapshot's),
    through aiosqlite's public API."""
    db = await aiosqlite.connect(path, isolation_level=None)
    db.row_factory = aiosqlite.Row
    conn = ThreadConn(db)
    await conn.run_script(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


async def any_rows(conn: Conn, tables: list[str]) -> bool:
    """Whether any of the tables has a row."""
    for table in tables:
        if await conn.row(f'SELECT 1 FROM "{table}" LIMIT 1') is not None:
            return True
    return False


async def table_names(conn: Conn) -> list[str]:
    """Every table of a SQLite database of the store's schema."""
    rows = await conn.rows(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    )
    return [row[0] for row in rows]


@contextlib.asynccontextmanager
async def _file_lock(path: Path, *, wait: bool) -> AsyncIterator[bool]:
    """An exclusive flock of `path` (created) while inside; whether it is held."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if wait:
            await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
            held = True
        else:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
            except BlockingIOError:
                held = False
        yield held
    finally:
        os.close(fd)  # releases the lock


class SqliteBackend:
    dialect = "sqlite"
    sql_regexp = True
    begin = "BEGIN IMMEDIATE"
    log_write_locks = True

    def __init__(self, path: Path, *, fast_execution: bool = True) -> None:
        self.path = self.sqlite_file = path
        self.fast = fast_execution and fast_path_supported()
        if fast_execution and not self.fast:
            log.warning(
                "aiosqlite %s is not a version the fast statement path was tested with;"
                " statements run on aiosqlite's worker thread",
                aiosqlite.__version__,
            )
        self._conns: list[SqliteConn] = []

    @contextlib.asynccontextmanager
    async def startup_lock(self) -> AsyncIterator[None]:
        async with _file_lock(Path(f"{self.path}.lock"), wait=True):
            yield

    def exclusive(self, name: str, *, wait: bool) -> contextlib.AbstractAsyncContextManager[bool]:
        """A file lock beside the database (`DATABASE.NAME.lock`): SQLite's processes
        share one host, and the kernel releases the lock of a process that dies (a lock
        row would need a lease for that; `BEGIN IMMEDIATE` would hold up every writer)."""
        return _file_lock(Path(f"{self.path}.{name}.lock"), wait=wait)

    async def migrate(self) -> bool:
        return await asyncio.to_thread(migrate_file, self.path)

    async def connect(self) -> tuple[Conn, Conn]:
        self._conns = [await self._connect(), await self._connect()]
        reader, writer = self._conns
        return reader, writer

    async def _connect(self) -> SqliteConn:
        db = await aiosqlite.connect(
            self.path, iter_chunk_size=64, isolation_level=None, check_same_thread=False
        )
        db.row_factory = aiosqlite.Row
        conn: SqliteConn = LoopConn(db) if self.fast else ThreadConn(db)
        await conn.run_script(
            f"PRAGMA busy_timeout = {conn.busy_timeout_ms}; PRAGMA foreign_keys = ON;"
            " PRAGMA synchronous = NORMAL;"
        )
        await db.create_function("regexp", 2, regexp, deterministic=True)
        return conn

    async def commits_seen(self, reader: Conn) -> Hashable:
        """The reader's `PRAGMA data_version`, which moves on every other connection's
        commit (the writer's too)."""
        assert isinstance(reader, SqliteConn)
        return await reader.data_version()

    async def log_write(self, reader: Conn, statements: list[LogStatement]) -> None:
        await reader._change(self.begin, ())  # not run(): the reader's cache stays
        try:
            for sql, rows in statements:
                await reader.append(sql, rows)
        except BaseException:
            await reader._change("ROLLBACK", ())
            raise
        await reader._change("COMMIT", ())

    async def wipe(self, writer: Conn) -> None:
        """Foreign keys are checked at COMMIT, so the order of the tables does not matter."""
        await writer.run("PRAGMA defer_foreign_keys = ON")
        for table in await table_names(writer):
            if table not in KEPT_BY_WIPE:
                await writer.run(f'DELETE FROM "{table}"')

    async def replace_with(self, writer: Conn, source: Path) -> None:
        """SQLite's backup API: the file's pages replace the database's, as one commit."""
        assert isinstance(writer, SqliteConn)
        async with aiosqlite.connect(source, isolation_level=None) as src:
            await src.backup(writer.db)

    async def holds_data(self) -> bool:
        if not self.path.is_file():
            return False
        conn = await open_file(self.path)
        try:
            tables = await table_names(conn)
            return await any_rows(conn, [t for t in tables if t not in SERVER_STATE_TABLES])
        finally:
            await conn.close()

    async def copy_to(self, target: Path) -> bool:
        if not self.path.is_file():
            return False
        await asyncio.to_thread(copy_database, self.path, target)
        return True

    async def close(self) -> None:
        for conn in self._conns:
            await conn.close()
        self._conns = []
