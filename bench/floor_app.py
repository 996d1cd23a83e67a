"""The floor: a trivial Strawberry query on the emulator's stack (Starlette + uvicorn,
one worker, parser and validation caches on), served like the emulator serves.

    python bench/floor_app.py PORT
"""

from __future__ import annotations

import json
import sys

import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
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

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="error", access_log=False)
