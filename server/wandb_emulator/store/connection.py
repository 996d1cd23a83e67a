"""What a connection of either database offers the store: statements with `?`
placeholders (`Conn`), rows (`Row`), the reader's result cache (`ResultCache`), and what
a backend (`store/sqlite.py`, `store/postgres.py`) implements (`Backend`)."""

from __future__ import annotations

from collections.abc import (
    Awaitable,
    Callable,
    Hashable,
    Iterable,
    Iterator,
    Sequence,
)
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

V = TypeVar("V")
# A statement and the rows of parameters it runs with (`Database.log_write`).
LogStatement = tuple[str, list[tuple[Any, ...]]]

CACHED_RESULTS = 4096
CACHED_ROWS = 64
CACHED_RECORDS = 10_000  # per kind


class Row(Protocol):
    """A result row of either driver: values by position or by column name."""

    def __getitem__(self, key: Any, /) -> Any: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Any]: ...

    def keys(self) -> Any: ...


ResultKey = tuple[str, tuple[Any, ...], int | None]


class ResultCache:
    """Results of the reader's queries, valid until the next COMMIT: the server's own,
    or another process's, noticed before each request (`Database.see_outside_commits`).
    A query that overlaps a commit is not kept: `generation` moves on every commit.
    Results longer than CACHED_ROWS are not kept."""

    def __init__(self) -> None:
        self.generation = 0
        self.hits = 0  # lookups answered from the cache (results and remembered values)
        self.misses = 0
        self._results: dict[ResultKey, tuple[Row, ...]] = {}
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
        self, key: ResultKey, load: Callable[[], Awaitable[Sequence[Row]]]
    ) -> tuple[Row, ...]:
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


class Conn:
    """A connection the store's functions run statements on (`?` placeholders, SQL both
    databases accept), which counts the rows the store reads through it and, for the
    reader, answers repeated queries from a ResultCache. A backend implements the four
    primitives below."""

    rows_read = 0
    statements = 0  # statements run through this connection (`/metrics`)
    results: ResultCache | None = None

    def _fetch(
        self, sql: str, params: Sequence[Any], limit: int | None
    ) -> Awaitable[Sequence[Row]]:
        raise NotImplementedError

    def _change(self, sql: str, params: Sequence[Any]) -> Awaitable[int]:
        """Run a statement: the rows it changed."""
        raise NotImplementedError

    def _change_many(self, sql: str, rows: list[Sequence[Any]]) -> Awaitable[None]:
        raise NotImplementedError

    def _script(self, sql: str) -> Awaitable[None]:
        """Run several statements, without parameters."""
        raise NotImplementedError

    async def _select(self, sql: str, params: Sequence[Any], limit: int | None) -> Sequence[Row]:
        def load() -> Awaitable[Sequence[Row]]:
            self.statements += 1
            return self._fetch(sql, params, limit)

        found = await (
            load() if self.results is None else self.results.get((sql, tuple(params), limit), load)
        )
        self.rows_read += len(found)
        return found

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._select(sql, params, None))

    async def row(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        found = await self._select(sql, params, 1)
        return found[0] if found else None

    async def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement: the rows it changed."""
        self._forget()
        return await self._change(sql, params)

    async def run_returning(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Run a statement with a RETURNING clause: its first row (what it wrote, without
        reading it back)."""
        self._forget()
        found = await self._fetch(sql, params, None)
        return found[0] if found else None

    async def run_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run a statement once per row of parameters."""
        self._forget()
        await self._change_many(sql, list(rows))

    async def run_script(self, sql: str) -> None:
        """Run several statements (migrations, settings)."""
        self._forget()
        await self._script(sql)

    async def fresh_rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Rows read past the result cache: of tables written without a commit
        generation (the journal), which no cache may keep."""
        self.statements += 1
        found = await self._fetch(sql, params, None)
        self.rows_read += len(found)
        return list(found)

    async def append(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run a statement once per row of parameters, keeping this connection's result
        cache: for tables no cached query reads (the journal)."""
        self.statements += 1
        await self._change_many(sql, list(rows))

    def _forget(self) -> None:
        """A statement that may change rows is counted and empties this connection's result
        cache (the writer's keeps reads only between two writes of one transaction)."""
        self.statements += 1
        if self.results is not None:
            self.results.invalidate()


class Backend(Protocol):
    """What differs between the two databases, besides their connections' statements."""

    @property
    def sqlite_file(self) -> Path | None:
        """The database's file, if it is SQLite."""

    dialect: str  # "sqlite" or "postgresql"
    # Whether SQL may use `expression REGEXP pattern` (RE2, as `$regex` filters match).
    sql_regexp: bool
    # The statement that begins a write transaction, alone across every process of the
    # database (COMMIT and ROLLBACK end it).
    begin: str

    def startup_lock(self) -> AbstractAsyncContextManager[None]:
        """Held while migrating and seeding: one process at a time."""

    def exclusive(self, name: str, *, wait: bool) -> AbstractAsyncContextManager[bool]:
        """A lock named `name` across every process of the database, held inside the
        block, released when it ends or the process dies; whether it is held (with
        `wait=False` it is not taken when another process holds it)."""

    async def migrate(self) -> bool:
        """Apply the migrations not yet applied: whether the database was empty."""

    async def connect(self) -> tuple[Conn, Conn]:
        """The reader and the writer."""

    async def commits_seen(self, reader: Conn) -> Hashable:
        """A value that changes whenever anyone commits (read outside any cache)."""

    # Whether `log_write` must hold the process's write lock (it uses the reader).
    log_write_locks: bool

    async def log_write(self, reader: Conn, statements: list[LogStatement]) -> None:
        """Run statements of server logs on the reader, without the data's write lock
        and without a commit generation (`Database.log_write`)."""

    async def wipe(self, writer: Conn) -> None:
        """Delete every row of every table, inside the write transaction."""

    async def replace_with(self, writer: Conn, source: Path) -> None:
        """Make every table's rows those of the SQLite file `source` (a snapshot's
        database, at this schema version) in one transaction of its own, alone across
        processes (the caller holds the process's write lock)."""

    async def holds_data(self) -> bool:
        """Whether the database exists and a table of it has a row (without creating or
        migrating anything; needs no open connection)."""

    async def copy_to(self, target: Path) -> bool:
        """Write the database's rows, as of one commit, into a new standalone SQLite file
        `target` at the same schema version (a snapshot's database). False if there is
        no emulator database to copy. Needs no open connection."""

    async def close(self) -> None: ...
