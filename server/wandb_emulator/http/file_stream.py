"""POST /files/{entity}/{project}/{run}/file_stream: history, summary, events and
console lines of a live run, and its end (`complete` with `exitcode`)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .. import auth
from ..store import accounts, projects, runs
from ..store.database import Conn
from ..store.records import RunRec, UserRec
from .common import INVALID_CREDENTIALS, BadRequest, error_response, read_json, request_viewer

SUMMARY_FILE = "wandb-summary.json"
MAX_FILE_STREAM_BODY = 64 * 1024 * 1024


async def _writable_run(conn: Conn, viewer: UserRec, params: dict[str, str]) -> RunRec:
    entity = await accounts.entity_by_name(conn, params["entity"])
    project = await projects.project_by_name(conn, entity.id, params["project"]) if entity else None
    run = await runs.run_by_name(conn, project.id, params["run"]) if project else None
    role = await auth.project_role(conn, viewer, project) if project else None
    if run is None or role is None:
        raise BadRequest(
            404, f"run {params['entity']}/{params['project']}/{params['run']} not found"
        )
    if not auth.role_at_least(role, "member"):
        raise BadRequest(403, "permission denied")
    return run


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


async def _apply(conn: Conn, run: RunRec, body: dict[str, Any]) -> None:
    for name, (offset, content) in _file_updates(body).items():
        if name == SUMMARY_FILE:
            if content:
                json.loads(content[-1])
                await runs.set_summary(conn, run.id, content[-1])
        elif name in runs.LINE_STREAMS:
            await runs.write_lines(conn, run.id, name, offset, content)
    for name in body.get("uploaded") or []:
        if isinstance(name, str):
            await runs.touch_run_file(conn, run.id, name)
    if body.get("complete"):
        exit_code = body.get("exitcode")
        await runs.finish_run(conn, run.id, exit_code if isinstance(exit_code, int) else 0)
    else:
        await runs.heartbeat(conn, run.id)


async def file_stream(request: Request) -> JSONResponse:
    emulator = request.app.state.emulator
    viewer = await request_viewer(request)
    if viewer is None:
        return error_response(401, INVALID_CREDENTIALS)
    try:
        body = await read_json(request, MAX_FILE_STREAM_BODY)
        async with emulator.db.write() as conn:
            run = await _writable_run(conn, viewer, request.path_params)
            await _apply(conn, run, body)
    except BadRequest as exc:
        return error_response(exc.status, exc.message)
    except json.JSONDecodeError:
        return error_response(400, f"{SUMMARY_FILE} lines must be JSON objects")
    return JSONResponse({"exitcode": None, "limits": {}})
