"""The request journal: every HTTP request the base port answered, newest last.

Kept in the database, so every server process of one database writes into it and reads
all of it (`SharedJournal`); a test's thread reads it through `Journal`. It is bounded
in entries and in bytes: each entry's variables are cut to `entry_bytes` (long strings
shortened, the rest dropped), and the oldest entries go once all of them exceed
`total_bytes`. Secrets never enter it: the signatures of signed URLs, and the values of
variables named like API keys, secrets, passwords and tokens, are replaced by a mask.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any

from .store import server_state
from .store.database import Database, Row

log = logging.getLogger("wandb_emulator")

DEFAULT_JOURNAL_SIZE = 1000
DEFAULT_ENTRY_BYTES = 64 * 1024
DEFAULT_TOTAL_BYTES = 32 * 1024 * 1024
MASK = "********"  # the one mask of secrets (journal, automation deliveries)
REDACTED = MASK
TRUNCATED = "[truncated]"
_ENTRY_OVERHEAD = 256
BATCH_DELAY_S = 0.01  # entries recorded within it are written in one batch
# A process trims the oldest entries once it has written this many: trimming costs a walk
# of `size` entries, and the readers cut to `size` themselves meanwhile.
TRIM_EVERY = 100
_MAX_ERROR_CHARS = 1024
_SECRET_KEY = re.compile(r"api[_-]?key|secret|password|passwd|token", re.IGNORECASE)
_SIGNED_URL = re.compile(r"(/storage/(?:upload|blob)/[A-Za-z0-9_\-]+\.)[A-Za-z0-9_\-]+")


@dataclass(frozen=True)
class JournalEntry:
    """One answered request. GraphQL requests carry `operation`, `variables` and `errors`."""

    seq: int
    timestamp: float
    method: str
    path: str
    status: int
    duration_ms: float
    operation: str | None = None
    variables: dict[str, Any] | None = None
    errors: tuple[str, ...] = ()
    fault: dict[str, Any] | None = None
    request_id: str | None = None  # also in the response's X-Request-ID header

    @property
    def is_graphql(self) -> bool:
        return self.path == "/graphql" and self.method == "POST"

    def to_json(self) -> dict[str, Any]:
        # Not dataclasses.asdict: its deep copy was most of the 70 us an entry cost per
        # request; the values are plain JSON already and nothing mutates them.
        data = {name: getattr(self, name) for name in _ENTRY_FIELDS}
        data["errors"] = list(self.errors)
        return data


_ENTRY_FIELDS = tuple(f.name for f in fields(JournalEntry))


@dataclass
class RequestRecord:
    """What the handlers learn about a request while answering it; becomes a JournalEntry."""

    method: str
    path: str
    timestamp: float
    operation: str | None = None
    variables: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)
    fault: dict[str, Any] | None = None
    request_id: str | None = None


def redact(text: str) -> str:
    """`text` with the signatures of signed storage URLs replaced (their payload, which
    says what the URL is for, stays readable)."""
    return _SIGNED_URL.sub(r"\1" + REDACTED, text) if "/storage/" in text else text


class _Cutter:
    """Copies variables with secrets redacted, within a byte budget."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0

    def copy(self, value: Any) -> Any:
        if self.used > self.budget:
            return TRUNCATED
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                self.used += len(key) + 4
                if self.used > self.budget:
                    out[TRUNCATED] = True
                    break
                out[key] = REDACTED if _SECRET_KEY.search(key) else self.copy(item)
            return out
        if isinstance(value, list):
            items: list[Any] = []
            for item in value:
                if self.used > self.budget:
                    items.append(TRUNCATED)
                    break
                items.append(self.copy(item))
            return items
        if isinstance(value, str):
            return self._string(value)
        self.used += 8
        return value

    def _string(self, value: str) -> str:
        room = max(self.budget - self.used, 0)
        if len(value) > room:
            value = value[:room] + f"...{TRUNCATED} ({len(value)} characters)"
        self.used += len(value) + 2
        return redact(value)


def _stored(entry: JournalEntry) -> str:
    data = entry.to_json()
    del data["seq"]  # the database's
    return json.dumps(data, separators=(",", ":"))


def _loaded(seq: int, stored: str) -> JournalEntry:
    data = json.loads(stored)
    data["errors"] = tuple(data["errors"])
    return JournalEntry(seq=seq, **data)


def _within_budget(rows: list[Row], total_bytes: int) -> list[Row]:
    """The newest rows (given newest first) whose costs fit in `total_bytes`; at least one."""
    kept: list[Row] = []
    held = 0
    for row in rows:
        held += int(row[2])
        if kept and held > total_bytes:
            break
        kept.append(row)
    return kept


