"""Fault injection: rules that make the emulator fail on purpose, to test retries and errors.

A rule names a GraphQL operation (optionally a subset of its variables), for other
requests a path pattern, or for outgoing automation deliveries a webhook URL pattern; it
answers with a GraphQL error, an HTTP status and/or added latency (a delivery attempt
fails or waits instead), `times` times or until cleared. Rules are read by the server's
event loop and changed from a test's thread, hence the lock.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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


class FaultRules:
    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._next_id = 1

    def add(self, **spec: Any) -> FaultRule:
        """Add a rule; see `parse_spec` for the keys. Raises FaultSpecError on bad input."""
        checked = parse_spec(spec)
        with self._lock:
            rule = FaultRule(id=self._next_id, **checked)
            self._next_id += 1
            self._rules.append(rule)
        return rule

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [rule for rule in self._rules if rule.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take_for_operation(
        self, operation: str | None, variables: dict[str, Any] | None
    ) -> FaultRule | None:
        """The first live rule for this GraphQL operation, counted as one hit."""
        return self._take(lambda rule: rule.matches_operation(operation, variables or {}))

    def take_for_request(self, method: str, path: str) -> FaultRule | None:
        """The first live rule for this non-GraphQL request, counted as one hit."""
        return self._take(lambda rule: rule.matches_request(method, path))

    def take_for_webhook(self, url: str) -> FaultRule | None:
        """The first live rule for an automation delivery to this URL, counted as one hit."""
        return self._take(lambda rule: rule.matches_webhook(url))

    def _take(self, matches: Callable[[FaultRule], bool]) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if not rule.exhausted and matches(rule):
                    rule.hits += 1
                    return rule
        return None


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
