"""Helpers shared by the HTTP endpoints."""

from __future__ import annotations

import json
import zlib
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .. import auth, jsonlimits
from ..domain.errors import DomainError, NotFound, PermissionDenied
from ..records import UserRec

INVALID_CREDENTIALS = "invalid API key: no user is registered with this key"
VIEWER_KEY = "wandb_emulator_viewer"


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The request's body; BadRequest(413) when too large, (400) when malformed gzip.

    A gzip body is inflated while it streams in, and the limit holds for the inflated
    size too, so a small compressed body cannot expand into a large one.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise too_large(max_bytes)
    gzipped = request.headers.get("content-encoding", "").lower() == "gzip"
    body = _Inflated(max_bytes) if gzipped else _Raw(max_bytes)
    async for chunk in request.stream():
        body.feed(chunk)
    return body.finish()


async def read_json(request: Request, max_bytes: int) -> Any:
    """The request's JSON body (see `read_body`); BadRequest(400) when malformed."""
    body = await read_body(request, max_bytes)
    try:
        return jsonlimits.loads(body)
    except jsonlimits.TooDeep as exc:
        raise BadRequest(400, f"malformed JSON body: {exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(400, f"malformed JSON body: {exc}") from exc


def domain_status(error: DomainError) -> int:
    """The HTTP status of a domain refusal."""
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    return 400


def too_large(max_bytes: int) -> BadRequest:
    return BadRequest(413, f"request body exceeds {max_bytes} bytes")


class _Raw:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.data = bytearray()

    def feed(self, chunk: bytes) -> None:
        self.data.extend(chunk)
        if len(self.data) > self.max_bytes:
            raise too_large(self.max_bytes)

    def finish(self) -> bytes:
        return bytes(self.data)


class _Inflated(_Raw):
    """Inflates gzip while it arrives; never holds more than `max_bytes` of output."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes)
        self.received = 0
        self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)

    def feed(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > self.max_bytes:
            raise too_large(self.max_bytes)
        try:
            while chunk:
                room = self.max_bytes - len(self.data) + 1
                super().feed(self._inflater.decompress(chunk, room))
                chunk = self._inflater.unconsumed_tail
        except zlib.error as exc:
            raise BadRequest(400, "malformed gzip body") from exc

    def finish(self) -> bytes:
        if not self._inflater.eof:
            raise BadRequest(400, "malformed gzip body: truncated")
        return bytes(self.data)


def error_body(message: str) -> dict[str, Any]:
    return {"errors": [{"message": message}]}


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse(error_body(message), status_code=status)


async def request_viewer(request: Request) -> UserRec | None:
    """The user whose API key authenticates the request, if any (known per header until
    the next COMMIT: a client sends the same header with every request)."""
    db = request.app.state.emulator.db
    authorization = request.headers.get("authorization")

    async def authenticate() -> UserRec | None:
        async with db.read() as conn:
            return await auth.authenticate(conn, authorization)

    viewer = await db.results.remember("viewer", authorization, authenticate)
    request.scope.setdefault("state", {})[VIEWER_KEY] = viewer  # for the request's log line
    return viewer
