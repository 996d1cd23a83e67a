"""Every base-port request gets an id, is counted and timed for `/metrics`, and is logged
as one line, by one ASGI middleware (the outermost).

The id comes back in the `X-Request-ID` header and is stored in the journal entry; a
client's own `X-Request-ID` is kept when it is short and plain (a proxy's, to correlate).
Counting is plain integers per label set; the Prometheus client library is imported by
the first scrape (`wandb_emulator.metrics`), not at the server's start.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import auth
from ..journal import MASK, redact
from .common import VIEWER_KEY
from .recording import RECORD_KEY, REQUEST_ID_KEY

log = logging.getLogger("wandb_emulator.requests")

REQUEST_ID_HEADER = b"x-request-id"
_CLIENT_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
# Latency buckets, in seconds (Prometheus' `le`).
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Operation names come from clients: beyond this many distinct ones, they count as "other".
MAX_OPERATIONS = 200
OTHER = "other"


@dataclass
class Timings:
    """A latency histogram: counts per bucket (the last one +Inf), their sum."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0


@dataclass
class RequestStats:
    """What `/metrics` reports about requests, kept as plain numbers."""

    # (route, operation, method, status) -> requests
    requests: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    # (route, operation) -> latency histogram
    timings: dict[tuple[str, str], Timings] = field(default_factory=dict)
    blob_bytes_out: int = 0
    buckets: tuple[float, ...] = BUCKETS
    _operations: set[str] = field(default_factory=set)

    def observe(self, route: str, operation: str, method: str, status: int, seconds: float) -> None:
        operation = self._operation(operation)
        key = (route, operation, method, str(status))
        self.requests[key] = self.requests.get(key, 0) + 1
        timings = self.timings.get((route, operation))
        if timings is None:
            timings = self.timings[(route, operation)] = Timings()
        timings.counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        timings.total += seconds

    def _operation(self, name: str) -> str:
        if name in self._operations or not name:
            return name
        if len(self._operations) >= MAX_OPERATIONS:
            return OTHER
        self._operations.add(name)
        return name


def route_label(scope: Scope) -> str:
    """The template of the route that answered (`/storage/blob/{token}/{filename:path}`),
    never the raw path: labels stay few, and signed tokens stay out of them."""
    route = scope.get("route")
    if route is None:
        return "unmatched"
    prefix = scope.get("root_path", "")[len(scope.get("app_root_path", "")) :]
    if isinstance(route, Mount):  # a mounted app without routes (static files)
        return prefix + "/{path}"
    return prefix + str(getattr(route, "path", ""))


def _client_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _CLIENT_REQUEST_ID.fullmatch(value):
            return value.decode()
    return None


def request_id(scope: Scope) -> str | None:
    return scope.get("state", {}).get(REQUEST_ID_KEY)


class RequestMetrics:
    """The outermost middleware of the base port."""

    def __init__(
        self,
        app: ASGIApp,
        stats: RequestStats,
        log_level: int,
        is_blob_download: Callable[[Any], bool],
    ) -> None:
        self.app = app
        self.stats = stats
        self.log_level = log_level
        self.is_blob_download = is_blob_download
        # Request ids: random per app, then counted (unique, and cheaper than random each).
        self._id_prefix = os.urandom(4).hex()
        self._ids = itertools.count(1)
        self._labels: dict[tuple[int, str], str] = {}  # (id of a route, root path) -> label

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _client_request_id(scope) or f"{self._id_prefix}-{next(self._ids):x}"
        state = scope.setdefault("state", {})
        state[REQUEST_ID_KEY] = rid
        started = time.perf_counter()
        answer: dict[str, Any] = {"status": 500, "headers": ()}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                headers = answer["headers"] = list(message.get("headers", ()))
                headers.append((REQUEST_ID_HEADER, rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._finish(scope, rid, answer, time.perf_counter() - started)

    def _route_label(self, scope: Scope) -> str:
        key = (id(scope.get("route")), scope.get("root_path", ""))
        label = self._labels.get(key)
        if label is None:
            label = self._labels[key] = route_label(scope)
        return label

    def _finish(self, scope: Scope, rid: str, answer: dict[str, Any], seconds: float) -> None:
        state = scope["state"]
        record = state.get(RECORD_KEY)
        operation = (record.operation if record is not None else None) or ""
        route, status = self._route_label(scope), answer["status"]
        self.stats.observe(route, operation, scope["method"], status, seconds)
        if status in (200, 206) and self.is_blob_download(scope.get("route")):
            self.stats.blob_bytes_out += _content_length(answer["headers"]) or 0
        if log.isEnabledFor(self.log_level):
            user = _username(state.get(VIEWER_KEY), scope)
            log.log(
                self.log_level,
                "%s %s %s -> %d in %.1fms",
                scope["method"],
                route,
                operation,
                status,
                seconds * 1e3,
                extra={
                    "request_id": rid,
                    "method": scope["method"],
                    "route": route,
                    "path": redact(scope["path"]),
                    "operation": operation or None,
                    "status": status,
                    "duration_ms": round(seconds * 1e3, 3),
                    "user": user,
                },
            )


def _username(viewer: Any, scope: Scope) -> str | None:
    """The viewer's username for the log, masked when it is the API key itself (users of
    the fixture protocol have their username as their key)."""
    if viewer is None:
        return None
    for name, value in scope["headers"]:
        if name == b"authorization":
            key = auth.api_key_from_header(value.decode("latin-1"))
            if key is not None and viewer.username in key:
                return MASK
    return str(viewer.username)


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


METRICS_CREDENTIALS = (
    "/metrics needs the control token (Authorization: Bearer TOKEN), an instance admin's"
    " API key, or `serve --metrics-public`"
)


async def metrics(request: Request) -> Response:
    """GET /metrics: Prometheus' text format."""
    emulator = request.app.state.emulator
    if not emulator.config.metrics_public:
        async with emulator.db.read() as conn:
            allowed = await auth.is_control_request(
                conn, request.headers.get("authorization"), emulator.control_token
            )
        if not allowed:
            return JSONResponse({"error": METRICS_CREDENTIALS}, status_code=401)
    from .. import metrics as exposition  # deliberately here: the first scrape imports it

    await emulator.journal.totals()  # the journal's gauges
    if emulator.metrics_registry is None:
        emulator.metrics_registry = exposition.registry_of(emulator)
    body, content_type = exposition.exposition(emulator.metrics_registry)
    return Response(body, headers={"content-type": content_type})
