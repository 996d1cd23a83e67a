"""POST /graphql: authenticate, execute with Strawberry, answer in W&B's error style."""

from __future__ import annotations

import logging
import time
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..filters import FilterError
from ..graphql.context import Context
from ..graphql.errors import ApiError, format_error
from ..graphql.loaders import Loaders
from ..ids import InvalidId
from ..store.errors import StoreError
from ..validation import InvalidName
from .common import INVALID_CREDENTIALS, BadRequest, error_response, read_json, request_viewer

log = logging.getLogger("wandb_emulator.graphql")

CLIENT_ERRORS = (ApiError, InvalidId, FilterError, InvalidName, StoreError)


def _parse_request(payload: Any) -> tuple[str, dict[str, Any] | None, str | None]:
    if not isinstance(payload, dict):
        raise BadRequest(400, "the body must be a JSON object with a `query`")
    query = payload.get("query")
    if not isinstance(query, str) or not query.strip():
        raise BadRequest(400, "missing `query`")
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise BadRequest(400, "`variables` must be an object")
    operation_name = payload.get("operationName") or None
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadRequest(400, "`operationName` must be a string")
    return query, variables, operation_name


def _format_errors(errors: list[GraphQLError]) -> tuple[list[dict[str, Any]], bool]:
    """Formatted errors, and whether any is a request error (parse/validation)."""
    formatted, request_error = [], False
    for error in errors:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            request_error = True
            formatted.append(format_error(error, validation=True))
        elif isinstance(original, CLIENT_ERRORS):
            formatted.append({**error.formatted, "message": str(original)})
        else:
            log.error("unexpected error in %s", error.path, exc_info=original)
            formatted.append({**error.formatted, "message": "internal server error"})
    return formatted, request_error


async def graphql_endpoint(request: Request) -> JSONResponse:
    emulator = request.app.state.emulator
    started = time.perf_counter()
    try:
        payload = await read_json(request, emulator.config.max_body_bytes)
        query, variables, operation_name = _parse_request(payload)
    except BadRequest as exc:
        return error_response(exc.status, exc.message)

    viewer = await request_viewer(request)
    if viewer is None:
        return error_response(401, INVALID_CREDENTIALS)

    context = Context(
        db=emulator.db,
        config=emulator.config,
        viewer=viewer,
        loaders=Loaders(emulator.db),
        urls=emulator.urls,
        blobs=emulator.blobs,
    )
    result = await emulator.schema.execute(
        query, variable_values=variables, context_value=context, operation_name=operation_name
    )
    body: dict[str, Any] = {"data": result.data}
    status = 200
    if result.errors:
        body["errors"], request_error = _format_errors(result.errors)
        if request_error and result.data is None:
            status = 400
    log.debug(
        "graphql %s %.1fms", operation_name or "(anonymous)", (time.perf_counter() - started) * 1e3
    )
    return JSONResponse(body, status_code=status)
