"""Fault injection: rules that make the emulator fail on purpose, to test retries and errors.

A rule names a GraphQL operation (optionally a subset of its variables), for other
requests a path pattern, or for outgoing automation deliveries a webhook URL pattern; it
answers with a GraphQL error, an HTTP status and/or added latency (a delivery attempt
fails or waits instead), `times` times or until cleared. Rules are kept in the
database, so every server process of one database applies them (`FaultRules`); a
test's thread changes them through `Faults`.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from .store import server_state
from .store.database import Database

MAX_LATENCY_MS = 60_000
_SPEC_KEYS = frozenset(
    {
        "operation",
        "variables",
        "path",
        "webhook",
        "method",
        "error",
        "status",
        "latency_ms",
        "times",
    }
)


class FaultSpecError(ValueError):
    """A rule that cannot be applied; the message says why."""


@dataclass
class FaultRule:
    id: int
    operation: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    webhook: str | None = None
    method: str | None = None
    error: str | None = None
    status: int | None = None
    latency_ms: int = 0
    times: int | None = None
    hits: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    @property
    def fails(self) -> bool:
        return self.error is not None or self.status is not None

    @property
    def response_status(self) -> int:
        return self.status if self.status is not None else 200

    @property
    def message(self) -> str:
        return self.error or f"injected fault: HTTP {self.status}"

    def matches_operation(self, operation: str | None, variables: dict[str, Any]) -> bool:
        return (
            self.operation is not None
            and self.operation == operation
            and all(variables.get(key, _MISSING) == value for key, value in self.variables.items())
        )

    def matches_request(self, method: str, path: str) -> bool:
        return (
            self.path is not None
            and fnmatch.fnmatchcase(path, self.path)
            and (self.method is None or self.method == method)
        )

    def matches_webhook(self, url: str) -> bool:
        return self.webhook is not None and fnmatch.fnmatchcase(url, self.webhook)

    def applied(self) -> dict[str, Any]:
        """How the rule shows in a journal entry."""
        return {
            "id": self.id,
            "error": self.error,
            "status": self.status,
            "latency_ms": self.latency_ms,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operation": self.operation,
            "variables": self.variables,
            "path": self.path,
            "webhook": self.webhook,
            "method": self.method,
            "error": self.error,
            "status": self.status,
            "latency_ms": self.latency_ms,
            "times": self.times,
            "hits": self.hits,
            "exhausted": self.exhausted,
        }


_MISSING = object()


def first_live(rules: list[FaultRule], matches: Callable[[FaultRule], bool]) -> FaultRule | None:
    """The first rule, oldest first, that is not used up and matches."""
    return next((rule for rule in rules if not rule.exhausted and matches(rule)), None)


class FaultRules:
    """The rules every server process of one database applies (store/server_state.py).

    Reading them costs nothing while nothing commits (the reader's result cache); a rule
    that matches is taken by one conditional UPDATE, so a rule with `times=N` fires N
    times in all, whichever processes the requests reach."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, **spec: Any) -> FaultRule:
        """Add a rule; see `parse_spec` for the keys. Raises FaultSpecError on bad input."""
        checked = parse_spec(spec)
        async with self.db.write() as conn:
            rule_id = await server_state.add_fault(conn, json.dumps(checked), checked["times"])
        return FaultRule(id=rule_id, **checked)

    async def rules(self) -> list[FaultRule]:
        async with self.db.read() as conn:
            rows = await server_state.fault_rows(conn)
        return [FaultRule(id=row[0], **{**json.loads(row[1]), "hits": row[3]}) for row in rows]

    async def remove(self, rule_id: int) -> bool:
        async with self.db.write() as conn:
            return await server_state.delete_fault(conn, rule_id)

    async def clear(self) -> None:
        async with self.db.write() as conn:
            await server_state.clear_faults(conn)

    async def take_for_operation(
        self, operation: str | None, variables: dict[str, Any] | None
    ) -> FaultRule | None:
        """The first live rule for this GraphQL operation, counted as one hit."""
        return await self._take(lambda rule: rule.matches_operation(operation, variables or {}))

    async def take_for_request(self, method: str, path: str) -> FaultRule | None:
        """The first live rule for this non-GraphQL request, counted as one hit."""
        return await self._take(lambda rule: rule.matches_request(method, path))

    async def take_for_webhook(self, url: str) -> FaultRule | None:
        """The first live rule for an automation delivery to this URL, counted as one hit."""
        return await self._take(lambda rule: rule.matches_webhook(url))

    async def _take(self, matches: Callable[[FaultRule], bool]) -> FaultRule | None:
        rules = await self.rules()
        while (rule := first_live(rules, matches)) is not None:
            async with self.db.write() as conn:
                taken = await server_state.claim_fault_hit(conn, rule.id)
            if taken:
                rule.hits += 1
                return rule
            rules.remove(rule)  # another process took its last hit
        return None


class Faults:
    """The fault rules as a test's thread changes them: `run` runs a coroutine on the
    emulator's loop (`InProcessHandle.faults`)."""

    def __init__(self, rules: FaultRules, run: Callable[[Coroutine[Any, Any, Any]], Any]) -> None:
        self._rules = rules
        self._run = run

    def add(self, **spec: Any) -> FaultRule:
        rule: FaultRule = self._run(self._rules.add(**spec))
        return rule

    def rules(self) -> list[FaultRule]:
        rules: list[FaultRule] = self._run(self._rules.rules())
        return rules

    def remove(self, rule_id: int) -> bool:
        return bool(self._run(self._rules.remove(rule_id)))

    def clear(self) -> None:
        self._run(self._rules.clear())


def parse_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Check a rule given as keyword arguments or JSON; the keys of FaultRule without id/hits."""
    unknown = set(spec) - _SPEC_KEYS
    if unknown:
        raise FaultSpecError(f"unknown fault keys {sorted(unknown)}; known: {sorted(_SPEC_KEYS)}")
    operation = _optional(spec, "operation", str)
    path = _optional(spec, "path", str)
    webhook = _optional(spec, "webhook", str)
    if sum(target is not None for target in (operation, path, webhook)) != 1:
        raise FaultSpecError(
            "give exactly one of `operation` (GraphQL), `path` (other HTTP)"
            " or `webhook` (a URL pattern of automation deliveries)"
        )
    variables = spec.get("variables") or {}
    if not isinstance(variables, dict):
        raise FaultSpecError("`variables` must be an object")
    method = _optional(spec, "method", str)
    error = _optional(spec, "error", str)
    status = _optional(spec, "status", int)
    latency_ms = _optional(spec, "latency_ms", int) or 0
    times = _optional(spec, "times", int)
    if status is not None and not 200 <= status <= 599:
        raise FaultSpecError("`status` must be an HTTP status between 200 and 599")
    if not 0 <= latency_ms <= MAX_LATENCY_MS:
        raise FaultSpecError(f"`latency_ms` must be between 0 and {MAX_LATENCY_MS}")
    if times is not None and times < 1:
        raise FaultSpecError("`times` must be at least 1 (omit it to fail until cleared)")
    if error is None and status is None and latency_ms == 0:
        raise FaultSpecError("a fault needs an `error`, a `status` or a `latency_ms`")
    return {
        "operation": operation,
        "variables": variables,
        "path": path,
        "webhook": webhook,
        "method": method.upper() if method else None,
        "error": error or None,
        "status": status,
        "latency_ms": latency_ms,
        "times": times,
    }


def _optional(spec: dict[str, Any], key: str, kind: type) -> Any:
    value = spec.get(key)
    if value is None:
        return None
    # bool is an int in Python; `"status": true` is a mistake, not HTTP 1.
    if not isinstance(value, kind) or isinstance(value, bool):
        raise FaultSpecError(f"`{key}` must be a {kind.__name__}")
    return value
