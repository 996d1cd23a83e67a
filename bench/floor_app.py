"""The floor: a trivial Strawberry query on the emulator's stack (Starlette + uvicorn,
one worker, parser and validation caches on), served like the emulator serves.

    python bench/floor_app.py PORT [--durations | --workers N]

`--durations` times each request as the emulator's journal does (from the app being
called to the response starting) and answers `GET /durations` with their count and sum
so far (`bench/workflow.py`'s floor).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import ParserCache, ValidationCache


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


schema = strawberry.Schema(
    query=Query,
    extensions=[lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512)],
)


async def graphql(request: Request) -> Response:
    payload = json.loads(await request.body())
    result = await schema.execute(
        payload["query"],
        variable_values=payload.get("variables"),
        operation_name=payload.get("operationName"),
    )
    body: dict = {"data": result.data}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    return JSONResponse(body)


async def ready(request: Request) -> Response:
    return JSONResponse({"ready": True})


app = Starlette(
    routes=[
        Route("/graphql", graphql, methods=["POST"]),
        Route("/ready", ready, methods=["GET"]),
    ]
)


class Durations:
    """Sum of request durations, measured where the emulator's RecordingMiddleware does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests = 0
        self.seconds = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/durations":
            await JSONResponse({"requests": self.requests, "ms": self.seconds * 1e3})(
                scope, receive, send
            )
            return
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.requests += 1
                self.seconds += time.perf_counter() - started
            await send(message)

        await self.app(scope, receive, timed_send)


if __name__ == "__main__":
    options = sys.argv[2:]
    settings: dict = {"host": "127.0.0.1", "port": int(sys.argv[1]), "log_level": "error"}
    if "--workers" in options:  # uvicorn's supervisor, as `serve --workers N` runs it
        workers = int(options[options.index("--workers") + 1])
        app_dir = str(Path(__file__).parent)
        uvicorn.run("floor_app:app", app_dir=app_dir, workers=workers, access_log=False, **settings)
    else:
        served = Durations(app) if "--durations" in options else app
        uvicorn.run(served, access_log=False, **settings)
