from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse


async def ready(request: Request) -> JSONResponse:
    return JSONResponse({"ready": True})


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})
