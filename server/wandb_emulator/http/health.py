from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse


async def ready(request: Request) -> JSONResponse:
    return JSONResponse({"ready": True})


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def telemetry_disabled(request: Request) -> JSONResponse:
    """The SDK probes /sdk/otel/v1/metrics; a 404 turns its telemetry off."""
    return JSONResponse({"error": "telemetry is not collected"}, status_code=404)
