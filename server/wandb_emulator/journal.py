"""The request journal: every HTTP request the base port answered, newest last.

A bounded ring buffer, shared between the server's event loop (which appends) and a
test's thread (which reads), hence the lock.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_JOURNAL_SIZE = 1000

# Variables whose values are secrets: recorded as a mask, never as sent.
SECRET_VARIABLES = frozenset({"secretValue"})
MASK = "********"


def redacted(value: Any) -> Any:
    """The variables with every secret value masked, at any depth."""
    if isinstance(value, dict):
        return {
            key: MASK if key in SECRET_VARIABLES else redacted(item) for key, item in value.items()
        }
    if isinstance(value, list):
        return [redacted(item) for item in value]
    return value


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

    @property
    def is_graphql(self) -> bool:
        return self.path == "/graphql" and self.method == "POST"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = list(self.errors)
        return data


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


class Journal:
    def __init__(self, size: int = DEFAULT_JOURNAL_SIZE) -> None:
        if size < 1:
            raise ValueError("the journal holds at least one entry")
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._next_seq = 1

    @property
    def size(self) -> int:
        return self._entries.maxlen or 0

    def record(self, record: RequestRecord, status: int, duration_ms: float) -> JournalEntry:
        with self._lock:
            entry = JournalEntry(
                seq=self._next_seq,
                timestamp=record.timestamp,
                method=record.method,
                path=record.path,
                status=status,
                duration_ms=round(duration_ms, 3),
                operation=record.operation,
                variables=redacted(record.variables),
                errors=tuple(record.errors),
                fault=record.fault,
            )
            self._next_seq += 1
            self._entries.append(entry)
        return entry

    def entries(self) -> list[JournalEntry]:
        with self._lock:
            return list(self._entries)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

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


def _includes(actual: dict[str, Any], expected: dict[str, Any]) -> bool:
    return all(key in actual and actual[key] == value for key, value in expected.items())
