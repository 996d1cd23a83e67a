"""Emulator-only endpoints under /_emulator: reset, snapshot and restore, journal, faults,
seed, automation deliveries and delivery settings, Slack integrations.

No W&B path starts with an underscore, so the prefix cannot collide. Every endpoint
needs the control token (`Authorization: Bearer TOKEN`, printed by `serve`) or an
instance admin's API key; anything else is a 401. `serve --no-emulator-endpoints`
leaves them out altogether.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.background import BackgroundTask
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import auth
from ..domain import automations as automation_rules
from ..domain.errors import DomainError
from ..faults import FaultSpecError
from ..seeding import SEED_ERRORS
from ..snapshots import SnapshotError, download_name, summary
from .common import BadRequest, read_json
from .recording import EMULATOR_PREFIX

MAX_CONTROL_BODY = 1024 * 1024
_ENDPOINTS = (
    "POST /reset",
    "GET /snapshot",
    "POST /restore",
    "GET /journal",
    "DELETE /journal",
    "GET /faults",
    "POST /faults",
    "DELETE /faults",
    "DELETE /faults/{id}",
    "POST /seed",
    "GET /deliveries",
    "DELETE /deliveries",
    "GET /automations",
    "POST /automations",
    "POST /slack-integrations",
    "GET /telemetry",
    "DELETE /telemetry",
)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_object(request: Request) -> dict[str, Any]:
    body = await read_json(request, MAX_CONTROL_BODY)
    if not isinstance(body, dict):
        raise BadRequest(400, "the body must be a JSON object")
    return body


async def reset(request: Request) -> JSONResponse:
    started = time.perf_counter()
    await request.app.state.emulator.reset()
    return JSONResponse({"ok": True, "duration_ms": (time.perf_counter() - started) * 1e3})


async def snapshot(request: Request) -> Response:
    """GET /snapshot: a snapshot of the state, taken now (the server keeps serving)."""
    emulator = request.app.state.emulator
    directory = Path(tempfile.mkdtemp(prefix=".snapshot-", dir=emulator.config.data_dir))
    cleanup = BackgroundTask(shutil.rmtree, directory, ignore_errors=True)
    try:
        await emulator.snapshot(directory / "snapshot.tar")
    except (SnapshotError, OSError) as exc:
        await cleanup()
        return _error(500, f"snapshot not taken: {exc}")
    return FileResponse(
        directory / "snapshot.tar",
        media_type="application/x-tar",
        filename=download_name(),
        background=cleanup,
    )


async def restore(request: Request) -> JSONResponse:
    """POST /restore with a snapshot as the body: the state becomes the snapshot's."""
    emulator = request.app.state.emulator
    started = time.perf_counter()
    directory = Path(tempfile.mkdtemp(prefix=".upload-", dir=emulator.config.data_dir))
    try:
        archive = directory / "snapshot.tar"
        with archive.open("wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
        manifest = await emulator.restore(archive)
    except SnapshotError as exc:
        return _error(400, f"snapshot not restored: {exc}")
    except OSError as exc:
        return _error(500, f"snapshot not restored: {exc}")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    duration_ms = (time.perf_counter() - started) * 1e3
    return JSONResponse({"ok": True, "duration_ms": duration_ms, "summary": summary(manifest)})


async def read_journal(request: Request) -> JSONResponse:
    journal = request.app.state.emulator.journal
    operation = request.query_params.get("operation")
    entries = await journal.entries()
    if operation:
        entries = [e for e in entries if e.is_graphql and e.operation == operation]
    limit = request.query_params.get("limit", "")
    if limit:
        if not (limit.isascii() and limit.isdigit()):
            return _error(400, "`limit` must be a non-negative integer")
        entries = entries[len(entries) - int(limit) :] if int(limit) else []
    return JSONResponse({"size": journal.size, "entries": [e.to_json() for e in entries]})


async def clear_journal(request: Request) -> JSONResponse:
    await request.app.state.emulator.journal.clear()
    return JSONResponse({"ok": True})


async def list_faults(request: Request) -> JSONResponse:
    rules = await request.app.state.emulator.faults.rules()
    return JSONResponse({"faults": [rule.to_json() for rule in rules]})


async def add_fault(request: Request) -> JSONResponse:
    try:
        rule = await request.app.state.emulator.faults.add(**await _json_object(request))
    except BadRequest as exc:
        return _error(exc.status, exc.message)
    except FaultSpecError as exc:
        return _error(400, str(exc))
    return JSONResponse({"fault": rule.to_json()}, status_code=201)


async def clear_faults(request: Request) -> JSONResponse:
    await request.app.state.emulator.faults.clear()
    return JSONResponse({"ok": True})


async def remove_fault(request: Request) -> JSONResponse:
    rule_id = request.path_params["rule_id"]
    if not await request.app.state.emulator.faults.remove(rule_id):
        return _error(404, f"no fault rule {rule_id}")
    return JSONResponse({"ok": True})


async def seed(request: Request) -> JSONResponse:
    try:
        await request.app.state.emulator.apply_seed(await _json_object(request))
    except BadRequest as exc:
        return _error(exc.status, exc.message)
    except SEED_ERRORS as exc:
        return _error(400, f"seed not applied: {exc}")
    return JSONResponse({"ok": True})


async def read_deliveries(request: Request) -> JSONResponse:
    """The delivery log; `?wait=true` first waits for deliveries under way."""
    engine = request.app.state.emulator.automations
    if request.query_params.get("wait", "").lower() in ("1", "true", "yes"):
        await engine.idle()
    deliveries = await engine.deliveries.entries()
    return JSONResponse({"deliveries": [d.to_json() for d in deliveries]})


async def clear_deliveries(request: Request) -> JSONResponse:
    await request.app.state.emulator.automations.deliveries.clear()
    return JSONResponse({"ok": True})


_BOOLEAN_SETTINGS = frozenset({"synchronous"})
_NUMBER_SETTINGS = frozenset({"timeout_s", "retries", "backoff_ms"})


def _setting_error(key: str, value: Any) -> str | None:
    if key in _BOOLEAN_SETTINGS:
        return None if isinstance(value, bool) else f"`{key}` must be a boolean"
    if key not in _NUMBER_SETTINGS:
        known = sorted(_BOOLEAN_SETTINGS | _NUMBER_SETTINGS)
        return f"unknown setting {key!r}; known: {known}"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return f"`{key}` must be a non-negative number"
    if key != "timeout_s" and not isinstance(value, int):
        return f"`{key}` must be a whole number"
    return None


async def read_automation_settings(request: Request) -> JSONResponse:
    return JSONResponse(vars(await request.app.state.emulator.automations.load_settings()))


async def change_automation_settings(request: Request) -> JSONResponse:
    """Change delivery settings: synchronous, timeout_s, retries, backoff_ms."""
    try:
        body = await _json_object(request)
    except BadRequest as exc:
        return _error(exc.status, exc.message)
    for key, value in body.items():
        if (refusal := _setting_error(key, value)) is not None:
            return _error(400, refusal)
    settings = await request.app.state.emulator.automations.change_settings(**body)
    return JSONResponse(vars(settings))


async def add_slack_integration(request: Request) -> JSONResponse:
    """A Slack integration as W&B's OAuth flow would leave it: entity, team, channel,
    and optionally a loopback `url` to which notifications are posted."""
    try:
        body = await _json_object(request)
        rec = await automation_rules.create_slack_integration(
            request.app.state.emulator.uow,
            str(body.get("entity") or ""),
            str(body.get("team_name") or ""),
            str(body.get("channel_name") or ""),
            body.get("url"),
        )
    except BadRequest as exc:
        return _error(exc.status, exc.message)
    except DomainError as exc:
        return _error(400, str(exc))
    return JSONResponse({"id": automation_rules.integration_global_id(rec)}, status_code=201)


async def read_telemetry(request: Request) -> JSONResponse:
    """The OTLP exports the SDK sent (`?signal=metrics|logs|traces`), oldest first."""
    telemetry = request.app.state.emulator.telemetry
    exports = telemetry.exports(request.query_params.get("signal") or None)
    return JSONResponse({"exports": [e.to_json() for e in exports]})


async def clear_telemetry(request: Request) -> JSONResponse:
    request.app.state.emulator.telemetry.clear()
    return JSONResponse({"cleared": True})


async def unknown(request: Request) -> JSONResponse:
    listed = ", ".join(_ENDPOINTS)
    return _error(
        404, f"no emulator endpoint {request.method} {request.url.path}; there are: {listed}"
    )


CONTROL_CREDENTIALS = (
    "the emulator's control endpoints need the control token printed by `serve`"
    " (Authorization: Bearer TOKEN) or an instance admin's API key"
)


class ControlGuard:
    """Answers 401 before routing unless the request carries control credentials."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            emulator = request.app.state.emulator
            async with emulator.db.read() as conn:
                allowed = await auth.is_control_request(
                    conn, request.headers.get("authorization"), emulator.control_token
                )
            if not allowed:
                await _error(401, CONTROL_CREDENTIALS)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def emulator_routes() -> list[BaseRoute]:
    return [
        Mount(
            EMULATOR_PREFIX,
            middleware=[Middleware(ControlGuard)],
            routes=[
                Route("/reset", reset, methods=["POST"]),
                Route("/snapshot", snapshot, methods=["GET"]),
                Route("/restore", restore, methods=["POST"]),
                Route("/journal", read_journal, methods=["GET"]),
                Route("/journal", clear_journal, methods=["DELETE"]),
                Route("/faults", list_faults, methods=["GET"]),
                Route("/faults", add_fault, methods=["POST"]),
                Route("/faults", clear_faults, methods=["DELETE"]),
                Route("/faults/{rule_id:int}", remove_fault, methods=["DELETE"]),
                Route("/seed", seed, methods=["POST"]),
                Route("/deliveries", read_deliveries, methods=["GET"]),
                Route("/deliveries", clear_deliveries, methods=["DELETE"]),
                Route("/automations", read_automation_settings, methods=["GET"]),
                Route("/automations", change_automation_settings, methods=["POST"]),
                Route("/slack-integrations", add_slack_integration, methods=["POST"]),
                Route("/telemetry", read_telemetry, methods=["GET"]),
                Route("/telemetry", clear_telemetry, methods=["DELETE"]),
                Route(
                    "/{rest:path}",
                    unknown,
                    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                ),
            ],
        )
    ]
