"""Journal every base-port request but the web UI's pages, and apply injected faults,
as one ASGI middleware.

The entry is written when the response starts, so a client that has its answer can
already read it from the journal. GraphQL details (operation, variables, errors) are
filled in by the GraphQL endpoint through `current_record`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..faults import FaultRule, FaultRules
from ..journal import RequestRecord, SharedJournal

EMULATOR_PREFIX = "/_emulator"
GRAPHQL_PATH = "/graphql"
RECORD_KEY = "wandb_emulator_record"
REQUEST_ID_KEY = "wandb_emulator_request_id"  # set by the telemetry middleware, outside


def current_record(request: Request) -> RequestRecord | None:
    return request.scope.get("state", {}).get(RECORD_KEY)


async def apply_fault(rule: FaultRule, record: RequestRecord | None) -> Response | None:
    """Wait the rule's latency; the error response it calls for, if any."""
    if record is not None:
        record.fault = rule.applied()
    if rule.latency_ms:
        await asyncio.sleep(rule.latency_ms / 1000)
    if not rule.fails:
        return None
    if record is not None:
        record.errors.append(rule.message)
    return JSONResponse(
        {"data": None, "errors": [{"message": rule.message}]}, status_code=rule.response_status
    )


class RecordingMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        journal: SharedJournal,
        faults: FaultRules,
        unrecorded: Callable[[Scope], bool] = lambda scope: False,
    ) -> None:
        self.app = app
        self.journal = journal
        self.faults = faults
        self.unrecorded = unrecorded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"].startswith(EMULATOR_PREFIX)
            or self.unrecorded(scope)
        ):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        record = RequestRecord(
            method=scope["method"],
            path=scope["path"],
            timestamp=time.time(),
            request_id=state.get(REQUEST_ID_KEY),
        )
        state[RECORD_KEY] = record
        started = time.perf_counter()
        recorded = False

        def finish(status: int) -> None:
            nonlocal recorded
            recorded = True
            self.journal.record(record, status, (time.perf_counter() - started) * 1e3)

        async def send_and_record(message: Message) -> None:
            if message["type"] == "http.response.start" and not recorded:
                finish(message["status"])
            await send(message)

        try:
            if scope["path"] != GRAPHQL_PATH and (
                rule := await self.faults.take_for_request(scope["method"], scope["path"])
            ):
                response = await apply_fault(rule, record)
                if response is not None:
                    await response(scope, receive, send_and_record)
                    return
            await self.app(scope, receive, send_and_record)
        finally:
            if not recorded:
                finish(500)