class SharedJournal:
    """The journal of every server process of one database (store/server_state.py).

    `record` cuts and redacts an entry at once and queues it; a task writes what is
    queued after the response, in one batch (`Database.log_write`: no write lock of the
    data, no commit generation). Reads through this process first wait for its queue, so
    a client that has its answer finds its request here; another process's entry is
    there once that process's batch is written, a few milliseconds after its answer.
    The limits hold for what is read: the newest `size` entries within `total_bytes`."""

    def __init__(
        self,
        db: Database,
        size: int = DEFAULT_JOURNAL_SIZE,
        *,
        entry_bytes: int = DEFAULT_ENTRY_BYTES,
        total_bytes: int = DEFAULT_TOTAL_BYTES,
    ) -> None:
        if size < 1:
            raise ValueError("the journal holds at least one entry")
        self.db = db
        self.size = size
        self.entry_bytes = entry_bytes
        self.total_bytes = total_bytes
        self._queued: list[tuple[str, int]] = []
        self._writing: asyncio.Task[None] | None = None
        self._written_since_trim = 0
        self.held = (0, 0)  # entries and bytes, as of the last `totals()` (`/metrics`)

    def record(self, record: RequestRecord, status: int, duration_ms: float) -> JournalEntry:
        """Queue an entry (its `seq` is 0: the database numbers it)."""
        cutter = _Cutter(self.entry_bytes)
        variables = None if record.variables is None else cutter.copy(record.variables)
        errors = tuple(redact(e[:_MAX_ERROR_CHARS]) for e in record.errors)
        cost = _ENTRY_OVERHEAD + len(record.path) + cutter.used + sum(map(len, errors))
        entry = JournalEntry(
            seq=0,
            timestamp=record.timestamp,
            method=record.method,
            path=redact(record.path),
            status=status,
            duration_ms=round(duration_ms, 3),
            operation=record.operation,
            variables=variables,
            errors=errors,
            fault=record.fault,
            request_id=record.request_id,
        )
        self._queued.append((_stored(entry), cost))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.get_running_loop().create_task(self._write_queued())
        return entry

    async def _write_queued(self) -> None:
        # A commit costs about 40 us on SQLite beside 10 us per entry: wait for more.
        await asyncio.sleep(BATCH_DELAY_S)
        while self._queued:
            batch, self._queued = self._queued, []
            self._written_since_trim += len(batch)
            trim = self._written_since_trim >= TRIM_EVERY
            try:
                await server_state.append_journal(self.db, batch, self.size if trim else None)
                if trim:
                    self._written_since_trim = 0
            except Exception:
                log.exception("%d journal entries not written", len(batch))

    async def flush(self) -> None:
        """Wait until every entry this process recorded is written."""
        while self._writing is not None and not self._writing.done():
            await asyncio.shield(self._writing)

    async def _held_rows(self) -> list[Row]:
        await self.flush()
        rows = await server_state.newest_journal_rows(self.db, self.size)
        return _within_budget(rows, self.total_bytes)

    async def entries(self) -> list[JournalEntry]:
        """Every process's entries, oldest first."""
        return [_loaded(row[0], row[1]) for row in reversed(await self._held_rows())]

    async def totals(self) -> tuple[int, int]:
        """The entries held and their estimated bytes."""
        rows = await self._held_rows()
        self.held = (len(rows), sum(int(row[2]) for row in rows))
        return self.held

    async def clear(self) -> None:
        """Empty the journal, for every process (what this one has queued goes too)."""
        self._queued.clear()
        await self.flush()
        await server_state.clear_journal(self.db)


class JournalQueries:
    """Assertion helpers over `entries()`, oldest first."""

    def entries(self) -> list[JournalEntry]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        return len(self.entries())

    # ----------------------------------------------------------- assertion helpers

    def operations(self) -> list[str]:
        """The GraphQL operation names in the order they arrived ("(anonymous)" if unnamed)."""
        return [entry.operation or "(anonymous)" for entry in self.entries() if entry.is_graphql]

    def find(self, operation: str, variables: dict[str, Any] | None = None) -> list[JournalEntry]:
        """The entries of one GraphQL operation whose variables include the given ones."""
        return [
            entry
            for entry in self.entries()
            if entry.is_graphql
            and entry.operation == operation
            and _includes(entry.variables or {}, variables or {})
        ]

    def requests(self, method: str | None = None, path_prefix: str = "") -> list[JournalEntry]:
        """Any request (GraphQL or not) by method and path prefix."""
        return [
            entry
            for entry in self.entries()
            if (method is None or entry.method == method.upper())
            and entry.path.startswith(path_prefix)
        ]

    def last(self, operation: str | None = None) -> JournalEntry:
        entries = self.find(operation) if operation else self.entries()
        if not entries:
            what = f"request for {operation}" if operation else "request"
            raise AssertionError(f"no {what} in the journal")
        return entries[-1]

    def assert_called(
        self,
        operation: str,
        *,
        times: int | None = None,
        variables: dict[str, Any] | None = None,
    ) -> list[JournalEntry]:
        """Fail unless `operation` was sent (exactly `times` times, if given); its entries."""
        found = self.find(operation, variables)
        matching = f"{operation}" + (f" with {variables}" if variables else "")
        if not found or (times is not None and len(found) != times):
            expected = "at least once" if times is None else f"{times} time(s)"
            raise AssertionError(
                f"expected {matching} {expected}, got {len(found)}; "
                f"operations seen: {self.operations()}"
            )
        return found

    def assert_not_called(self, operation: str, variables: dict[str, Any] | None = None) -> None:
        found = self.find(operation, variables)
        if found:
            raise AssertionError(f"{operation} was sent {len(found)} time(s): {found}")


class Journal(JournalQueries):
    """The shared journal as a test's thread reads it: `load` and `wipe` run on the
    emulator's loop (`InProcessHandle.journal`)."""

    def __init__(
        self, load: Callable[[], list[JournalEntry]], wipe: Callable[[], None], size: int
    ) -> None:
        self._load = load
        self._wipe = wipe
        self.size = size

    def entries(self) -> list[JournalEntry]:
        return self._load()

    def clear(self) -> None:
        self._wipe()


def _includes(actual: dict[str, Any], expected: dict[str, Any]) -> bool:
    return all(key in actual and actual[key] == value for key, value in expected.items())
