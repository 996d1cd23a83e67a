from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import JSONResponse


async def ready(request: Request) -> JSONResponse:
    """Ready, and which process answered (with `--workers N`, each worker is one)."""
    return JSONResponse({"ready": True, "process": os.getpid()})


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})
