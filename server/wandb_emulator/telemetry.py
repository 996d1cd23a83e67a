"""What the SDK's OpenTelemetry exporter sent (`POST /sdk/otel/v1/{metrics,logs,traces}`),
kept in memory for test authors: each export request in its OTLP/JSON form, newest last,
the oldest dropped past a count and a byte budget. A reset empties it."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

MAX_EXPORTS = 1000
MAX_BYTES = 16 * 1024 * 1024
SIGNALS = ("metrics", "logs", "traces")


@dataclass(frozen=True)
class Export:
    """One export request: the signal, who sent it, how, and its content (OTLP/JSON)."""

    seq: int
    at: str
    signal: str
    username: str | None  # of the API key it carried, if any (wandb-core sends none)
    content_type: str  # application/x-protobuf or application/json
    body: dict[str, Any]
    size: int  # bytes of the body as JSON

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "signal": self.signal,
            "username": self.username,
            "content_type": self.content_type,
            "body": self.body,
        }


class Telemetry:
    """The received exports (thread-safe: the pytest plugin reads from another thread)."""

    def __init__(self, max_exports: int = MAX_EXPORTS, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._exports: deque[Export] = deque(maxlen=max_exports)
        self._bytes = 0
        self._seq = 0
        self._lock = threading.Lock()

    def record(
        self, signal: str, username: str | None, content_type: str, body: dict[str, Any]
    ) -> None:
        size = len(json.dumps(body))
        with self._lock:
            self._seq += 1
            at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
            if len(self._exports) == self._exports.maxlen:
                self._bytes -= self._exports[0].size
            self._exports.append(Export(self._seq, at, signal, username, content_type, body, size))
            self._bytes += size
            while self._bytes > self.max_bytes and len(self._exports) > 1:
                self._bytes -= self._exports.popleft().size

    def exports(self, signal: str | None = None) -> list[Export]:
        with self._lock:
            return [e for e in self._exports if signal is None or e.signal == signal]

    def clear(self) -> None:
        with self._lock:
            self._exports.clear()
            self._bytes = 0

    def metrics(self) -> dict[str, list[dict[str, Any]]]:
        """Every metric received, by name: its data points in arrival order (each an
        OTLP/JSON data point, with its metric's unit and kind added)."""
        found: dict[str, list[dict[str, Any]]] = {}
        for export in self.exports("metrics"):
            for resource in export.body.get("resourceMetrics", []):
                for scope in resource.get("scopeMetrics", []):
                    for metric in scope.get("metrics", []):
                        found.setdefault(metric.get("name", ""), []).extend(_points(metric))
        return found


def _points(metric: dict[str, Any]) -> list[dict[str, Any]]:
    for kind in ("sum", "gauge", "histogram", "exponentialHistogram", "summary"):
        if kind in metric:
            unit = metric.get("unit", "")
            return [
                {**point, "kind": kind, "unit": unit}
                for point in metric[kind].get("dataPoints", [])
            ]
    return []
