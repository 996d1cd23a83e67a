"""POST /graphql: authenticate, execute with Strawberry, answer in W&B's error style."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..blobs import ChecksumMismatch
from ..domain.errors import DomainError
from ..domain.reads.session import ReadSession
from ..filters import FilterError
from ..graphql.context import Context
from ..graphql.errors import asks_for_unknown_schema, format_error, not_emulated_error
from ..graphql.outline import DocumentRefused
from ..graphql.schema import EmulatorSchema
from ..ids import InvalidId
from ..journal import RequestRecord
from ..store.errors import StoreError
from .common import INVALID_CREDENTIALS, BadRequest, error_body, read_json, request_viewer
from .recording import apply_fault, current_record

log = logging.getLogger("wandb_emulator.graphql")

# The one place that decides which exceptions reach the client with their message: every
# domain refusal (graphql.errors.ApiError is DomainError), malformed ids and filters, store
# conflicts and checksum mismatches. Anything else is an "internal server error".
CLIENT_ERRORS = (DomainError, InvalidId, FilterError, StoreError, ChecksumMismatch)


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


async def graphql_endpoint(request: Request) -> Response:
    """Authenticate from the headers first: an unauthenticated request is answered
    before its body is read; then the token and fragment limits apply before anything
    parses the document."""
    emulator = request.app.state.emulator
    config = emulator.config
    record = current_record(request)
    viewer = await request_viewer(request)
    if viewer is None:
        return _answer(record, error_body(INVALID_CREDENTIALS), 401)
    try:
        payload = await read_json(request, config.max_body_bytes)
        query, variables, operation_name = _parse_request(payload)
        operation = _operation(emulator.schema, query, operation_name)
    except BadRequest as exc:
        return _answer(record, error_body(exc.message), exc.status)

    if record is not None:
        record.operation, record.variables = operation, variables
    rule = await emulator.faults.take_for_operation(operation, variables)
    if rule is not None and (injected := await apply_fault(rule, record)) is not None:
        return injected

    context = Context(
        reads=ReadSession(emulator.db, viewer, config.max_page_size),
        uow=emulator.uow,
        config=config,
        urls=emulator.urls,
        blobs=emulator.blobs,
    )
    try:
        result = await emulator.schema.execute(
            query, variable_values=variables, context_value=context, operation_name=operation_name
        )
    except RecursionError:
        return _answer(record, error_body("the document is nested too deeply"), 400)
    body: dict[str, Any] = {"data": result.data}
    status = 200
    if result.errors:
        body["errors"], request_error = _format_errors(result.errors)
        if request_error and result.data is None:
            status = 400
            if asks_for_unknown_schema(result.errors):
                body["errors"].append(not_emulated_error(operation))
        else:
            status = _refusal_status(result.errors, result.data) or status
    return _answer(record, body, status)


def _refusal_status(errors: list[GraphQLError], data: dict[str, Any] | None) -> int | None:
    """The HTTP status a lone domain refusal asks for, when nothing else was answered."""
    if len(errors) != 1 or any(value is not None for value in (data or {}).values()):
        return None
    return getattr(errors[0].original_error, "http_status", None)


def _operation(schema: EmulatorSchema, query: str, operation_name: str | None) -> str | None:
    """The operation to run (named, or the document's first); BadRequest when the
    document is too large or has no operation of that name."""
    try:
        found = schema.outline(query)
    except DocumentRefused as exc:
        raise BadRequest(400, str(exc)) from exc
    if operation_name is None:
        return found.first_operation
    if operation_name not in found.operations:
        raise BadRequest(400, f"Unknown operation named '{operation_name}'.")
    return operation_name


def _answer(record: RequestRecord | None, body: dict[str, Any], status: int) -> JSONResponse:
    if record is not None:
        record.errors.extend(error["message"] for error in body.get("errors", ()))
    return JSONResponse(body, status_code=status)
