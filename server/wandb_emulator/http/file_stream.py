"""POST /files/{entity}/{project}/{run}/file_stream: history, summary, events and
console lines of a live run, and its end (`complete` with `exitcode`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..domain import runs
from ..domain.errors import DomainError
from ..domain.runs import StreamUpdate
from .common import (
    INVALID_CREDENTIALS,
    BadRequest,
    domain_status,
    error_response,
    read_json,
    request_viewer,
)

MAX_FILE_STREAM_BODY = 64 * 1024 * 1024


def _file_updates(body: Any) -> dict[str, tuple[int, list[str]]]:
    if not isinstance(body, dict):
        raise BadRequest(400, "the body must be a JSON object")
    files = body.get("files") or {}
    if not isinstance(files, dict):
        raise BadRequest(400, "`files` must be an object")
    updates = {}
    for name, chunk in files.items():
        if not isinstance(chunk, dict):
            raise BadRequest(400, f"files[{name!r}] must be an object")
        offset, content = chunk.get("offset", 0), chunk.get("content", [])
        if not isinstance(offset, int) or offset < 0:
            raise BadRequest(400, f"files[{name!r}].offset must be a non-negative integer")
        if not isinstance(content, list) or not all(isinstance(c, str) for c in content):
            raise BadRequest(400, f"files[{name!r}].content must be a list of strings")
        updates[name] = (offset, content)
    return updates


def _stream_update(body: Any) -> StreamUpdate:
    updates = _file_updates(body)
    uploaded = [name for name in body.get("uploaded") or [] if isinstance(name, str)]
    return StreamUpdate(updates, uploaded, bool(body.get("complete")), body.get("exitcode"))


async def file_stream(request: Request) -> JSONResponse:
    emulator = request.app.state.emulator
    viewer = await request_viewer(request)
    if viewer is None:
        return error_response(401, INVALID_CREDENTIALS)
    try:
        body = await read_json(request, MAX_FILE_STREAM_BODY)
        params = request.path_params
        path = (params["entity"], params["project"], params["run"])
        run = await runs.stream_update(
            emulator.uow, emulator.blobs, viewer, path, _stream_update(body)
        )
    except BadRequest as exc:
        return error_response(exc.status, exc.message)
    except DomainError as exc:
        return error_response(domain_status(exc), str(exc))
    # `stopped` is how W&B tells a run's process that StopRun was asked for.
    return JSONResponse({"exitcode": None, "limits": {}, "stopped": run.stop_requested})
