"""Helpers shared by the HTTP endpoints."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .. import auth
from ..domain.errors import DomainError, NotFound, PermissionDenied
from ..store.records import UserRec

INVALID_CREDENTIALS = "invalid API key: no user is registered with this key"


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_json(request: Request, max_bytes: int) -> Any:
    """The request's JSON body; BadRequest(413) when too large, (400) when malformed."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise BadRequest(413, f"request body exceeds {max_bytes} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise BadRequest(413, f"request body exceeds {max_bytes} bytes")
    if request.headers.get("content-encoding", "").lower() == "gzip":
        import gzip

        try:
            body = bytearray(gzip.decompress(bytes(body)))
        except (OSError, EOFError) as exc:
            raise BadRequest(400, "malformed gzip body") from exc
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(400, f"malformed JSON body: {exc}") from exc


def domain_status(error: DomainError) -> int:
    """The HTTP status of a domain refusal."""
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    return 400


def error_body(message: str) -> dict[str, Any]:
    return {"errors": [{"message": message}]}


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse(error_body(message), status_code=status)


async def request_viewer(request: Request) -> UserRec | None:
    """The user whose API key authenticates the request, if any."""
    emulator = request.app.state.emulator
    async with emulator.db.read() as conn:
        return await auth.authenticate(conn, request.headers.get("authorization"))
